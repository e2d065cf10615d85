// What the hub would already know when a fuzzed message arrives: the message a relay or an
// acknowledgement refers to, that message's relays, and the workflow records they opened.
// The journal is imagined from the submitted envelope itself (a relay carries its original's
// bytes; an acknowledgement names its original's sender), and every imagined message is put
// through CheckEnvelope and Route first, so the journal only ever holds what the hub would
// have accepted. No I/O: everything is built in memory per input.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/decision.h"
#include "core/journal.h"
#include "core/rules.h"
#include "core/topology.h"
#include "core/workflow.h"
#include "renrakumo/v1/messages.pb.h"

namespace renrakumo::fuzz {

// Loaded once from config/topology.yaml and config/rules.yaml, immutable afterwards.
struct World {
  core::Topology topology;
  core::Rules rules;
};

// The hub's clock for every imagined message: history at kT0 - n, the fuzzed message at kT0.
inline constexpr int64_t kT0 = 1'700'000'000'000;

// Variations picked by the bits of the request id above the sender choice, so the fuzzer
// explores them by mutating one varint. Zero (the seeds) is the ordinary case.
enum HistoryFlag : uint64_t {
  kNoHistory = 1 << 0,  // the referenced message (or the reported incident) does not exist
  kAltered = 1 << 1,    // the journal's copy of a relayed original differs from the relay's bytes
  kToNode = 1 << 2,     // an acknowledged advisory named the node, not its sector
  kNoRelays = 1 << 3,   // no association has relayed the acknowledged advisory yet
  kDrill = 1 << 4,      // history has the opposite drill status to the fuzzed message
};

struct History {
  std::optional<core::StoredMessage> referenced;
  std::vector<core::StoredMessage> relays;  // of `referenced`, for an acknowledgement
  core::WorkflowState workflow;
};

History ImagineHistory(const World& world, const v1::Node& sender, const v1::Envelope& env,
                       uint64_t flags);

struct Outcome {
  bool routed = false;                     // the checks before Route passed
  core::Decision route;                    // Route's answer, when routed
  std::optional<core::Rejection> refusal;  // the first check that refused; none: accepted
};

// The hub's decision on a parsed submit as hub/net/ingest.cpp takes it, minus idempotency:
// CheckEnvelope, CheckTimes (the hub's clock reads at_ms), Route, CheckHandling (TLP), then
// the workflow's checks; an accepted message is applied to `history.workflow`.
Outcome Decide(const World& world, History& history, const v1::Node& sender,
               const v1::Envelope& env, int64_t at_ms);

// The journal's record of an accepted message: deliveries numbered from 1.
core::StoredMessage Stored(const v1::Node& sender, const std::string& message_id,
                           const std::string& envelope, const core::Decision& decision,
                           int64_t at_ms);

}  // namespace renrakumo::fuzz
