// Incidents: reports and assessments change an incident's cell and keep every change; the
// escalation deadline follows the cell in and out of the columns that oblige a Cabinet notice.
#include "core/workflow.h"

#include <algorithm>

#include "core/workflow_internal.h"

namespace renrakumo::core {

namespace detail {

v1::Deadline* FindPending(Deadlines* deadlines, v1::DeadlineKind kind, std::string_view party,
                          v1::Likelihood column) {
  for (v1::Deadline& d : *deadlines)
    if (d.state() == v1::DEADLINE_PENDING && d.kind() == kind && d.party() == party &&
        d.column() == column)
      return &d;
  return nullptr;
}

void AddDeadline(Deadlines* deadlines, const NewDeadline& n) {
  v1::Deadline* d = deadlines->Add();
  d->set_kind(n.kind);
  d->set_subject(n.subject);
  d->set_party(n.party);
  d->set_column(n.column);
  d->set_set_at_ms(n.set_at_ms);
  d->set_due_at_ms(n.due_at_ms);
  d->set_status(n.status);
}

void CloseDeadline(v1::Deadline* d, v1::DeadlineState state, int64_t at_ms, std::string why) {
  if (d == nullptr || d->state() != v1::DEADLINE_PENDING) return;
  d->set_state(state);
  d->set_closed_at_ms(at_ms);
  d->set_closed_why(std::move(why));
}

std::string AndList(const std::vector<std::string>& items) {
  if (items.empty()) return "none";
  std::string out;
  for (size_t i = 0; i < items.size(); ++i)
    out += (i == 0 ? "" : i + 1 == items.size() ? " and " : ", ") + items[i];
  return out;
}

}  // namespace detail

namespace {

using detail::CloseDeadline;
using detail::Contains;

bool IsEscalation(const v1::Deadline& d) {
  return d.kind() == v1::DEADLINE_KIND_AUTOMATIC_ESCALATION ||
         d.kind() == v1::DEADLINE_KIND_MINISTRY_ESCALATION;
}

bool IsGovernment(const v1::Node& n) {
  return n.kind() == v1::NODE_KIND_MINISTRY || n.kind() == v1::NODE_KIND_CABINET;
}

void AddChange(v1::IncidentRecord& rec, const Filed& f, v1::ChangeSource source, const Cell& cell,
               const std::vector<std::string>& warnings) {
  v1::IncidentChange* c = rec.add_history();
  c->set_at_ms(f.at_ms);
  c->set_by(f.sender.id());
  c->set_source(source);
  *c->mutable_cell() = cell;
  c->set_message_id(f.envelope.message_id());
  if (f.envelope.has_report()) c->set_phase(f.envelope.report().phase());
  for (const auto& w : warnings) c->add_warnings(w);
  *rec.mutable_cell() = cell;
}

// Pending escalations for a column the incident is no longer in are not owed any more.
void WithdrawStaleEscalations(const Rules& rules, v1::IncidentRecord& rec, int64_t at_ms) {
  const v1::Likelihood now = rec.cell().likelihood();
  for (v1::Deadline& d : *rec.mutable_deadlines()) {
    if (!IsEscalation(d) || d.column() == now) continue;
    const bool still_notice = CabinetNotice(rules, now) != v1::OBLIGATION_UNSPECIFIED;
    CloseDeadline(&d, v1::DEADLINE_WITHDRAWN, at_ms,
                  std::string(still_notice ? "superseded" : "no longer owed") +
                      ": the incident moved from " + ColumnLabel(rules, d.column()) + " to " +
                      ColumnLabel(rules, now));
  }
}

void MarkNotified(v1::IncidentRecord& rec, v1::Likelihood column) {
  if (!Contains(rec.notified(), column)) rec.add_notified(column);
}

// The Cabinet already has the notice: its own assessment, a ministry's assessment (which
// routing delivers to it), or a report that went straight to it (a ministry's own system).
void NoticeGiven(v1::IncidentRecord& rec, v1::Likelihood column, int64_t at_ms,
                 const std::string& why) {
  MarkNotified(rec, column);
  for (v1::Deadline& d : *rec.mutable_deadlines())
    if (IsEscalation(d) && d.column() == column) CloseDeadline(&d, v1::DEADLINE_MET, at_ms, why);
}

std::string NoticeWhy(const v1::IncidentRecord& rec, const v1::Node& by) {
  if (by.kind() == v1::NODE_KIND_CABINET) return "the Cabinet Secretariat assessed it itself";
  if (by.kind() == v1::NODE_KIND_MINISTRY)
    return by.id() + " notified the Cabinet by its assessment";
  return "the report went to the Cabinet Secretariat directly (" + rec.reporter() +
         " reports to it)";
}

void UpdateEscalation(const Rules& rules, v1::IncidentRecord& rec, const Filed& f) {
  WithdrawStaleEscalations(rules, rec, f.at_ms);
  const v1::Likelihood column = rec.cell().likelihood();
  if (CabinetNotice(rules, column) == v1::OBLIGATION_UNSPECIFIED) return;
  if (IsGovernment(f.sender) || rec.ministry() == rec.cabinet()) {
    NoticeGiven(rec, column, f.at_ms, NoticeWhy(rec, f.sender));
    return;
  }
  if (Contains(rec.notified(), column)) return;
  const bool automatic = rules.escalation().mode() == v1::ESCALATION_MODE_AUTOMATIC;
  const v1::DeadlineKind kind =
      automatic ? v1::DEADLINE_KIND_AUTOMATIC_ESCALATION : v1::DEADLINE_KIND_MINISTRY_ESCALATION;
  if (detail::FindPending(rec.mutable_deadlines(), kind, rec.ministry(), column)) return;
  detail::AddDeadline(rec.mutable_deadlines(),
                      {kind, rec.key(), rec.ministry(), column, f.at_ms,
                       f.at_ms + EscalationDeadlineMs(rules), rec.status()});
}

std::string StatusWord(v1::MessageStatus s) {
  return s == v1::STATUS_EXERCISE ? "an exercise" : s == v1::STATUS_TEST ? "a test" : "real";
}

// Drills and real incidents never share a record, whichever came first.
std::optional<Rejection> CheckDrillStatus(const v1::IncidentRecord& rec, v1::MessageStatus status,
                                          std::string_view what) {
  if (IsDrill(rec.status()) == IsDrill(status)) return std::nullopt;
  return Rejection{v1::REJECT_INVALID_FIELD,
                   "incident '" + rec.incident_id() + "' of " + rec.reporter() + " is " +
                       StatusWord(rec.status()) + ", but this " + std::string(what) + " is " +
                       StatusWord(status) +
                       "; drills and real incidents never mix: use its own "
                       "incident id"};
}

// The same message applied twice (a replay after a restart) must not add history twice.
bool AlreadyApplied(const v1::IncidentRecord& rec, const Filed& f) {
  for (const v1::IncidentChange& c : rec.history())
    if (c.by() == f.sender.id() && c.message_id() == f.envelope.message_id()) return true;
  return false;
}

const v1::IncidentRecord* FindIncident(const WorkflowState& s, const std::string& key) {
  auto it = s.incidents.find(key);
  return it == s.incidents.end() ? nullptr : &it->second;
}

}  // namespace

std::string IncidentKey(std::string_view reporter, std::string_view incident_id) {
  return std::string(reporter) + "/" + std::string(incident_id);
}

std::string AdvisoryKey(std::string_view issuer, std::string_view message_id) {
  return std::string(issuer) + "/" + std::string(message_id);
}

bool IsDrill(v1::MessageStatus status) {
  return status == v1::STATUS_EXERCISE || status == v1::STATUS_TEST;
}

std::string DrillLabel(v1::MessageStatus status) {
  return status == v1::STATUS_EXERCISE ? "[exercise] " : status == v1::STATUS_TEST ? "[test] " : "";
}

std::optional<Rejection> CheckReport(const WorkflowState& state, const Filed& f) {
  const auto* rec =
      FindIncident(state, IncidentKey(f.sender.id(), f.envelope.report().incident_id()));
  if (rec == nullptr) return std::nullopt;
  return CheckDrillStatus(*rec, f.envelope.status(), "report");
}

Touched ApplyReport(const Rules& rules, const Topology& topology, WorkflowState& state,
                    const Filed& f, const Classification& classification) {
  if (f.sender.kind() != v1::NODE_KIND_OPERATOR) return {};
  const v1::IncidentReport& r = f.envelope.report();
  const std::string key = IncidentKey(f.sender.id(), r.incident_id());
  auto [it, fresh] = state.incidents.try_emplace(key);
  v1::IncidentRecord& rec = it->second;
  if (fresh) {
    rec.set_key(key);
    rec.set_incident_id(r.incident_id());
    rec.set_reporter(f.sender.id());
    rec.set_sector(f.sender.sector());
    if (const v1::Node* m = topology.supervisor_of(f.sender)) rec.set_ministry(m->id());
    if (const v1::Node* c = topology.cabinet()) rec.set_cabinet(c->id());
    rec.set_status(f.envelope.status());
    rec.set_opened_at_ms(f.at_ms);
  }
  if (AlreadyApplied(rec, f)) return {};
  AddChange(rec, f, v1::CHANGE_SOURCE_REPORT, classification.cell, classification.warnings);
  rec.set_closed(r.phase() == v1::PHASE_FINAL);
  UpdateEscalation(rules, rec, f);
  return {{key}, {}};
}

std::optional<Rejection> CheckAssessment(const Rules& rules, const WorkflowState& state,
                                         const Filed& f) {
  const v1::Assessment& a = f.envelope.assessment();
  const auto* rec = FindIncident(state, IncidentKey(a.reporter(), a.incident_id()));
  if (rec == nullptr)
    return Rejection{v1::REJECT_INVALID_FIELD,
                     "assessment names incident '" + a.incident_id() + "' of '" + a.reporter() +
                         "', which was never reported; assess an incident after its report"};
  if (auto bad = CheckCell(rules, MakeCell(a.situation(), a.likelihood()), "assessment"))
    return bad;
  return CheckDrillStatus(*rec, f.envelope.status(), "assessment");
}

Touched ApplyAssessment(const Rules& rules, WorkflowState& state, const Filed& f) {
  const v1::Assessment& a = f.envelope.assessment();
  const std::string key = IncidentKey(a.reporter(), a.incident_id());
  auto it = state.incidents.find(key);
  if (it == state.incidents.end() || AlreadyApplied(it->second, f)) return {};
  AddChange(it->second, f, v1::CHANGE_SOURCE_ASSESSMENT, MakeCell(a.situation(), a.likelihood()),
            {});
  UpdateEscalation(rules, it->second, f);
  return {{key}, {}};
}

std::vector<const v1::IncidentRecord*> OpenIncidents(const WorkflowState& state,
                                                     bool include_drills) {
  std::vector<const v1::IncidentRecord*> out;
  for (const auto& [key, rec] : state.incidents)
    if (!rec.closed() && (include_drills || !IsDrill(rec.status()))) out.push_back(&rec);
  std::stable_sort(out.begin(), out.end(), [](const auto* a, const auto* b) {
    return a->opened_at_ms() < b->opened_at_ms();
  });
  return out;
}

}  // namespace renrakumo::core
