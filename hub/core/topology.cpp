#include "core/topology.h"

#include <algorithm>

namespace renrakumo::core {

Topology::Topology(v1::Topology config) : config_(std::move(config)) {
  for (const auto& s : config_.sectors()) sectors_.emplace(s.id(), &s);
  for (const auto& n : config_.nodes()) {
    nodes_.emplace(n.id(), &n);
    for (const auto& k : n.public_keys()) keys_.emplace(k, &n);
    if (n.kind() == v1::NODE_KIND_CABINET) cabinet_ = &n;
    if (n.kind() == v1::NODE_KIND_OPERATOR || n.kind() == v1::NODE_KIND_PROVIDER)
      sector_members_[n.sector()].push_back(&n);
  }
}

namespace {

// Debian's absl has its own string_view type: the flat tables' heterogeneous look-up takes it.
absl::string_view Key(std::string_view s) { return absl::string_view(s.data(), s.size()); }

}  // namespace

const v1::Node* Topology::node(std::string_view id) const {
  auto it = nodes_.find(Key(id));
  return it == nodes_.end() ? nullptr : it->second;
}

const v1::Sector* Topology::sector(std::string_view id) const {
  auto it = sectors_.find(Key(id));
  return it == sectors_.end() ? nullptr : it->second;
}

const v1::Node* Topology::node_for_key(std::string_view z85_key) const {
  auto it = keys_.find(Key(z85_key));
  return it == keys_.end() ? nullptr : it->second;
}

const std::vector<const v1::Node*>& Topology::sector_members(std::string_view sector_id) const {
  static const std::vector<const v1::Node*> kNone;
  auto it = sector_members_.find(Key(sector_id));
  return it == sector_members_.end() ? kNone : it->second;
}

const v1::Node* Topology::supervisor_of(const v1::Node& op) const {
  if (!op.supervisor().empty()) return node(op.supervisor());
  const v1::Sector* s = sector(op.sector());
  if (s == nullptr || s->ministries().empty()) return nullptr;
  return node(s->ministries(0));
}

bool Topology::supervises(std::string_view authority, std::string_view sector_id) const {
  const v1::Sector* s = sector(sector_id);
  if (s == nullptr) return false;
  return std::find(s->ministries().begin(), s->ministries().end(), authority) !=
         s->ministries().end();
}

std::string Topology::display_name(std::string_view node_id) const {
  const v1::Node* n = node(node_id);
  if (n == nullptr || n->name().empty()) return std::string(node_id);
  return n->name();
}

std::string_view KindName(v1::NodeKind kind) {
  switch (kind) {
    case v1::NODE_KIND_OPERATOR: return "operator";
    case v1::NODE_KIND_ASSOCIATION: return "association";
    case v1::NODE_KIND_MINISTRY: return "ministry";
    case v1::NODE_KIND_CABINET: return "cabinet";
    case v1::NODE_KIND_PROVIDER: return "provider";
    default: return "unknown";
  }
}

}  // namespace renrakumo::core
