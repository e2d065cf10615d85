#include "core/recipients.h"

#include <set>

#include "core/streams.h"

namespace renrakumo::core {
namespace {

bool StartsWith(const std::string& s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

std::vector<std::string> ReadersOf(const Topology& topology, const std::string& stream) {
  std::vector<std::string> out;
  if (stream == kAllStream) {
    for (const auto& n : topology.config().nodes()) out.push_back(n.id());
  } else if (StartsWith(stream, "sector.") && stream.back() == '.') {
    const std::string sector = stream.substr(7, stream.size() - 8);
    for (const auto* n : topology.sector_members(sector)) out.push_back(n->id());
  } else if (StartsWith(stream, "node.") && stream.back() == '.') {
    const std::string id = stream.substr(5, stream.size() - 6);
    if (topology.node(id) != nullptr) out.push_back(id);
  }
  return out;
}

std::vector<Recipient> IntendedRecipients(const Topology& topology, const StoredMessage& message,
                                          const std::vector<StoredMessage>& relays) {
  std::vector<Recipient> out;
  std::set<std::string> seen;
  auto add = [&](const StoredMessage& m, const std::string& relay_via) {
    for (const auto& p : m.deliveries) {
      const bool inbox = StartsWith(p.stream, "node.");
      for (auto& node : ReadersOf(topology, p.stream)) {
        if (!seen.insert(node).second) continue;
        out.push_back({node, !relay_via.empty() ? relay_via : inbox ? "direct" : p.stream, p});
      }
    }
  };
  add(message, "");
  for (const auto& r : relays) add(r, r.sender);
  return out;
}

}  // namespace renrakumo::core
