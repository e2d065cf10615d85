// rules.yaml has no defaults to fill: every rule is spelled out in the file, because a
// regulation left implicit is one nobody can check.
#include "config/rules_load.h"

#include <vector>

#include "config/yaml_proto.h"
#include "core/rules.h"

namespace renrakumo::config {
namespace {

Error Problems(const std::string& file, const std::vector<std::string>& problems) {
  std::string message;
  for (const std::string& p : problems) message += (message.empty() ? "" : "\n") + file + ": " + p;
  return Error{message};
}

}  // namespace

Result<v1::Rules> LoadRules(const std::string& path) {
  v1::Rules rules;
  if (Status s = ParseYamlFile(path, &rules); !s) return Error{s.error()};
  const std::vector<std::string> problems = core::ValidateRules(rules);
  if (!problems.empty()) return Problems(path, problems);
  return rules;
}

Status CheckSectorDeadlines(const v1::Rules& rules, const v1::Topology& topology,
                            const std::string& topology_path) {
  const std::vector<std::string> problems = core::ValidateSectorDeadlines(rules, topology);
  if (!problems.empty()) return Problems(topology_path, problems);
  return Ok{};
}

}  // namespace renrakumo::config
