#include "cli/compose.h"

namespace renrakumo::cli {

Result<v1::IncidentReport> ComposeReport(const ReportOptions& o) {
  v1::IncidentReport r;
  r.set_incident_id(o.incident_id);
  auto phase = ParseEnum<v1::ReportPhase>("--phase", o.phase);
  if (!phase) return Error{phase.error()};
  auto situation = ParseEnum<v1::Situation>("--situation", o.situation);
  if (!situation) return Error{situation.error()};
  auto likelihood = ParseEnum<v1::Likelihood>("--likelihood", o.likelihood);
  if (!likelihood) return Error{likelihood.error()};
  r.set_phase(*phase);
  r.set_situation(*situation);
  r.set_likelihood(*likelihood);
  if (!o.cause.empty()) {
    auto cause = ParseEnum<v1::CauseCategory>("--cause", o.cause);
    if (!cause) return Error{cause.error()};
    r.set_cause(*cause);
  }
  for (const auto& e : o.evidence) {
    auto ev = ParseEnum<v1::Evidence>("--evidence", e);
    if (!ev) return Error{ev.error()};
    r.add_evidence(*ev);
  }
  r.set_sector(o.sector);
  r.set_affected_system(o.system);
  r.set_narrative(o.narrative);
  r.set_contact(o.contact);
  r.set_location(o.location);
  r.set_response_status(o.response);
  r.set_served_operator(o.served_operator);
  r.set_cyber_cause_suspected(o.cyber_suspected);
  auto* impact = r.mutable_impact();
  impact->set_users_affected(o.users);
  impact->set_duration_minutes(o.duration_min);
  impact->set_supply_lost_kw(o.kw);
  impact->set_households_affected(o.households);
  impact->set_max_delay_minutes(o.delay_min);
  impact->set_trains_cancelled(o.cancelled);
  return r;
}

Result<v1::Advisory> ComposeAdvisory(const AdviseOptions& o) {
  v1::Advisory a;
  auto kind = ParseEnum<v1::AdvisoryKind>("--kind", o.kind);
  if (!kind) return Error{kind.error()};
  auto severity = ParseEnum<v1::Severity>("--severity", o.severity);
  if (!severity) return Error{severity.error()};
  auto lifecycle = ParseEnum<v1::AdvisoryLifecycle>("--lifecycle", o.lifecycle);
  if (!lifecycle) return Error{lifecycle.error()};
  a.set_kind(*kind);
  a.set_severity(*severity);
  a.set_lifecycle(*lifecycle);
  a.set_title(o.title);
  a.set_body(o.body);
  a.set_replaces(o.replaces);
  for (const auto& s : o.sectors) a.mutable_audience()->add_sectors(s);
  for (const auto& n : o.nodes) a.mutable_audience()->add_nodes(n);
  a.mutable_audience()->set_everyone(o.everyone);
  for (const auto& i : o.incidents) a.add_incident_refs(i);
  return a;
}

Result<v1::Assessment> ComposeAssessment(const AssessOptions& o) {
  v1::Assessment a;
  auto situation = ParseEnum<v1::Situation>("--situation", o.situation);
  if (!situation) return Error{situation.error()};
  auto likelihood = ParseEnum<v1::Likelihood>("--likelihood", o.likelihood);
  if (!likelihood) return Error{likelihood.error()};
  a.set_incident_id(o.incident_id);
  a.set_reporter(o.reporter);
  a.set_situation(*situation);
  a.set_likelihood(*likelihood);
  a.set_other_operators_at_risk(o.at_risk);
  a.set_notes(o.notes);
  return a;
}

Status FillEnvelope(v1::Envelope& env, const std::string& tlp, const std::string& status,
                    const std::string& message_id) {
  auto t = ParseEnum<v1::Tlp>("--tlp", tlp);
  if (!t) return Error{t.error()};
  auto s = ParseEnum<v1::MessageStatus>("--status", status);
  if (!s) return Error{s.error()};
  env.set_tlp(*t);
  env.set_status(*s);
  env.set_message_id(message_id);
  return Ok{};
}

}  // namespace renrakumo::cli
