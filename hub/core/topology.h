// Topology: the validated network (sectors, nodes, keys) indexed for the questions routing
// and policy ask on every message. Built once per (re)load; immutable afterwards, so the
// event loop can swap it atomically on SIGHUP.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "renrakumo/v1/config.pb.h"

namespace renrakumo::core {

class Topology {
 public:
  // `config` must have passed ValidateTopology(); lookups assume its cross-references hold.
  explicit Topology(v1::Topology config);

  const v1::Node* node(std::string_view id) const;
  const v1::Sector* sector(std::string_view id) const;

  // The node a CURVE public key (Z85 text) belongs to, or nullptr.
  const v1::Node* node_for_key(std::string_view z85_key) const;

  // Operators and providers whose own sector is `sector_id`: the readers of its sector stream.
  const std::vector<const v1::Node*>& sector_members(std::string_view sector_id) const;

  // The ministry (or Cabinet Secretariat) an operator reports to.
  const v1::Node* supervisor_of(const v1::Node& op) const;

  // True when `authority` (a ministry or cabinet node id) supervises `sector_id`.
  bool supervises(std::string_view authority, std::string_view sector_id) const;

  const v1::Node* cabinet() const { return cabinet_; }
  const v1::Topology& config() const { return config_; }
  std::string display_name(std::string_view node_id) const;

 private:
  v1::Topology config_;
  // Looked up on every message (several times): flat tables, found by string_view without
  // building a std::string (a Z85 key is 40 characters, past the short-string buffer).
  absl::flat_hash_map<std::string, const v1::Node*> nodes_;
  absl::flat_hash_map<std::string, const v1::Sector*> sectors_;
  absl::flat_hash_map<std::string, const v1::Node*> keys_;
  absl::flat_hash_map<std::string, std::vector<const v1::Node*>> sector_members_;
  const v1::Node* cabinet_ = nullptr;
};

using TopologyPtr = std::shared_ptr<const Topology>;

std::string_view KindName(v1::NodeKind kind);

}  // namespace renrakumo::core
