// Due deadlines turned into actions, with the sentences each party is sent. Due() only
// reads; Complete() closes the deadline so the same action is never produced again.
#include <algorithm>

#include "core/workflow.h"
#include "core/workflow_internal.h"

namespace renrakumo::core {
namespace {

using detail::AndList;
using detail::Uncovered;

std::string Within(const v1::Deadline& d) { return DurationWords(d.due_at_ms() - d.set_at_ms()); }

std::string SeverityPhrase(v1::Severity s) {
  return s == v1::SEVERITY_UNSPECIFIED ? "no severity given" : SeverityWord(s);
}

Action Start(ActionKind kind, const v1::Deadline& d) {
  Action a{kind, d, d.status(), v1::OBLIGATION_UNSPECIFIED, {}, {}, {}};
  return a;
}

void Tell(Action& a, const std::string& to, const std::string& text) {
  a.notices.push_back({to, DrillLabel(a.status) + text});
}

std::string NoticeWords(v1::Obligation notice, const std::string& column) {
  if (notice == v1::OBLIGATION_NOTIFY_CABINET_ATTACK_OCCURRED) return "attack has occurred";
  if (notice == v1::OBLIGATION_NOTIFY_CABINET_ATTACK_HIGHLY_LIKELY) return "attack highly likely";
  return "incident in " + column;
}

Action Escalation(const Rules& rules, const v1::IncidentRecord& rec, const v1::Deadline& d) {
  const bool automatic = d.kind() == v1::DEADLINE_KIND_AUTOMATIC_ESCALATION;
  Action a = Start(automatic ? ActionKind::kSendEscalation : ActionKind::kEscalationOverdue, d);
  a.cabinet_notice = CabinetNotice(rules, d.column());
  const std::string column = ColumnLabel(rules, d.column());
  const std::string notice = NoticeWords(a.cabinet_notice, column);
  const std::string what = "incident " + rec.incident_id() + " of " + rec.reporter() + " (" +
                           rec.sector() + " sector), classified " + CellWords(rec.cell()) +
                           ", column " + column;
  if (automatic) {
    Tell(a, rec.cabinet(),
         "escalation from " + rec.ministry() +
             ", sent automatically by the "
             "hub on its behalf: " +
             notice + ": " + what);
    Tell(a, rec.ministry(),
         "the hub notified the Cabinet Secretariat on your behalf (" + notice + ") of " + what +
             ", as rules.yaml escalation mode automatic "
             "requires");
    return a;
  }
  Tell(a, rec.ministry(),
       "reminder: " + what + " obliges you to notify the Cabinet Secretariat (" + notice +
           "); the notice was due within " + Within(d) + " and has not been sent");
  Tell(a, rec.cabinet(),
       "notice overdue: " + rec.ministry() + " has not notified you of " + what + " (" + notice +
           ") within " + Within(d) + "; the hub reminded it");
  return a;
}

const v1::SectorRelay* RelayFor(const v1::AdvisoryRecord& rec, const std::string& sector) {
  for (const v1::SectorRelay& sr : rec.relays())
    if (sr.sector() == sector) return &sr;
  return nullptr;
}

std::vector<std::string> LateAssociations(const v1::SectorRelay& sr) {
  std::vector<std::string> out;
  for (const v1::AssociationRelay& ar : sr.associations())
    if (!ar.relayed()) out.push_back(ar.association());
  return out;
}

// The members of one late association that the fallback reaches.
std::vector<std::string> ReachedFor(const v1::AssociationRelay& ar,
                                    const std::vector<std::string>& uncovered) {
  std::vector<std::string> out;
  for (const std::string& m : ar.members())
    if (detail::Contains(uncovered, m)) out.push_back(m);
  return out;
}

std::optional<Action> RelayFallback(const v1::AdvisoryRecord& rec, const v1::Deadline& d) {
  const v1::SectorRelay* sr = RelayFor(rec, d.party());
  if (sr == nullptr) return std::nullopt;
  Action a = Start(ActionKind::kRelayFallback, d);
  a.deliver_to = Uncovered(*sr);
  const std::string late = AndList(LateAssociations(*sr));
  const std::string severity = SeverityPhrase(rec.severity());
  a.delivery_note = DrillLabel(a.status) + "direct fallback: " + late + " did not relay this " +
                    "advisory from " + rec.issuer() + " within " + Within(d);
  Tell(a, rec.issuer(),
       "advisory " + rec.advisory_id() + " (" + severity + ") was not relayed to the " +
           sr->sector() + " sector by " + late + " within " + Within(d) +
           "; the hub delivered it directly to " + AndList(a.deliver_to) +
           ", marked as a direct fallback");
  for (const v1::AssociationRelay& ar : sr->associations()) {
    if (ar.relayed()) continue;
    Tell(a, ar.association(),
         "you did not relay advisory " + rec.advisory_id() + " from " + rec.issuer() + " (" +
             severity + ") to your members in the " + sr->sector() + " sector within " + Within(d) +
             "; the hub delivered it directly to " + AndList(ReachedFor(ar, a.deliver_to)) +
             ", marked as a direct fallback");
  }
  return a;
}

std::optional<Action> AcknowledgementReminder(const v1::AdvisoryRecord& rec,
                                              const v1::Deadline& d) {
  std::vector<std::string> waiting;
  for (const v1::Recipient& r : rec.recipients())
    if (!r.acknowledged()) waiting.push_back(r.node());
  if (waiting.empty()) return std::nullopt;
  Action a = Start(ActionKind::kAcknowledgementReminder, d);
  const std::string id = rec.advisory_id();
  for (const std::string& node : waiting)
    Tell(a, node,
         "please acknowledge advisory " + id + " from " + rec.issuer() + " (" +
             SeverityPhrase(rec.severity()) + "); it was due within " + Within(d));
  Tell(a, rec.issuer(),
       std::to_string(waiting.size()) + " of " + std::to_string(rec.recipients_size()) +
           " recipients have not acknowledged advisory " + id + " within " + Within(d) + ": " +
           AndList(waiting) + "; the hub reminded them");
  return a;
}

bool IsDue(const v1::Deadline& d, int64_t now_ms) {
  return d.state() == v1::DEADLINE_PENDING && d.due_at_ms() <= now_ms;
}

std::string ClosingWhy(const Action& a) {
  switch (a.kind) {
    case ActionKind::kSendEscalation:
      return "the hub notified the Cabinet Secretariat on " + a.deadline.party() + "'s behalf";
    case ActionKind::kEscalationOverdue:
      return "overdue: the hub reminded " + a.deadline.party() +
             " and told the Cabinet Secretariat";
    case ActionKind::kRelayFallback:
      return "not relayed in time: the hub delivered it directly to " + AndList(a.deliver_to);
    case ActionKind::kAcknowledgementReminder:
      return "the hub reminded " + std::to_string(a.notices.size() - 1) + " recipient(s)";
  }
  return "";
}

bool IsEscalationKind(v1::DeadlineKind k) {
  return k == v1::DEADLINE_KIND_AUTOMATIC_ESCALATION || k == v1::DEADLINE_KIND_MINISTRY_ESCALATION;
}

}  // namespace

std::vector<Action> Due(const Rules& rules, const WorkflowState& state, int64_t now_ms) {
  std::vector<Action> out;
  for (const auto& [key, rec] : state.incidents)
    for (const v1::Deadline& d : rec.deadlines())
      if (IsDue(d, now_ms) && IsEscalationKind(d.kind())) out.push_back(Escalation(rules, rec, d));
  for (const auto& [key, rec] : state.advisories) {
    for (const v1::Deadline& d : rec.deadlines()) {
      if (!IsDue(d, now_ms)) continue;
      std::optional<Action> a = d.kind() == v1::DEADLINE_KIND_RELAY
                                    ? RelayFallback(rec, d)
                                    : AcknowledgementReminder(rec, d);
      if (a) out.push_back(std::move(*a));
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const Action& a, const Action& b) {
    if (a.deadline.due_at_ms() != b.deadline.due_at_ms())
      return a.deadline.due_at_ms() < b.deadline.due_at_ms();
    return a.deadline.subject() < b.deadline.subject();
  });
  return out;
}

Touched Complete(WorkflowState& state, const Action& action, int64_t now_ms) {
  const v1::Deadline& id = action.deadline;
  if (IsEscalationKind(id.kind())) {
    auto it = state.incidents.find(id.subject());
    if (it == state.incidents.end()) return {};
    v1::IncidentRecord& rec = it->second;
    v1::Deadline* d =
        detail::FindPending(rec.mutable_deadlines(), id.kind(), id.party(), id.column());
    if (d == nullptr) return {};
    detail::CloseDeadline(d, v1::DEADLINE_ACTED, now_ms, ClosingWhy(action));
    if (action.kind == ActionKind::kSendEscalation &&
        !detail::Contains(rec.notified(), id.column()))
      rec.add_notified(id.column());
    return {{it->first}, {}};
  }
  auto it = state.advisories.find(id.subject());
  if (it == state.advisories.end()) return {};
  v1::AdvisoryRecord& rec = it->second;
  v1::Deadline* d = detail::FindPending(rec.mutable_deadlines(), id.kind(), id.party());
  if (d == nullptr) return {};
  detail::CloseDeadline(d, v1::DEADLINE_ACTED, now_ms, ClosingWhy(action));
  if (action.kind == ActionKind::kRelayFallback)
    for (v1::SectorRelay& sr : *rec.mutable_relays())
      if (sr.sector() == id.party())
        for (const std::string& node : action.deliver_to) sr.add_fallback_to(node);
  return {{}, {it->first}};
}

std::optional<int64_t> NextDueAt(const WorkflowState& state) {
  std::optional<int64_t> next;
  auto consider = [&](const v1::Deadline& d) {
    if (d.state() == v1::DEADLINE_PENDING && (!next || d.due_at_ms() < *next)) next = d.due_at_ms();
  };
  for (const auto& [key, rec] : state.incidents)
    for (const v1::Deadline& d : rec.deadlines()) consider(d);
  for (const auto& [key, rec] : state.advisories)
    for (const v1::Deadline& d : rec.deadlines()) consider(d);
  return next;
}

}  // namespace renrakumo::core
