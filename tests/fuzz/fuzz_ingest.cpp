// libFuzzer target over the hub's data plane as hub/net/ingest.cpp runs it, minus the
// sockets, the journal and the clock: bytes -> IngestRequest -> Envelope -> signatures ->
// CheckEnvelope -> CheckTimes -> Route -> CheckHandling (TLP) -> the incident workflow and
// its deadlines.
// Everything on that path is pure core, so a crash, leak, hang or UB report here is one a
// hostile (authenticated) node could cause.
//
// Input: one serialized renrakumo.v1.IngestRequest, as a node sends it. The sender is not in
// the bytes (the hub takes it from CURVE): it is nodes[request_id % nodes] of the sample
// topology, and request_id / nodes picks the imagined history (history.h). Beyond "no crash",
// the target checks what callers rely on (Check below): e.g. an accepted message's streams
// exist and are distinct, and a node may read exactly the streams it is told about.
#include <google/protobuf/stubs/logging.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>

#include "config/load.h"
#include "config/signing.h"
#include "config/rules_load.h"
#include "core/envelope_check.h"
#include "core/recipients.h"
#include "core/route.h"
#include "core/streams.h"
#include "core/submit_frame.h"
#include "history.h"
#include "renrakumo/v1/wire.pb.h"

namespace renrakumo::fuzz {
namespace {

const World* world = nullptr;
const config::Signer* signer = nullptr;  // a fixed key: the round trip below must verify

void Check(bool ok, const char* invariant) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_ingest: invariant broken: %s\n", invariant);
  std::abort();
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "fuzz_ingest: %s\n", what.c_str());
  std::exit(2);
}

const World* LoadWorld() {
  const char* env = std::getenv("RENRAKUMO_CONFIG_DIR");
  const std::string dir = env != nullptr ? env : RENRAKUMO_SOURCE_DIR "/config";
  Result<config::LoadedTopology> topology = config::LoadTopology(dir + "/topology.yaml", "");
  if (!topology) Die(topology.error());
  Result<v1::Rules> rules = config::LoadRules(dir + "/rules.yaml");
  if (!rules) Die(rules.error());
  return new World{core::Topology(std::move(topology).value().topology), std::move(rules).value()};
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// "all.", "node.<existing node>." or "sector.<existing sector>.".
bool KnownStream(const core::Topology& t, std::string_view s) {
  if (s == core::kAllStream) return true;
  if (s.empty() || s.back() != '.') return false;
  if (StartsWith(s, "node.")) return t.node(s.substr(5, s.size() - 6)) != nullptr;
  if (StartsWith(s, "sector.")) return t.sector(s.substr(7, s.size() - 8)) != nullptr;
  return false;
}

void CheckDecision(const core::Topology& t, const v1::Envelope& env, const core::Decision& d) {
  if (!d.accepted) {
    Check(d.rejection.code != v1::REJECT_UNSPECIFIED, "a rejection has a code");
    Check(!d.rejection.reason.empty(), "a rejection has a reason");
    return;
  }
  Check(d.kind == core::BodyKind(env), "an accepted message's kind is its body's");
  std::set<std::string> streams;
  for (const core::PlannedDelivery& p : d.deliveries) {
    Check(streams.insert(p.stream).second, "each stream gets a message at most once");
    Check(KnownStream(t, p.stream), "deliveries go to streams of the topology");
  }
}

// The event loop's timers, run to exhaustion: every due action is completed exactly once.
void RunDeadlines(const World& w, core::WorkflowState& state) {
  for (int round = 0; round < 64; ++round) {
    const std::optional<int64_t> next = core::NextDueAt(state);
    if (!next) return;
    const std::vector<core::Action> due = core::Due(w.rules, state, *next);
    Check(!due.empty(), "NextDueAt names a time when something is due");
    for (const core::Action& a : due) core::Complete(state, a, *next);
  }
  Check(false, "deadlines settle: completing what is due leaves nothing due again and again");
}

// The signature check reads hostile bytes at the wire-format level: whatever it is given,
// the part it says a signature covers must decode as the same message without field 20, and
// signing any decodable envelope must give bytes that verify.
void Signatures(const v1::Node& sender, const std::string& bytes, const v1::Envelope& env) {
  const std::vector<std::string> keys(sender.signing_keys().begin(), sender.signing_keys().end());
  const config::Verification v = config::VerifyEnvelope(bytes, keys, sender.id());
  Check(v.verdict == config::Verdict::kValid || !v.reason.empty(), "a failed check says why");
  Result<std::string> part = config::SignedPart(bytes);
  if (!part) return;
  v1::Envelope stripped;
  Check(stripped.ParseFromString(*part), "the signed part of a decodable envelope decodes");
  Check(!stripped.has_signature(), "the signed part holds no signature");
  Check(stripped.message_id() == env.message_id(), "stripping the signature keeps the message");
  if (!env.has_advisory() && !env.has_relay()) return;  // signing costs; keep the rate up
  Result<std::string> resigned = signer->Sign(bytes);
  Check(resigned.ok(), "a decodable envelope can be signed");
  Check(config::VerifyEnvelope(*resigned, {signer->public_key()}, "fuzz").verdict ==
            config::Verdict::kValid,
        "what was just signed verifies");
}

void Submit(const World& w, const v1::Node& sender, const std::string& bytes, uint64_t flags) {
  v1::Envelope env;
  if (!env.ParseFromString(bytes)) return;  // REJECT_MALFORMED
  Signatures(sender, bytes, env);
  History h = ImagineHistory(w, sender, env, flags);
  const Outcome o = Decide(w, h, sender, env, kT0);
  if (o.refusal) {
    Check(o.refusal->code != v1::REJECT_UNSPECIFIED, "a refusal has a code");
    Check(!o.refusal->reason.empty(), "a refusal has a reason");
  }
  if (!o.routed) return;
  CheckDecision(w.topology, env, o.route);
  if (h.referenced) (void)core::IntendedRecipients(w.topology, *h.referenced, h.relays);
  if (o.refusal) return;
  // A status query about the accepted message, then the event loop's timers.
  (void)core::IntendedRecipients(w.topology, Stored(sender, env.message_id(), bytes, o.route, kT0),
                                 {});
  RunDeadlines(w, h.workflow);
}

void Streams(const core::Topology& t, const v1::Node& sender, const std::string& stream) {
  const std::vector<std::string> readable = core::ReadableStreams(t, sender);
  for (const std::string& s : readable)
    Check(core::MayRead(t, sender, s), "Welcome's streams are readable");
  if (core::MayRead(t, sender, stream))
    Check(std::find(readable.begin(), readable.end(), stream) != readable.end(),
          "a node reads only the streams its Welcome lists");
}

}  // namespace
}  // namespace renrakumo::fuzz

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  google::protobuf::SetLogHandler(nullptr);  // no I/O per input: parse errors are expected
  renrakumo::fuzz::world = renrakumo::fuzz::LoadWorld();
  renrakumo::fuzz::signer = new renrakumo::config::Signer(
      *renrakumo::config::Signer::FromSeed(renrakumo::config::GenerateSigningKeyPair().secret_z85));
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace renrakumo;
  const fuzz::World& w = *fuzz::world;
  v1::IngestRequest req;
  const bool parsed = req.ParseFromArray(data, static_cast<int>(size));
  // The hub's Submit fast path reads what the full parse reads, or declines.
  if (const auto fast = core::FindSubmit({reinterpret_cast<const char*>(data), size})) {
    fuzz::Check(parsed && req.has_submit(), "a frame FindSubmit reads parses as a Submit");
    fuzz::Check(fast->request_id == req.request_id(), "FindSubmit reads the request id");
    fuzz::Check(fast->envelope == req.submit().envelope(), "FindSubmit reads the envelope");
  }
  if (!parsed) return 0;  // REJECT_MALFORMED
  const auto nodes = static_cast<uint64_t>(w.topology.config().nodes_size());
  const v1::Node& sender = w.topology.config().nodes(static_cast<int>(req.request_id() % nodes));
  const uint64_t flags = req.request_id() / nodes;
  switch (req.request_case()) {
    case v1::IngestRequest::kSubmit: fuzz::Submit(w, sender, req.submit().envelope(), flags); break;
    case v1::IngestRequest::kFetch: fuzz::Streams(w.topology, sender, req.fetch().stream()); break;
    case v1::IngestRequest::kStreamAck:
      fuzz::Streams(w.topology, sender, req.stream_ack().stream());
      break;
    case v1::IngestRequest::kHello: fuzz::Streams(w.topology, sender, ""); break;
    default: break;  // ping, get_message, status_query, nodes_query: journal look-ups only
  }
  return 0;
}
