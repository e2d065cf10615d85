#include "history.h"

#include <string>
#include <string_view>

#include "core/classify.h"
#include "core/envelope_check.h"
#include "core/route.h"
#include "core/tlp.h"

namespace renrakumo::fuzz {
namespace {

v1::MessageStatus Status(v1::MessageStatus fuzzed, uint64_t flags) {
  if ((flags & kDrill) == 0) return fuzzed;
  return core::IsDrill(fuzzed) ? v1::STATUS_ACTUAL : v1::STATUS_EXERCISE;
}

// Checks, classifies and applies an accepted message to the workflow, as the hub does after
// Route and CheckHandling; a rejection is what the hub answers instead of accepting.
std::optional<core::Rejection> File(const World& w, core::WorkflowState& state,
                                    const v1::Node& sender, const v1::Envelope& env,
                                    int64_t at_ms) {
  const core::Filed f{sender, env, at_ms};
  switch (env.body_case()) {
    case v1::Envelope::kReport: {
      const v1::Sector* sector = w.topology.sector(sender.sector());
      if (sector == nullptr) return std::nullopt;  // Route accepts reports from sector members only
      const core::Classification c = core::Classify(w.rules, *sector, env.report());
      if (!c.valid) return c.rejection;
      if (auto bad = core::CheckReport(state, f)) return bad;
      core::ApplyReport(w.rules, w.topology, state, f, c);
      return std::nullopt;
    }
    case v1::Envelope::kAssessment:
      if (auto bad = core::CheckAssessment(w.rules, state, f)) return bad;
      core::ApplyAssessment(w.rules, state, f);
      return std::nullopt;
    case v1::Envelope::kAdvisory: core::ApplyAdvisory(w.rules, w.topology, state, f); break;
    case v1::Envelope::kRelay: core::ApplyRelay(state, f); break;
    case v1::Envelope::kAcknowledgement: core::ApplyAcknowledgement(w.rules, state, f); break;
    default: break;
  }
  return std::nullopt;
}

Outcome DecideWith(const World& w, core::WorkflowState& state, const v1::Node& sender,
                   const v1::Envelope& env, const core::StoredMessage* referenced,
                   const std::vector<core::StoredMessage>* relays, int64_t at_ms) {
  Outcome out;
  out.refusal = core::CheckEnvelope(env);
  if (!out.refusal) out.refusal = core::CheckTimes(env, at_ms);
  if (out.refusal) return out;
  out.routed = true;
  out.route = core::Route(w.topology, {sender, env, referenced, relays});
  if (!out.route.accepted) out.refusal = out.route.rejection;
  if (!out.refusal)
    out.refusal = core::CheckHandling(w.topology, sender, env, out.route,
                                      env.has_relay() ? referenced : nullptr);
  if (!out.refusal) out.refusal = File(w, state, sender, env, at_ms);
  return out;
}

// Submits `env` from `sender_id` as the hub would (and files it in the workflow); the
// journal's record if the hub accepted it.
std::optional<core::StoredMessage> Submit(const World& w, History& h, std::string_view sender_id,
                                          const v1::Envelope& env, const std::string& bytes,
                                          const core::StoredMessage* referenced, int64_t at_ms) {
  const v1::Node* sender = w.topology.node(sender_id);
  if (sender == nullptr) return std::nullopt;
  const Outcome o = DecideWith(w, h.workflow, *sender, env, referenced, nullptr, at_ms);
  if (o.refusal) return std::nullopt;
  return Stored(*sender, env.message_id(), bytes, o.route, at_ms);
}

// A relay: the journal holds the original it carries, accepted from the named sender.
void RelayHistory(const World& w, const v1::Relay& r, uint64_t flags, History& h) {
  v1::Envelope original;
  if (!original.ParseFromString(r.original_envelope())) return;
  h.referenced = Submit(w, h, r.original_sender(), original, r.original_envelope(), nullptr,
                        kT0 - 2);
  // Found under the relay's id, so a different id means different bytes in the journal.
  if (h.referenced && ((flags & kAltered) != 0 || original.message_id() != r.original_message_id()))
    h.referenced->envelope.push_back('\x01');
}

// The message an acknowledgement names, as its sender would plausibly have sent it.
v1::Envelope Original(const v1::Node& issuer, const v1::Node& acker,
                      const v1::Acknowledgement& a, v1::MessageStatus status, uint64_t flags) {
  v1::Envelope env;
  env.set_message_id(a.message_id());
  env.set_tlp(v1::TLP_GREEN);
  env.set_status(status);
  const bool government =
      issuer.kind() == v1::NODE_KIND_MINISTRY || issuer.kind() == v1::NODE_KIND_CABINET;
  if (!government && !issuer.vendor()) {
    env.mutable_share()->set_title("imagined share");
    return env;
  }
  v1::Advisory* adv = env.mutable_advisory();
  adv->set_title("imagined advisory");
  adv->set_severity(static_cast<v1::Severity>((flags >> 5) % 5));
  if (issuer.vendor()) {
    env.set_tlp(v1::TLP_CLEAR);  // the all. stream takes CLEAR only
    adv->set_kind(v1::ADVISORY_SECURITY_INFORMATION);
    adv->mutable_audience()->set_everyone(true);
  } else if ((flags & kToNode) != 0 || acker.sector().empty()) {
    adv->set_kind(v1::ADVISORY_WARNING);
    adv->mutable_audience()->add_nodes(acker.id());
  } else {
    adv->set_kind(v1::ADVISORY_WARNING);
    adv->mutable_audience()->add_sectors(acker.sector());
  }
  return env;
}

// Every association the original reached relays it, unless kNoRelays.
void Relays(const World& w, const v1::Acknowledgement& a, const std::string& bytes,
            uint64_t flags, History& h) {
  if ((flags & kNoRelays) != 0) return;
  int n = 0;
  for (const core::Position& p : h.referenced->deliveries) {
    if (p.stream.size() < 7 || p.stream.compare(0, 5, "node.") != 0) continue;
    const v1::Node* assoc = w.topology.node(p.stream.substr(5, p.stream.size() - 6));
    if (assoc == nullptr || assoc->kind() != v1::NODE_KIND_ASSOCIATION) continue;
    v1::Envelope relay;
    relay.set_message_id("relay-" + std::to_string(++n));
    relay.set_tlp(v1::TLP_GREEN);
    v1::Relay* r = relay.mutable_relay();
    r->set_original_message_id(a.message_id());
    r->set_original_sender(a.message_sender());
    r->set_original_envelope(bytes);
    if (auto m = Submit(w, h, assoc->id(), relay, relay.SerializeAsString(), &*h.referenced,
                        kT0 - 1))
      h.relays.push_back(std::move(*m));
  }
}

void AcknowledgementHistory(const World& w, const v1::Node& acker, const v1::Envelope& env,
                            uint64_t flags, History& h) {
  const v1::Acknowledgement& a = env.acknowledgement();
  const v1::Node* issuer = w.topology.node(a.message_sender());
  if (issuer == nullptr) return;
  const v1::Envelope original = Original(*issuer, acker, a, Status(env.status(), flags), flags);
  const std::string bytes = original.SerializeAsString();
  h.referenced = Submit(w, h, issuer->id(), original, bytes, nullptr, kT0 - 2);
  if (h.referenced) Relays(w, a, bytes, flags, h);
}

// A report the assessment (or a later phase of a report) follows.
void IncidentHistory(const World& w, std::string_view reporter, std::string_view incident_id,
                     const v1::Envelope& env, uint64_t flags, History& h) {
  v1::Envelope report;
  report.set_message_id("report-0");
  report.set_tlp(v1::TLP_AMBER);
  report.set_status(Status(env.status(), flags));
  v1::IncidentReport* r = report.mutable_report();
  r->set_incident_id(std::string(incident_id));
  r->set_phase(v1::PHASE_FLASH);
  r->set_situation(v1::SITUATION_SERIOUS_FAILURE);
  r->set_likelihood(v1::LIKELIHOOD_POSSIBLE_UNCLEAR);
  r->set_affected_system("other");
  (void)Submit(w, h, reporter, report, report.SerializeAsString(), nullptr, kT0 - 2);
}

}  // namespace

core::StoredMessage Stored(const v1::Node& sender, const std::string& message_id,
                           const std::string& envelope, const core::Decision& decision,
                           int64_t at_ms) {
  core::StoredMessage m{sender.id(), message_id, at_ms, decision.kind, envelope, {}, {}};
  uint64_t seq = 0;
  for (const core::PlannedDelivery& p : decision.deliveries)
    m.deliveries.push_back({p.stream, ++seq});
  return m;
}

History ImagineHistory(const World& w, const v1::Node& sender, const v1::Envelope& env,
                       uint64_t flags) {
  History h;
  if ((flags & kNoHistory) != 0) return h;
  switch (env.body_case()) {
    case v1::Envelope::kRelay: RelayHistory(w, env.relay(), flags, h); break;
    case v1::Envelope::kAcknowledgement: AcknowledgementHistory(w, sender, env, flags, h); break;
    case v1::Envelope::kAssessment:
      IncidentHistory(w, env.assessment().reporter(), env.assessment().incident_id(), env, flags,
                      h);
      break;
    case v1::Envelope::kReport:
      IncidentHistory(w, sender.id(), env.report().incident_id(), env, flags, h);
      break;
    default: break;
  }
  return h;
}

Outcome Decide(const World& w, History& h, const v1::Node& sender, const v1::Envelope& env,
               int64_t at_ms) {
  return DecideWith(w, h.workflow, sender, env, h.referenced ? &*h.referenced : nullptr,
                    &h.relays, at_ms);
}

}  // namespace renrakumo::fuzz
