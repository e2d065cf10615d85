// One seed per message kind and sender kind of the sample network, the hub's other requests,
// and edge cases. Accepted seeds reach deep into Route and the workflow; refused ones start
// the fuzzer next to each refusal.
#include "seeds.h"

#include <string_view>

#include "renrakumo/v1/wire.pb.h"

namespace renrakumo::fuzz {
namespace {

// What a seed is meant to get: accepted, or refused with a code.
constexpr v1::RejectCode kAccepted = v1::REJECT_UNSPECIFIED;
constexpr v1::RejectCode kInvalid = v1::REJECT_INVALID_FIELD;
constexpr v1::RejectCode kNotPermitted = v1::REJECT_NOT_PERMITTED;
constexpr v1::RejectCode kWrongSector = v1::REJECT_WRONG_SECTOR;
constexpr v1::RejectCode kMismatch = v1::REJECT_RELAY_MISMATCH;
constexpr v1::RejectCode kUnknownRecipient = v1::REJECT_UNKNOWN_RECIPIENT;

class Corpus {
 public:
  explicit Corpus(const v1::Topology& t) : t_(t) {}

  // The request id fuzz_ingest decodes as (sender, history flags).
  uint64_t RequestId(std::string_view sender, uint64_t flags = 0) const {
    for (int i = 0; i < t_.nodes_size(); ++i)
      if (t_.nodes(i).id() == sender) return static_cast<uint64_t>(i) + flags * t_.nodes_size();
    return 0;  // a node the sample topology lost: the seed still parses
  }

  void Submit(const std::string& name, std::string_view sender, const v1::Envelope& env,
              v1::RejectCode expect, uint64_t flags = 0) {
    SubmitBytes(name, sender, env.SerializeAsString(), flags);
    seeds_.back().checked = true;
    seeds_.back().expect = expect;
  }

  // A submit whose envelope is not a well-formed Envelope: not checked.
  void SubmitBytes(const std::string& name, std::string_view sender, std::string envelope,
                   uint64_t flags = 0) {
    v1::IngestRequest req;
    req.set_request_id(RequestId(sender, flags));
    req.mutable_submit()->set_envelope(std::move(envelope));
    seeds_.push_back({"submit-" + name, req.SerializeAsString()});
  }

  void Request(const std::string& name, std::string_view sender, v1::IngestRequest req) {
    req.set_request_id(RequestId(sender));
    seeds_.push_back({name, req.SerializeAsString()});
  }

  void Raw(const std::string& name, std::string bytes) {
    seeds_.push_back({name, std::move(bytes)});
  }

  std::vector<Seed> Take() { return std::move(seeds_); }

 private:
  const v1::Topology& t_;
  std::vector<Seed> seeds_;
};

v1::Envelope Base(const std::string& id, v1::Tlp tlp) {
  v1::Envelope env;
  env.set_message_id(id);
  env.set_created_at_ms(1'700'000'000'000);
  env.set_tlp(tlp);
  return env;
}

v1::Envelope Report(const std::string& incident, const std::string& system, v1::Situation s,
                    v1::Likelihood l) {
  v1::Envelope env = Base("r-" + incident, v1::TLP_AMBER);
  v1::IncidentReport* r = env.mutable_report();
  r->set_incident_id(incident);
  r->set_phase(v1::PHASE_FLASH);
  r->set_affected_system(system);
  r->set_situation(s);
  r->set_likelihood(l);
  r->set_detected_at_ms(1'699'999'000'000);
  r->set_narrative("what happened, in the reporter's words");
  return env;
}

v1::Envelope Assessment(const std::string& reporter, const std::string& incident,
                        v1::Situation s, v1::Likelihood l) {
  v1::Envelope env = Base("as-" + incident, v1::TLP_AMBER);
  v1::Assessment* a = env.mutable_assessment();
  a->set_incident_id(incident);
  a->set_reporter(reporter);
  a->set_situation(s);
  a->set_likelihood(l);
  a->set_other_operators_at_risk(true);
  return env;
}

v1::Envelope Advisory(const std::string& id, v1::AdvisoryKind kind, v1::Severity severity) {
  v1::Envelope env = Base(id, v1::TLP_GREEN);
  v1::Advisory* a = env.mutable_advisory();
  a->set_kind(kind);
  a->set_severity(severity);
  a->set_title("Patch the VPN gateways");
  a->set_body("A flaw in widely used VPN gateways is being exploited.");
  return env;
}

v1::Envelope ToSector(v1::Envelope env, const std::string& sector) {
  env.mutable_advisory()->mutable_audience()->add_sectors(sector);
  return env;
}

v1::Envelope Relay(const std::string& sender, const v1::Envelope& original) {
  v1::Envelope env = Base("relay-" + original.message_id(), original.tlp());
  v1::Relay* r = env.mutable_relay();
  r->set_original_message_id(original.message_id());
  r->set_original_sender(sender);
  r->set_original_envelope(original.SerializeAsString());
  r->set_commentary("Members: please act on this today.");
  return env;
}

v1::Envelope Share(const std::string& id) {
  v1::Envelope env = Base(id, v1::TLP_GREEN);
  env.mutable_share()->set_title("Phishing wave against our customers");
  env.mutable_share()->set_body("Indicators attached.");
  return env;
}

v1::Envelope Ack(const std::string& sender, const std::string& id, v1::AckState state) {
  v1::Envelope env = Base("ack-" + id, v1::TLP_GREEN);
  v1::Acknowledgement* a = env.mutable_acknowledgement();
  a->set_message_sender(sender);
  a->set_message_id(id);
  a->set_state(state);
  a->set_comment("patched");
  return env;
}

void Reports(Corpus& c) {
  using namespace v1;
  c.Submit("report-operator-carrier-a",
           "carrier-a", Report("inc-1", "network_management", SITUATION_SERIOUS_FAILURE,
                               LIKELIHOOD_POSSIBLE_UNCLEAR), kAccepted);
  c.Submit("report-operator-megabank-a-d", "megabank-a",
           Report("inc-2", "core_banking", SITUATION_PRECURSOR, LIKELIHOOD_HIGH), kInvalid);
  v1::Envelope backdoor = Report("inc-3", "core_banking", SITUATION_PRECURSOR, LIKELIHOOD_HIGH);
  backdoor.mutable_report()->add_evidence(EVIDENCE_BACKDOOR);
  c.Submit("report-operator-megabank-a-precursor", "megabank-a", backdoor, kAccepted);
  v1::Envelope minor = Report("inc-4", "train_traffic_control", SITUATION_MINOR_FAILURE,
                              LIKELIHOOD_NEGLIGIBLE);
  minor.mutable_report()->mutable_impact()->set_max_delay_minutes(45);
  minor.mutable_report()->mutable_impact()->set_trains_cancelled(3);
  c.Submit("report-operator-railway-a-note2", "railway-a", minor, kAccepted);
  c.Submit("report-operator-city-b", "city-b",
           Report("inc-5", "other", SITUATION_ATTACK_CONFIRMED, LIKELIHOOD_CONFIRMED), kAccepted);
  v1::Envelope served = Report("inc-6", "other", SITUATION_SERIOUS_FAILURE, LIKELIHOOD_HIGH);
  served.mutable_report()->set_served_operator("megabank-a");
  c.Submit("report-provider-provider-a", "provider-a", served, kAccepted);
  c.Submit("report-ministry-fsa", "fsa",
           Report("inc-7", "other", SITUATION_MINOR_FAILURE, LIKELIHOOD_NEGLIGIBLE), kNotPermitted);
  c.Submit("report-association-jba", "jba",
           Report("inc-8", "other", SITUATION_MINOR_FAILURE, LIKELIHOOD_NEGLIGIBLE), kNotPermitted);
}

void Assessments(Corpus& c) {
  using namespace v1;
  c.Submit("assessment-ministry-fsa-d", "fsa",
           Assessment("megabank-a", "inc-3", SITUATION_PRECURSOR, LIKELIHOOD_HIGH), kAccepted);
  c.Submit("assessment-cabinet", "cabinet",
           Assessment("carrier-a", "inc-1", SITUATION_ATTACK_CONFIRMED, LIKELIHOOD_CONFIRMED),
           kAccepted);
  c.Submit("assessment-ministry-mic-wrong-sector", "mic",
           Assessment("megabank-a", "inc-3", SITUATION_PRECURSOR, LIKELIHOOD_HIGH), kWrongSector);
  c.Submit("assessment-operator-carrier-a", "carrier-a",
           Assessment("carrier-b", "inc-1", SITUATION_MINOR_FAILURE, LIKELIHOOD_NEGLIGIBLE),
           kNotPermitted);
}

void Advisories(Corpus& c) {
  using namespace v1;
  c.Submit("advisory-ministry-fsa-via-association", "fsa",
           ToSector(Advisory("adv-fin", ADVISORY_WARNING, SEVERITY_SEVERE), "finance"), kAccepted);
  c.Submit("advisory-ministry-mic-direct", "mic",
           ToSector(Advisory("adv-tel", ADVISORY_COUNTERMEASURE, SEVERITY_MODERATE), "telecom"),
           kAccepted);
  v1::Envelope everyone = Advisory("adv-all", ADVISORY_PREVENTION_NOTICE, SEVERITY_EXTREME);
  everyone.mutable_advisory()->mutable_audience()->set_everyone(true);
  c.Submit("advisory-cabinet-everyone", "cabinet", everyone, kAccepted);
  v1::Envelope named = Advisory("adv-pa", ADVISORY_WARNING, SEVERITY_MINOR);
  named.mutable_advisory()->mutable_audience()->add_nodes("power-a");
  c.Submit("advisory-ministry-meti-node", "meti", named, kAccepted);
  v1::Envelope update = ToSector(Advisory("adv-fin-2", ADVISORY_ALL_CLEAR, SEVERITY_SEVERE),
                                 "finance");
  update.mutable_advisory()->set_lifecycle(LIFECYCLE_CANCEL);
  update.mutable_advisory()->set_replaces("adv-fin");
  c.Submit("advisory-ministry-fsa-cancel", "fsa", update, kAccepted);
  v1::Envelope info = Advisory("sec-1", ADVISORY_SECURITY_INFORMATION, SEVERITY_MODERATE);
  info.set_tlp(TLP_CLEAR);  // the all. stream takes CLEAR only
  info.mutable_advisory()->mutable_audience()->set_everyone(true);
  c.Submit("advisory-vendor-vendor-x", "vendor-x", info, kAccepted);
  c.Submit("advisory-provider-provider-a", "provider-a", info, kNotPermitted);
  c.Submit("advisory-association-jba", "jba",
           ToSector(Advisory("adv-j", ADVISORY_WARNING, SEVERITY_MINOR), "finance"), kNotPermitted);
  c.Submit("advisory-operator-carrier-a", "carrier-a",
           ToSector(Advisory("adv-c", ADVISORY_WARNING, SEVERITY_MINOR), "telecom"), kNotPermitted);
}

void Relays(Corpus& c) {
  using namespace v1;
  const v1::Envelope fin = ToSector(Advisory("adv-fin", ADVISORY_WARNING, SEVERITY_SEVERE),
                                    "finance");
  c.Submit("relay-association-jba", "jba", Relay("fsa", fin), kAccepted);
  c.Submit("relay-association-jba-altered", "jba", Relay("fsa", fin), kMismatch, 2);
  c.Submit("relay-association-fepc", "fepc",
           Relay("meti", ToSector(Advisory("adv-el", ADVISORY_WARNING, SEVERITY_EXTREME),
                                  "electricity")), kAccepted);
  c.Submit("relay-association-jba-share", "jba", Relay("megabank-a", Share("share-fin")),
           kAccepted);
  c.Submit("relay-operator-megabank-a", "megabank-a", Relay("fsa", fin), kNotPermitted);
  v1::Envelope nested = Relay("jba", Relay("fsa", fin));
  c.Submit("relay-association-fisc-nested", "fisc", nested, kMismatch);
}

void SharesAndAcks(Corpus& c) {
  using namespace v1;
  c.Submit("share-operator-carrier-a", "carrier-a", Share("share-tel"), kAccepted);
  c.Submit("share-operator-megabank-a", "megabank-a", Share("share-fin"), kAccepted);
  c.Submit("share-operator-railway-a", "railway-a", Share("share-rail"),
           v1::REJECT_NO_PEER_SHARING);
  c.Submit("share-ministry-mic", "mic", Share("share-mic"), kNotPermitted);
  c.Submit("ack-operator-megabank-a-relayed", "megabank-a", Ack("fsa", "adv-fin", ACK_READ),
           kAccepted);
  c.Submit("ack-operator-carrier-a", "carrier-a", Ack("mic", "adv-tel", ACK_ACTED_ON), kAccepted);
  c.Submit("ack-operator-power-a-named", "power-a", Ack("meti", "adv-pa", ACK_RECEIVED),
           kAccepted, 4);
  c.Submit("ack-ministry-fsa-share", "fsa", Ack("megabank-a", "share-fin", ACK_READ),
           kUnknownRecipient);
  c.Submit("ack-operator-gas-a-missing", "gas-a", Ack("meti", "adv-x", ACK_READ),
           kUnknownRecipient, 1);
}

// TLP 2.0 (core/tlp.h) and the hub's clock (CheckTimes; fuzz_ingest's clock reads kT0).
void HandlingAndTimes(Corpus& c) {
  using namespace v1;
  v1::Envelope red = Advisory("adv-red", ADVISORY_WARNING, SEVERITY_SEVERE);
  red.set_tlp(TLP_RED);
  red.mutable_advisory()->mutable_audience()->add_nodes("carrier-a");
  c.Submit("tlp-red-advisory-to-node", "mic", red, kAccepted);
  red.mutable_advisory()->mutable_audience()->Clear();
  red.mutable_advisory()->mutable_audience()->add_sectors("telecom");
  c.Submit("tlp-red-advisory-to-sector", "mic", red, v1::REJECT_TLP);
  v1::Envelope amber = ToSector(Advisory("adv-amb", ADVISORY_WARNING, SEVERITY_SEVERE), "finance");
  amber.set_tlp(TLP_AMBER);
  c.Submit("tlp-amber-relay", "jba", Relay("fsa", amber), kAccepted);
  v1::Envelope looser = Relay("fsa", amber);
  looser.set_tlp(TLP_GREEN);
  c.Submit("tlp-relay-less-strict", "jba", looser, v1::REJECT_TLP);
  v1::Envelope future = Share("share-future");
  future.set_created_at_ms(1'700'000'000'000 + 3'600'000);
  c.Submit("time-created-ahead", "carrier-a", future, kInvalid);
  future.set_created_at_ms(1'700'000'000'000 - 40LL * 24 * 3'600'000);
  c.Submit("time-created-too-old", "carrier-a", future, kInvalid);
  v1::Envelope expired = ToSector(Advisory("adv-exp", ADVISORY_WARNING, SEVERITY_MINOR), "telecom");
  expired.mutable_advisory()->set_expires_at_ms(1'699'999'999'000);
  c.Submit("time-advisory-expired", "mic", expired, kInvalid);
  v1::Envelope notice = Base("notice-1", TLP_GREEN);
  notice.mutable_notice()->set_kind("relay_fallback");
  notice.mutable_notice()->set_subject("fsa/adv-fin");
  notice.mutable_notice()->set_text("only the hub sends notices");
  c.Submit("notice-from-node", "fsa", notice, kNotPermitted);
}

void OtherRequests(Corpus& c) {
  v1::IngestRequest r;
  r.mutable_hello()->set_client_version("renrakumo 0.1.0");
  c.Request("hello-operator", "carrier-a", r);
  r.Clear();
  r.mutable_ping()->set_sent_at_ms(1'700'000'000'000);
  c.Request("ping", "fsa", r);
  r.Clear();
  r.mutable_fetch()->set_stream("sector.finance.");
  r.mutable_fetch()->set_max_count(100);
  c.Request("fetch-sector", "megabank-a", r);
  r.mutable_fetch()->set_stream("node.fsa.");
  c.Request("fetch-foreign-inbox", "megabank-a", r);
  r.Clear();
  r.mutable_stream_ack()->set_stream("node.jba.");
  r.mutable_stream_ack()->set_seq(7);
  c.Request("stream-ack", "jba", r);
  r.Clear();
  r.mutable_get_message()->set_sender("fsa");
  r.mutable_get_message()->set_message_id("adv-fin");
  c.Request("get-message", "jba", r);
  r.Clear();
  r.mutable_status_query()->set_sender("fsa");
  r.mutable_status_query()->set_message_id("adv-fin");
  c.Request("status-query", "fsa", r);
  r.Clear();
  r.mutable_nodes_query();
  c.Request("nodes-query", "cabinet", r);
}

void EdgeCases(Corpus& c) {
  using namespace v1;
  c.SubmitBytes("empty-envelope", "carrier-a", "");
  c.Submit("no-body", "carrier-a", Base("m-1", TLP_CLEAR), kInvalid);
  v1::Envelope odd = Report("inc-9", "other", SITUATION_MINOR_FAILURE, LIKELIHOOD_NEGLIGIBLE);
  odd.set_tlp(static_cast<Tlp>(77));
  odd.mutable_report()->set_situation(static_cast<Situation>(99));
  odd.mutable_report()->set_likelihood(static_cast<Likelihood>(-3));
  odd.mutable_report()->set_phase(static_cast<ReportPhase>(1 << 20));
  c.Submit("unknown-enum-values", "carrier-a", odd, kInvalid);
  v1::Envelope long_id = Share(std::string(64, 'x'));
  c.Submit("id-at-limit", "carrier-a", long_id, kAccepted);
  long_id.set_message_id(std::string(65, 'x'));
  c.Submit("id-over-limit", "carrier-a", long_id, kInvalid);
  v1::Envelope title = Share("share-title");
  title.mutable_share()->set_title(std::string(301, 't'));
  c.Submit("title-over-limit", "carrier-a", title, kInvalid);
  // Invalid UTF-8 in a string field: written by hand, protobuf would not serialize it.
  std::string bad_utf8 = Share("share-utf8").SerializeAsString();
  bad_utf8 += std::string("\x72\x03\x0a\x01\xff", 5);  // share { title: "\xff" }
  c.SubmitBytes("invalid-utf8", "carrier-a", bad_utf8);
  const std::string whole = ToSector(Advisory("adv-t", ADVISORY_WARNING, SEVERITY_MINOR),
                                     "telecom").SerializeAsString();
  c.SubmitBytes("truncated-envelope", "mic", whole.substr(0, whole.size() / 2));
  v1::IngestRequest unknown;
  unknown.set_request_id(1);
  c.Raw("request-unknown-field", unknown.SerializeAsString() + std::string("\x92\x01\x00", 3));
  c.Raw("request-garbage", std::string("\xff\xff\xff\xff\x0f\x0a\x80", 7));
}

}  // namespace

std::vector<Seed> Seeds(const v1::Topology& topology) {
  Corpus c(topology);
  Reports(c);
  Assessments(c);
  Advisories(c);
  Relays(c);
  SharesAndAcks(c);
  HandlingAndTimes(c);
  OtherRequests(c);
  EdgeCases(c);
  return c.Take();
}

}  // namespace renrakumo::fuzz
