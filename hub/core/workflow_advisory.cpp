// Advisories: who must relay a government advisory to which sector by when, and who must
// acknowledge it. The topology is read once, when the advisory is filed, and what the
// deadlines need is copied into the record, so Due() and a restart need no topology.
#include <algorithm>
#include <set>

#include "core/workflow.h"
#include "core/workflow_internal.h"

namespace renrakumo::core {

namespace detail {

std::vector<std::string> Uncovered(const v1::SectorRelay& sr) {
  std::set<std::string> covered, waiting;
  for (const v1::AssociationRelay& a : sr.associations())
    for (const std::string& m : a.members()) (a.relayed() ? covered : waiting).insert(m);
  std::vector<std::string> out;
  for (const std::string& m : waiting)
    if (covered.count(m) == 0) out.push_back(m);
  return out;
}

}  // namespace detail

namespace {

using detail::CloseDeadline;
using detail::Uncovered;

// The sectors an advisory's audience names, in topology order for "everyone".
std::vector<const v1::Sector*> AudienceSectors(const Topology& t, const v1::Audience& a) {
  std::vector<const v1::Sector*> out;
  if (a.everyone()) {
    for (const v1::Sector& s : t.config().sectors()) out.push_back(&s);
    return out;
  }
  for (const std::string& id : a.sectors())
    if (const v1::Sector* s = t.sector(id)) out.push_back(s);
  return out;
}

void AddRecipient(v1::AdvisoryRecord& rec, const std::string& node, const std::string& via) {
  for (const v1::Recipient& r : rec.recipients())
    if (r.node() == node) return;
  v1::Recipient* r = rec.add_recipients();
  r->set_node(node);
  r->set_via(via);
}

void WatchRelay(const Rules& rules, const Topology& t, v1::AdvisoryRecord& rec,
                const v1::Sector& s) {
  v1::SectorRelay* sr = rec.add_relays();
  sr->set_sector(s.id());
  for (const std::string& id : s.relay_associations()) {
    v1::AssociationRelay* a = sr->add_associations();
    a->set_association(id);
    if (const v1::Node* assoc = t.node(id))
      for (const std::string& m : assoc->members())
        if (const v1::Node* op = t.node(m); op != nullptr && op->sector() == s.id())
          a->add_members(m);
  }
  if (Uncovered(*sr).empty()) return;  // nobody to relay to: nothing can be late
  detail::AddDeadline(
      rec.mutable_deadlines(),
      {v1::DEADLINE_KIND_RELAY, rec.key(), s.id(), v1::LIKELIHOOD_UNSPECIFIED, rec.issued_at_ms(),
       rec.issued_at_ms() + RelayDeadlineMs(rules, s, rec.severity()), rec.status()});
}

void WatchSector(const Rules& rules, const Topology& t, v1::AdvisoryRecord& rec,
                 const v1::Sector& s) {
  const bool via = s.advisory_path() == v1::ADVISORY_PATH_VIA_ASSOCIATION;
  if (via) WatchRelay(rules, t, rec, s);
  for (const v1::Node* n : t.sector_members(s.id()))
    AddRecipient(rec, n->id(), via ? "relay:" + s.id() : "direct");
}

// An update or a cancel supersedes the advisory it names: its fallback and reminders would
// now spread words the issuer has replaced.
void WithdrawReplaced(WorkflowState& state, const Filed& f, Touched& touched) {
  const v1::Advisory& a = f.envelope.advisory();
  if (a.replaces().empty()) return;
  auto it = state.advisories.find(AdvisoryKey(f.sender.id(), a.replaces()));
  if (it == state.advisories.end()) return;
  it->second.set_replaced_by(f.envelope.message_id());
  const std::string why =
      std::string(a.lifecycle() == v1::LIFECYCLE_CANCEL ? "cancelled" : "replaced") + " by " +
      f.envelope.message_id();
  for (v1::Deadline& d : *it->second.mutable_deadlines())
    CloseDeadline(&d, v1::DEADLINE_WITHDRAWN, f.at_ms, why);
  touched.advisories.push_back(it->first);
}

void MaybeRelayMet(v1::AdvisoryRecord& rec, const v1::SectorRelay& sr, int64_t at_ms,
                   const std::string& by) {
  if (!Uncovered(sr).empty()) return;
  CloseDeadline(detail::FindPending(rec.mutable_deadlines(), v1::DEADLINE_KIND_RELAY, sr.sector()),
                v1::DEADLINE_MET, at_ms, "relayed to the " + sr.sector() + " sector by " + by);
}

// The watched advisory an acknowledgement names: the original, or an association's relay.
v1::AdvisoryRecord* AcknowledgedAdvisory(WorkflowState& state, const v1::Acknowledgement& a) {
  auto it = state.advisories.find(AdvisoryKey(a.message_sender(), a.message_id()));
  if (it != state.advisories.end()) return &it->second;
  for (auto& [key, rec] : state.advisories)
    for (const v1::SectorRelay& sr : rec.relays())
      for (const v1::AssociationRelay& ar : sr.associations())
        if (ar.association() == a.message_sender() && ar.relay_message_id() == a.message_id())
          return &rec;
  return nullptr;
}

}  // namespace

Touched ApplyAdvisory(const Rules& rules, const Topology& topology, WorkflowState& state,
                      const Filed& f) {
  if (f.sender.kind() != v1::NODE_KIND_MINISTRY && f.sender.kind() != v1::NODE_KIND_CABINET)
    return {};
  const std::string key = AdvisoryKey(f.sender.id(), f.envelope.message_id());
  if (state.advisories.count(key) > 0) return {};  // replayed twice: already watched
  Touched touched;
  WithdrawReplaced(state, f, touched);
  const v1::Advisory& a = f.envelope.advisory();
  v1::AdvisoryRecord& rec = state.advisories[key];
  rec.set_key(key);
  rec.set_issuer(f.sender.id());
  rec.set_message_id(f.envelope.message_id());
  rec.set_advisory_id(a.advisory_id().empty() ? f.envelope.message_id() : a.advisory_id());
  rec.set_status(f.envelope.status());
  rec.set_severity(a.severity());
  rec.set_issued_at_ms(f.at_ms);
  for (const v1::Sector* s : AudienceSectors(topology, a.audience()))
    WatchSector(rules, topology, rec, *s);
  for (const std::string& node : a.audience().nodes())
    if (topology.node(node) != nullptr) AddRecipient(rec, node, "direct");
  if (!rec.recipients().empty())
    detail::AddDeadline(
        rec.mutable_deadlines(),
        {v1::DEADLINE_KIND_ACKNOWLEDGEMENT, key, "", v1::LIKELIHOOD_UNSPECIFIED, f.at_ms,
         f.at_ms + AcknowledgementDeadlineMs(rules, a.severity()), rec.status()});
  touched.advisories.push_back(key);
  return touched;
}

Touched ApplyRelay(WorkflowState& state, const Filed& f) {
  const v1::Relay& r = f.envelope.relay();
  auto it = state.advisories.find(AdvisoryKey(r.original_sender(), r.original_message_id()));
  if (it == state.advisories.end()) return {};  // a relayed share, or an unwatched message
  v1::AdvisoryRecord& rec = it->second;
  bool changed = false;
  for (v1::SectorRelay& sr : *rec.mutable_relays()) {
    for (v1::AssociationRelay& ar : *sr.mutable_associations()) {
      if (ar.association() != f.sender.id() || ar.relayed()) continue;
      ar.set_relayed(true);
      ar.set_relayed_at_ms(f.at_ms);
      ar.set_relay_message_id(f.envelope.message_id());
      MaybeRelayMet(rec, sr, f.at_ms, f.sender.id());
      changed = true;
    }
  }
  if (!changed) return {};
  return {{}, {it->first}};
}

Touched ApplyAcknowledgement(const Rules& rules, WorkflowState& state, const Filed& f) {
  const v1::Acknowledgement& a = f.envelope.acknowledgement();
  if (a.state() < rules.acknowledged_at_least()) return {};
  v1::AdvisoryRecord* rec = AcknowledgedAdvisory(state, a);
  if (rec == nullptr) return {};
  bool changed = false, everyone = true;
  for (v1::Recipient& r : *rec->mutable_recipients()) {
    if (r.node() == f.sender.id() && !r.acknowledged()) {
      r.set_acknowledged(true);
      r.set_acknowledged_at_ms(f.at_ms);
      changed = true;
    }
    everyone = everyone && r.acknowledged();
  }
  if (!changed) return {};
  if (everyone)
    CloseDeadline(
        detail::FindPending(rec->mutable_deadlines(), v1::DEADLINE_KIND_ACKNOWLEDGEMENT, ""),
        v1::DEADLINE_MET, f.at_ms, "every recipient acknowledged");
  return {{}, {rec->key()}};
}

}  // namespace renrakumo::core
