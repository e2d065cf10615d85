// A small network for the core's unit tests: one sector of each contact shape.
#pragma once

#include "core/topology.h"
#include "renrakumo/v1/messages.pb.h"

namespace renrakumo::testing {

// telecom: direct, peer sharing direct (mic); finance: via association (jba), sharing via
// association (fsa); railway: direct, no sharing (mlit); it_services: providers (meti);
// government: supervised by the cabinet.
const core::Topology& SmallNetwork();

v1::Envelope Report(std::string_view id, std::string_view system = "other");
v1::Envelope Advisory(std::initializer_list<const char*> sectors);

}  // namespace renrakumo::testing
