// The seed's incident workflow inside the hub: reports are classified (matrix, notes 1 and 2)
// before they are accepted, every accepted message updates the incidents and advisories it
// concerns, and the state is rebuilt from the journal at start-up (the journal is the record).
#include <spdlog/spdlog.h>

#include "core/classify.h"
#include "core/envelope_check.h"
#include "net/hub.h"
#include "renrakumo/v1/messages.pb.h"
#include "renrakumo/v1/workflow.pb.h"

namespace renrakumo::net {

Status Hub::RebuildWorkflow() {
  // With retention on, the journal holds a snapshot saved before the last prune: start from
  // it and replay only what came after, since what came before may be gone.
  auto snapshot = journal_->LoadWorkflowSnapshot();
  if (!snapshot) return Error{"cannot rebuild the incident workflow: " + snapshot.error()};
  int64_t after = 0;
  if (*snapshot) {
    v1::WorkflowSnapshot saved;
    if (!saved.ParseFromString((*snapshot)->state))
      return Error{"cannot rebuild the incident workflow: the journal's workflow snapshot does "
                   "not decode (written by a newer hub?). Restore the journal from backup"};
    for (auto& r : *saved.mutable_incidents()) workflow_.incidents[r.key()] = std::move(r);
    for (auto& r : *saved.mutable_advisories()) workflow_.advisories[r.key()] = std::move(r);
    after = (*snapshot)->upto;
  }
  size_t applied = 0;
  auto scanned = journal_->ScanMessages(
      [&](const core::StoredMessage& m) {
        const v1::Node* node = options_.topology->node(m.sender);
        v1::Envelope env;
        if (node == nullptr || !env.ParseFromString(m.envelope)) return;  // removed since
        ApplyWorkflow(*node, env, m.accepted_at_ms);
        ++applied;
      },
      after);
  if (!scanned) return Error{"cannot rebuild the incident workflow: " + scanned.error()};
  spdlog::get("hub.route")->info(
      "workflow rebuilt from {}{} journalled messages: {} incidents, {} advisories",
      *snapshot ? "the snapshot of the last prune and " : "", applied, workflow_.incidents.size(),
      workflow_.advisories.size());
  return Ok{};
}

Status Hub::SaveWorkflowSnapshot() {
  v1::WorkflowSnapshot snapshot;
  for (const auto& [key, r] : workflow_.incidents) *snapshot.add_incidents() = r;
  for (const auto& [key, r] : workflow_.advisories) *snapshot.add_advisories() = r;
  return journal_->SaveWorkflowSnapshot(snapshot.SerializeAsString());
}

std::optional<core::Rejection> Hub::CheckWorkflow(const v1::Node& node, const v1::Envelope& env,
                                                  std::vector<std::string>& warnings) const {
  const core::Filed filed{node, env, 0};
  if (options_.rules.matrix().empty()) return std::nullopt;  // routing-only hub (tests, bench)
  if (env.has_report() && node.kind() == v1::NODE_KIND_OPERATOR) {
    const v1::Sector* sector = options_.topology->sector(node.sector());
    const auto c = core::Classify(options_.rules, *sector, env.report());
    if (!c.valid) return c.rejection;
    if (auto bad = core::CheckReport(workflow_, filed)) return bad;
    warnings = c.warnings;
  }
  if (env.has_assessment()) return core::CheckAssessment(options_.rules, workflow_, filed);
  return std::nullopt;
}

void Hub::ApplyWorkflow(const v1::Node& node, const v1::Envelope& env, int64_t at_ms) {
  if (options_.rules.matrix().empty()) return;
  const core::Filed filed{node, env, at_ms};
  const auto& rules = options_.rules;
  const auto& topology = *options_.topology;
  switch (env.body_case()) {
    case v1::Envelope::kReport:
      if (node.kind() == v1::NODE_KIND_OPERATOR)
        if (const v1::Sector* sector = topology.sector(node.sector())) {
          const auto c = core::Classify(rules, *sector, env.report());
          if (c.valid) core::ApplyReport(rules, topology, workflow_, filed, c);
        }
      return;
    case v1::Envelope::kAssessment: core::ApplyAssessment(rules, workflow_, filed); return;
    case v1::Envelope::kAdvisory: core::ApplyAdvisory(rules, topology, workflow_, filed); return;
    case v1::Envelope::kRelay: core::ApplyRelay(workflow_, filed); return;
    case v1::Envelope::kAcknowledgement: core::ApplyAcknowledgement(rules, workflow_, filed); return;
    default: return;
  }
}

void Hub::HandleIncidentsQuery(const std::string& routing_id, const v1::Node& node,
                               uint64_t request_id, const v1::IncidentsQuery& query) {
  const auto& t = *options_.topology;
  // Only as far as necessary (2001 rules): operators see their own, ministries their
  // sectors', the Cabinet Secretariat everything.
  auto may_see = [&](const v1::IncidentRecord& r) {
    switch (node.kind()) {
      case v1::NODE_KIND_CABINET: return true;
      case v1::NODE_KIND_MINISTRY: return r.ministry() == node.id() || t.supervises(node.id(), r.sector());
      case v1::NODE_KIND_OPERATOR: return r.reporter() == node.id();
      default: return false;
    }
  };
  v1::IngestReply reply;
  reply.set_request_id(request_id);
  auto* list = reply.mutable_incident_list();
  if (!query.incident_id().empty()) {
    const std::string reporter = query.reporter().empty() ? node.id() : query.reporter();
    auto it = workflow_.incidents.find(core::IncidentKey(reporter, query.incident_id()));
    if (it == workflow_.incidents.end() || !may_see(it->second)) {
      Reject(routing_id, request_id, "", v1::REJECT_UNKNOWN_RECIPIENT,
             "no incident '" + query.incident_id() + "' reported by '" + reporter +
                 "' that you may see");
      return;
    }
    *list->add_incidents() = it->second;
  } else {
    for (const auto& [key, r] : workflow_.incidents) {
      if (!may_see(r) || (r.closed() && !query.include_closed())) continue;
      if (core::IsDrill(r.status()) && !query.include_drills()) continue;
      *list->add_incidents() = r;
    }
  }
  Reply(routing_id, reply);
}

}  // namespace renrakumo::net
