// Stream names and who may read them. A stream is a topic on the fanout socket and an
// ordered list in the journal. Every name ends in '.', because ZeroMQ topics are prefix
// matches: "node.fsa." must not also match "node.fsa2.".
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/topology.h"

namespace renrakumo::core {

inline constexpr std::string_view kAllStream = "all.";

std::string NodeStream(std::string_view node_id);
std::string SectorStream(std::string_view sector_id);

// The streams a node may read: its inbox, its sector's stream (operators and providers),
// and the network-wide stream.
std::vector<std::string> ReadableStreams(const Topology& topology, const v1::Node& node);

// True when `stream` is exactly one of ReadableStreams(node): no prefixes, no wildcards.
bool MayRead(const Topology& topology, const v1::Node& node, std::string_view stream);

}  // namespace renrakumo::core
