// Cross-field rules of the config files, checked after parsing (the parser already enforced
// the shape). Pure: values in, sentences out. Each sentence names the key path and the bad
// value, e.g. "nodes[4] (megabank-a).sector: unknown sector 'finanse' (known: telecom, ...)",
// so `renrakumo-hub --check-config` can print them as they are. Empty vector = valid.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "renrakumo/v1/config.pb.h"

namespace renrakumo::core {

// A CURVE key in Z85 text: exactly 40 characters of the Z85 alphabet.
[[nodiscard]] bool IsZ85Key(std::string_view text);

// A sector, node or critical-system id: 1 to 64 of a-z, 0-9, '-' and '_'. Ids are also used
// as file names (<keys_dir>/<id>.pub) and stream names, hence the narrow alphabet.
[[nodiscard]] bool IsValidId(std::string_view id);

// The seed's rules for sectors and nodes (domain.md §2, §3): ids, references between
// sectors and nodes, advisory and sharing paths, keys. Errors only.
[[nodiscard]] std::vector<std::string> ValidateTopology(const v1::Topology& topology);

// Things that are legal but probably not meant: a node with no key (it cannot connect yet),
// a ministry supervising nothing, relay associations a direct sector never uses, non-providers
// in a sector whose reports go via served operators.
[[nodiscard]] std::vector<std::string> TopologyWarnings(const v1::Topology& topology);

// Expects defaults already applied (see config::LoadHubConfig): a zero limit is an error here.
[[nodiscard]] std::vector<std::string> ValidateHubConfig(const v1::HubConfig& config);

// Settings that work but will not scale to this topology: ZMTP heartbeats every few seconds
// on thousands of connections (libzmq 4.3 cancels each heartbeat's timer by a linear search
// over every connection's timers; docs/performance.md measured it at 10,000 subscribers).
[[nodiscard]] std::vector<std::string> HubScaleWarnings(const v1::HubConfig& config,
                                                        const v1::Topology& topology);

// Expects defaults applied and hub_public_key_file already read into hub_public_key.
[[nodiscard]] std::vector<std::string> ValidateNodeConfig(const v1::NodeConfig& config);

}  // namespace renrakumo::core
