// Loading the three config files: parse (yaml_proto), fill defaults, resolve relative paths
// against the file's own directory, read referenced key files, then validate
// (core/config_check). A failed load is one Error whose message lists every problem, one per
// line, each prefixed with the file name: ready for --check-config to print before exit 2.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "renrakumo/v1/config.pb.h"

namespace renrakumo::config {

// config/hub.yaml. Relative topology_file, public_key_file, secret_key_file, journal_path
// and keys_dir are resolved against the directory holding hub.yaml.
[[nodiscard]] Result<v1::HubConfig> LoadHubConfig(const std::string& path);

// Fills unset (zero or empty) HubConfig fields with their documented defaults. LoadHubConfig
// calls it; exposed for code and tests that build a HubConfig by hand.
void ApplyHubDefaults(v1::HubConfig* config);

struct LoadedTopology {
  v1::Topology topology;
  // Legal but suspicious, e.g. a node with no key yet; each prefixed with the file name,
  // like errors ("config/topology.yaml: nodes[3] (x): no public key; ...").
  std::vector<std::string> warnings;
};

// config/topology.yaml. Each node's public_key_file (relative to topology.yaml) is read and
// its key appended to public_keys; a node still without keys gets <keys_dir>/<id>.pub if that
// file exists (keys_dir empty: no lookup). A node with no key at all is a warning, not an error.
// Sectors with no report_path get to_ministry.
[[nodiscard]] Result<LoadedTopology> LoadTopology(const std::string& path,
                                                  const std::string& keys_dir);

// A node's own config (config/nodes/<id>.yaml). Relative key-file paths and state_dir are
// resolved against the file's directory; hub_public_key_file is read into hub_public_key.
[[nodiscard]] Result<v1::NodeConfig> LoadNodeConfig(const std::string& path);

}  // namespace renrakumo::config
