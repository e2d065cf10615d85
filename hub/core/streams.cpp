#include "core/streams.h"

#include <algorithm>

namespace renrakumo::core {

std::string NodeStream(std::string_view node_id) {
  return "node." + std::string(node_id) + ".";
}

std::string SectorStream(std::string_view sector_id) {
  return "sector." + std::string(sector_id) + ".";
}

std::vector<std::string> ReadableStreams(const Topology& topology, const v1::Node& node) {
  std::vector<std::string> out{NodeStream(node.id())};
  const bool sector_reader =
      node.kind() == v1::NODE_KIND_OPERATOR || node.kind() == v1::NODE_KIND_PROVIDER;
  if (sector_reader && topology.sector(node.sector()) != nullptr)
    out.push_back(SectorStream(node.sector()));
  out.emplace_back(kAllStream);
  return out;
}

bool MayRead(const Topology& topology, const v1::Node& node, std::string_view stream) {
  const auto readable = ReadableStreams(topology, node);
  return std::find(readable.begin(), readable.end(), stream) != readable.end();
}

}  // namespace renrakumo::core
