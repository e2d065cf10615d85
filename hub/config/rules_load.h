// Loading config/rules.yaml, the incident workflow's rules: parsed into v1::Rules by the same
// reflection parser as every config file (unknown keys rejected by name), then checked by
// core::ValidateRules. A failed load is one Error listing every problem, one per line, each
// prefixed with the file name, ready for --check-config to print before exit 2.
#pragma once

#include <string>

#include "core/result.h"
#include "renrakumo/v1/config.pb.h"
#include "renrakumo/v1/rules.pb.h"

namespace renrakumo::config {

[[nodiscard]] Result<v1::Rules> LoadRules(const std::string& path);

// The sectors' relay-deadline overrides (topology.yaml) checked against the loaded rules;
// problems are prefixed with topology_path. Call after both files loaded.
[[nodiscard]] Status CheckSectorDeadlines(const v1::Rules& rules, const v1::Topology& topology,
                                          const std::string& topology_path);

}  // namespace renrakumo::config
