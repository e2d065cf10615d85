#include "shipped_config.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "config/load.h"
#include "config/rules_load.h"

namespace renrakumo::testing {
namespace {

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "cannot load the shipped config: %s\n", what.c_str());
  std::abort();
}

}  // namespace

std::string SourcePath(const std::string& relative) {
  return (std::filesystem::path(RENRAKUMO_SOURCE_DIR) / relative).lexically_normal().string();
}

const v1::Rules& ShippedRules() {
  static const v1::Rules rules = [] {
    Result<v1::Rules> r = config::LoadRules(SourcePath("config/rules.yaml"));
    if (!r) Die(r.error());
    return std::move(r).value();
  }();
  return rules;
}

const core::Topology& ShippedTopology() {
  static const core::Topology topology = [] {
    Result<config::LoadedTopology> t = config::LoadTopology(SourcePath("config/topology.yaml"), "");
    if (!t) Die(t.error());
    return core::Topology(std::move(t).value().topology);
  }();
  return topology;
}

const v1::Sector& ShippedSector(const std::string& id) {
  const v1::Sector* s = ShippedTopology().sector(id);
  if (s == nullptr) Die("no sector " + id + " in config/topology.yaml");
  return *s;
}

}  // namespace renrakumo::testing
