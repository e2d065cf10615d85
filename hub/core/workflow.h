// The incident workflow (domain.md §4–§5, issue 4) as a pure state machine with durable
// deadlines. The event loop feeds it every accepted report, assessment, advisory, relay and
// acknowledgement with the time the hub accepted it; it asks Due(now) what the rules require
// the hub to do, does it, and calls Complete() so the action is never taken twice. No clock,
// no journal: records (proto/renrakumo/v1/workflow.proto) are values; the hub rebuilds them at
// start-up by replaying the journal's messages through the same Apply functions.
//
// Drills: a record keeps the status of the message that opened it. Exercise and test
// incidents and advisories run the same deadlines, and every action they cause carries that
// status and a label, so a drill never escalates as real.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/classify.h"
#include "core/decision.h"
#include "core/rules.h"
#include "core/topology.h"
#include "renrakumo/v1/messages.pb.h"
#include "renrakumo/v1/workflow.pb.h"

namespace renrakumo::core {

// "<reporter>/<incident_id>": incident ids are the reporter's own, so two operators may
// both have an "inc-1". "<issuer>/<message_id>": how a relay or acknowledgement names it.
std::string IncidentKey(std::string_view reporter, std::string_view incident_id);
std::string AdvisoryKey(std::string_view issuer, std::string_view message_id);

// Exercise and test messages (CAP status) are drills; unspecified counts as actual.
bool IsDrill(v1::MessageStatus status);
// "[exercise] ", "[test] " or "": the prefix of every sentence a drill causes.
std::string DrillLabel(v1::MessageStatus status);

struct WorkflowState {
  std::map<std::string, v1::IncidentRecord> incidents;   // by IncidentKey
  std::map<std::string, v1::AdvisoryRecord> advisories;  // by AdvisoryKey
};

// One message the hub accepted (CheckEnvelope and Route said yes).
struct Filed {
  const v1::Node& sender;  // the authenticated node
  const v1::Envelope& envelope;
  int64_t at_ms;  // the hub's accepted_at_ms: every deadline counts from it
};

// The records an Apply or Complete changed (for a store that keeps records; the hub replays).
struct Touched {
  std::vector<std::string> incidents;
  std::vector<std::string> advisories;
};

// --- Incidents ---------------------------------------------------------------------------

// A report on an existing incident must keep its drill status: a drill never turns real.
[[nodiscard]] std::optional<Rejection> CheckReport(const WorkflowState& state, const Filed& f);

// An operator's report (any phase) after Classify() said valid: opens or updates the
// incident with classification.cell, and starts an escalation deadline when the cell's
// column obliges a Cabinet notice. Providers' reports are not incidents: nothing changes.
Touched ApplyReport(const Rules& rules, const Topology& topology, WorkflowState& state,
                    const Filed& f, const Classification& classification);

// The incident must exist, the cell be in the matrix, and the drill status match.
[[nodiscard]] std::optional<Rejection> CheckAssessment(const Rules& rules,
                                                       const WorkflowState& state, const Filed& f);

// A ministry's or the Cabinet's assessment re-classifies the incident. A ministry's
// assessment in a column that obliges a Cabinet notice is that notice (routing delivers it
// to the Cabinet), and the Cabinet's own assessment needs none: either meets the deadline.
Touched ApplyAssessment(const Rules& rules, WorkflowState& state, const Filed& f);

// Incidents not closed by a final report, oldest first; drills only when asked for.
std::vector<const v1::IncidentRecord*> OpenIncidents(const WorkflowState& state,
                                                     bool include_drills);

// --- Advisories --------------------------------------------------------------------------

// A ministry's or the Cabinet's advisory: a relay deadline per via-association sector of its
// audience and one acknowledgement deadline for every final recipient. An update or cancel
// withdraws the deadlines of the advisory it replaces. Vendors' information is not watched.
Touched ApplyAdvisory(const Rules& rules, const Topology& topology, WorkflowState& state,
                      const Filed& f);

// An association's relay of a watched advisory; the relay deadline is met once every member
// of the sector is covered by an association that relayed.
Touched ApplyRelay(WorkflowState& state, const Filed& f);

// A recipient's acknowledgement, of the original or of an association's relay of it; counts
// when at least rules.acknowledged_at_least. The deadline is met when everyone acknowledged.
Touched ApplyAcknowledgement(const Rules& rules, WorkflowState& state, const Filed& f);

// --- Deadlines ---------------------------------------------------------------------------

enum class ActionKind {
  kSendEscalation,           // automatic mode: notify the Cabinet on the ministry's behalf
  kEscalationOverdue,        // ministry mode: remind the ministry, tell the Cabinet it is overdue
  kRelayFallback,            // deliver the advisory directly to `deliver_to`, marked fallback
  kAcknowledgementReminder,  // remind those who have not acknowledged, tell the issuer who
};

// A sentence for one node. Drill sentences already carry DrillLabel().
struct Notice {
  std::string to;
  std::string text;
};

struct Action {
  ActionKind kind;
  v1::Deadline deadline;     // the deadline it discharges; its subject is the record key
  v1::MessageStatus status;  // give the hub's own messages for this action this status
  v1::Obligation cabinet_notice = v1::OBLIGATION_UNSPECIFIED;  // escalations: which notice
  std::vector<std::string> deliver_to;  // relay fallback: operators to deliver the original to
  std::string delivery_note;            // relay fallback: the note on those deliveries
  std::vector<Notice> notices;          // everyone the hub tells, and what
};

// What the rules require now: one action per pending deadline due at or before now_ms,
// ordered by due time. Pure and repeatable: nothing is taken until Complete().
std::vector<Action> Due(const Rules& rules, const WorkflowState& state, int64_t now_ms);

// Marks the action's deadline acted on (and, for an automatic escalation, the column
// notified). Idempotent: completing an action twice changes nothing the second time.
Touched Complete(WorkflowState& state, const Action& action, int64_t now_ms);

// When the next pending deadline falls due: the event loop's next timer.
std::optional<int64_t> NextDueAt(const WorkflowState& state);

}  // namespace renrakumo::core
