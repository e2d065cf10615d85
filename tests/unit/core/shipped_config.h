// The shipped config/rules.yaml and config/topology.yaml, loaded once for the workflow's
// tests: the rules and thresholds under test are the ones the hub ships with.
#pragma once

#include <string>

#include "core/rules.h"
#include "core/topology.h"
#include "renrakumo/v1/config.pb.h"

namespace renrakumo::testing {

std::string SourcePath(const std::string& relative);  // a path inside the source tree

const v1::Rules& ShippedRules();
const core::Topology& ShippedTopology();
const v1::Sector& ShippedSector(const std::string& id);

}  // namespace renrakumo::testing
