// Cross-field config rules. Every check reports and carries on, so one run of
// --check-config lists every problem in the file instead of the first one.
#include "core/config_check.h"

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <set>

namespace renrakumo::core {
namespace {

using google::protobuf::RepeatedPtrField;
using Errors = std::vector<std::string>;

constexpr std::string_view kZ85Alphabet =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
constexpr const char* kIdRule = "use 1 to 64 lower-case letters, digits, '-' or '_'";

std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

std::string Item(const std::string& list, int index) {
  return list + "[" + std::to_string(index) + "]";
}

// At most a dozen names, so a message about a large network still fits on a line.
std::string JoinIds(const std::vector<std::string>& ids) {
  if (ids.empty()) return "none";
  std::string out;
  for (std::size_t i = 0; i < ids.size() && i < 12; ++i) out += (i ? ", " : "") + ids[i];
  return ids.size() > 12 ? out + ", ..." : out;
}

std::string JoinIds(const RepeatedPtrField<std::string>& ids) {
  return JoinIds(std::vector<std::string>(ids.begin(), ids.end()));
}

std::string KindPhrase(v1::NodeKind kind) {
  switch (kind) {
    case v1::NODE_KIND_OPERATOR: return "an operator";
    case v1::NODE_KIND_ASSOCIATION: return "an association";
    case v1::NODE_KIND_MINISTRY: return "a ministry";
    case v1::NODE_KIND_CABINET: return "the cabinet";
    case v1::NODE_KIND_PROVIDER: return "a provider";
    default: return "a node of no kind";
  }
}

bool HasSector(v1::NodeKind kind) {
  return kind == v1::NODE_KIND_OPERATOR || kind == v1::NODE_KIND_ASSOCIATION ||
         kind == v1::NODE_KIND_PROVIDER;
}

bool Contains(const RepeatedPtrField<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

void IdProblem(Errors& out, const std::string& where, const std::string& id) {
  if (id.empty()) {
    out.push_back(where + ": missing; " + kIdRule);
  } else if (!IsValidId(id)) {
    out.push_back(where + ": " + Quote(id) + " is not a valid id (" + kIdRule + ")");
  }
}

void NoRepeats(Errors& out, const std::string& where, const RepeatedPtrField<std::string>& list) {
  std::set<std::string> seen;
  for (int i = 0; i < list.size(); ++i) {
    if (!seen.insert(list[i]).second) {
      out.push_back(Item(where, i) + ": " + Quote(list[i]) + " is listed twice");
    }
  }
}

class TopologyChecker {
 public:
  explicit TopologyChecker(const v1::Topology& t) : t_(t) {
    for (int i = 0; i < t.sectors_size(); ++i) sectors_.emplace(t.sectors(i).id(), i);
    for (int i = 0; i < t.nodes_size(); ++i) {
      const v1::Node& n = t.nodes(i);
      nodes_.emplace(n.id(), i);
      if (n.kind() != v1::NODE_KIND_ASSOCIATION) continue;
      for (const std::string& m : n.members()) memberships_[m].insert(n.id());
    }
  }

  std::vector<std::string> CollectErrors() {
    for (int i = 0; i < t_.sectors_size(); ++i) CheckSector(i);
    for (int i = 0; i < t_.nodes_size(); ++i) CheckNode(i);
    CheckCabinet();
    CheckKeys();
    return std::move(out_);
  }

  std::vector<std::string> CollectWarnings() {
    for (int i = 0; i < t_.sectors_size(); ++i) WarnSector(i);
    for (int i = 0; i < t_.nodes_size(); ++i) WarnNode(i);
    return std::move(out_);
  }

 private:
  const v1::Node* FindNode(const std::string& id) const {
    auto it = nodes_.find(id);
    return it == nodes_.end() ? nullptr : &t_.nodes(it->second);
  }
  const v1::Sector* FindSector(const std::string& id) const {
    auto it = sectors_.find(id);
    return it == sectors_.end() ? nullptr : &t_.sectors(it->second);
  }
  std::string SectorAt(int i) const {
    const std::string& id = t_.sectors(i).id();
    return Item("sectors", i) + (id.empty() ? "" : " (" + id + ")");
  }
  std::string NodeAt(int i) const {
    const std::string& id = t_.nodes(i).id();
    return Item("nodes", i) + (id.empty() ? "" : " (" + id + ")");
  }
  void Add(const std::string& where, const std::string& what) { out_.push_back(where + ": " + what); }

  std::vector<std::string> IdsOfKind(std::initializer_list<v1::NodeKind> kinds) const {
    std::vector<std::string> ids;
    for (const v1::Node& n : t_.nodes()) {
      if (std::find(kinds.begin(), kinds.end(), n.kind()) != kinds.end()) ids.push_back(n.id());
    }
    return ids;
  }

  // The node `id` names, if it exists and is of one of `kinds`; otherwise reports and
  // returns nullptr. `wanted` reads "a ministry or the cabinet", `plural` "ministries".
  const v1::Node* NodeRef(const std::string& where, const std::string& id,
                          std::initializer_list<v1::NodeKind> kinds, const std::string& wanted,
                          const std::string& plural) {
    const v1::Node* n = FindNode(id);
    if (n == nullptr) {
      Add(where, "unknown node " + Quote(id) + " (known " + plural + ": " +
                     JoinIds(IdsOfKind(kinds)) + ")");
    } else if (std::find(kinds.begin(), kinds.end(), n->kind()) == kinds.end()) {
      Add(where, Quote(id) + " is " + KindPhrase(n->kind()) + ", not " + wanted);
      return nullptr;
    }
    return n;
  }

  const v1::Sector* SectorRef(const std::string& where, const v1::Node& n) {
    if (n.sector().empty()) {
      Add(where, "missing; " + KindPhrase(n.kind()) + " belongs to a sector");
      return nullptr;
    }
    const v1::Sector* s = FindSector(n.sector());
    if (s == nullptr) {
      std::vector<std::string> known;
      for (const v1::Sector& each : t_.sectors()) known.push_back(each.id());
      Add(where, "unknown sector " + Quote(n.sector()) + " (known: " + JoinIds(known) + ")");
    }
    return s;
  }

  void CheckSector(int i) {
    const v1::Sector& s = t_.sectors(i);
    const std::string at = SectorAt(i);
    IdProblem(out_, at + ".id", s.id());
    if (auto first = sectors_.find(s.id()); !s.id().empty() && first->second != i) {
      Add(at + ".id", "duplicate sector id " + Quote(s.id()) + " (also " + SectorAt(first->second) + ")");
    }
    if (s.ministries().empty()) Add(at + ".ministries", "empty; name the supervising ministry");
    for (int j = 0; j < s.ministries_size(); ++j) {
      NodeRef(Item(at + ".ministries", j), s.ministries(j),
              {v1::NODE_KIND_MINISTRY, v1::NODE_KIND_CABINET}, "a ministry or the cabinet",
              "ministries and cabinet");
    }
    NoRepeats(out_, at + ".ministries", s.ministries());
    if (s.advisory_path() == v1::ADVISORY_PATH_UNSPECIFIED) {
      Add(at + ".advisory_path", "missing; set direct or via_association");
    }
    if (s.peer_sharing() == v1::PEER_SHARING_UNSPECIFIED) {
      Add(at + ".peer_sharing", "missing; set none, direct or via_association");
    }
    CheckRelays(at, s);
    for (int j = 0; j < s.critical_systems_size(); ++j) {
      IdProblem(out_, Item(at + ".critical_systems", j), s.critical_systems(j));
    }
    NoRepeats(out_, at + ".critical_systems", s.critical_systems());
    for (int j = 0; j < s.serious_failure_thresholds_size(); ++j) {
      if (s.serious_failure_thresholds(j).description().empty()) {
        Add(Item(at + ".serious_failure_thresholds", j) + ".description",
            "missing; state the rule in words, operators read it");
      }
    }
  }

  void CheckRelays(const std::string& at, const v1::Sector& s) {
    const bool advisory = s.advisory_path() == v1::ADVISORY_PATH_VIA_ASSOCIATION;
    const bool sharing = s.peer_sharing() == v1::PEER_SHARING_VIA_ASSOCIATION;
    if ((advisory || sharing) && s.relay_associations().empty()) {
      Add(at + ".relay_associations",
          std::string("empty, but ") + (advisory ? "advisory_path" : "peer_sharing") +
              " is via_association; name the association(s) that relay");
    }
    for (int j = 0; j < s.relay_associations_size(); ++j) {
      const std::string where = Item(at + ".relay_associations", j);
      const v1::Node* a = NodeRef(where, s.relay_associations(j), {v1::NODE_KIND_ASSOCIATION},
                                  "an association", "associations");
      if (a != nullptr && a->sector() != s.id()) {
        Add(where, Quote(a->id()) + " is an association of sector " + Quote(a->sector()) +
                       ", not " + Quote(s.id()));
      }
    }
    NoRepeats(out_, at + ".relay_associations", s.relay_associations());
  }

  void CheckNode(int i) {
    const v1::Node& n = t_.nodes(i);
    const std::string at = NodeAt(i);
    IdProblem(out_, at + ".id", n.id());
    if (n.id() == "hub")  // the hub's own notices are sent as "hub"; keys_dir holds hub.pub
      Add(at + ".id", "\"hub\" is reserved for the hub itself; choose another id");
    if (auto first = nodes_.find(n.id()); !n.id().empty() && first->second != i) {
      Add(at + ".id", "duplicate node id " + Quote(n.id()) + " (also " + NodeAt(first->second) + ")");
    }
    if (n.kind() == v1::NODE_KIND_UNSPECIFIED) {
      Add(at + ".kind", "missing; set operator, association, ministry, cabinet or provider");
    }
    const std::string kind = KindPhrase(n.kind());
    if (n.members_size() > 0 && n.kind() != v1::NODE_KIND_ASSOCIATION) {
      Add(at + ".members", "only associations have members, and this node is " + kind);
    }
    if (n.serves_size() > 0 && n.kind() != v1::NODE_KIND_PROVIDER) {
      Add(at + ".serves", "only providers serve operators, and this node is " + kind);
    }
    if (n.vendor() && n.kind() != v1::NODE_KIND_PROVIDER) {
      Add(at + ".vendor", "only a provider can be a vendor, and this node is " + kind);
    }
    if (!HasSector(n.kind())) {
      if (!n.sector().empty()) {
        Add(at + ".sector", kind + " has no sector (found " + Quote(n.sector()) +
                                "); list it in the sector's ministries instead");
      }
      if (!n.supervisor().empty()) Add(at + ".supervisor", kind + " has no supervisor");
      return;
    }
    const v1::Sector* s = SectorRef(at + ".sector", n);
    if (s == nullptr) return;
    if (!n.supervisor().empty() && !Contains(s->ministries(), n.supervisor())) {
      Add(at + ".supervisor", Quote(n.supervisor()) + " is not a ministry of sector " +
                                  Quote(s->id()) + " (its ministries: " + JoinIds(s->ministries()) + ")");
    }
    if (n.kind() == v1::NODE_KIND_ASSOCIATION) CheckMembers(at, n);
    if (n.kind() == v1::NODE_KIND_PROVIDER) CheckProvider(at, n, *s);
    if (n.kind() == v1::NODE_KIND_OPERATOR) CheckRelayCoverage(at, n, *s);
  }

  void CheckMembers(const std::string& at, const v1::Node& assoc) {
    for (int j = 0; j < assoc.members_size(); ++j) {
      const std::string where = Item(at + ".members", j);
      const v1::Node* m = NodeRef(where, assoc.members(j), {v1::NODE_KIND_OPERATOR},
                                  "an operator", "operators");
      if (m != nullptr && m->sector() != assoc.sector()) {
        Add(where, Quote(m->id()) + " is an operator of sector " + Quote(m->sector()) +
                       ", not " + Quote(assoc.sector()));
      }
    }
    NoRepeats(out_, at + ".members", assoc.members());
  }

  void CheckProvider(const std::string& at, const v1::Node& p, const v1::Sector& s) {
    for (int j = 0; j < p.serves_size(); ++j) {
      NodeRef(Item(at + ".serves", j), p.serves(j), {v1::NODE_KIND_OPERATOR}, "an operator",
              "operators");
    }
    NoRepeats(out_, at + ".serves", p.serves());
    if (s.report_path() == v1::REPORT_PATH_VIA_SERVED_OPERATORS && p.serves().empty() &&
        !p.vendor()) {
      Add(at + ".serves", "empty; sector " + Quote(s.id()) +
                              " reports via served operators, so a provider that serves no "
                              "operator and is not a vendor can reach no one");
    }
  }

  // In a via_association sector, advisories reach an operator only through a relay.
  void CheckRelayCoverage(const std::string& at, const v1::Node& op, const v1::Sector& s) {
    if (s.advisory_path() != v1::ADVISORY_PATH_VIA_ASSOCIATION) return;
    auto it = memberships_.find(op.id());
    for (const std::string& relay : s.relay_associations()) {
      if (it != memberships_.end() && it->second.count(relay) > 0) return;
    }
    Add(at, "not a member of any relay association of sector " + Quote(s.id()) + " (" +
                JoinIds(s.relay_associations()) + "), so it would never receive advisories");
  }

  void CheckCabinet() {
    const std::vector<std::string> cabinets = IdsOfKind({v1::NODE_KIND_CABINET});
    if (cabinets.size() == 1) return;
    Add("nodes", "exactly one node of kind cabinet (the Cabinet Secretariat) is needed; found " +
                     (cabinets.empty() ? std::string("none") : JoinIds(cabinets)));
  }

  // CURVE and signing keys alike: well-formed, and each one names a single node.
  void CheckKeys() {
    std::map<std::string, int> owner;
    auto check = [&](int i, const auto& keys, const std::string& field, const std::string& what) {
      for (int j = 0; j < keys.size(); ++j) {
        const std::string& key = keys.Get(j);
        const std::string where = Item(NodeAt(i) + "." + field, j);
        if (!IsZ85Key(key)) {
          Add(where, Quote(key) + " is not " + what + " (40 characters of Z85 text)");
          continue;
        }
        auto [first, fresh] = owner.emplace(key, i);
        if (fresh) continue;
        Add(where, first->second == i ? Quote(key) + " is listed twice"
                                      : Quote(key) + " is also a key of " + NodeAt(first->second) +
                                            "; a key must identify one node");
      }
    };
    for (int i = 0; i < t_.nodes_size(); ++i) {
      check(i, t_.nodes(i).public_keys(), "public_keys", "a CURVE public key");
      check(i, t_.nodes(i).signing_keys(), "signing_keys", "an Ed25519 public signing key");
    }
  }

  void WarnSector(int i) {
    const v1::Sector& s = t_.sectors(i);
    const std::string at = SectorAt(i);
    if (!s.relay_associations().empty() &&
        s.advisory_path() != v1::ADVISORY_PATH_VIA_ASSOCIATION &&
        s.peer_sharing() != v1::PEER_SHARING_VIA_ASSOCIATION) {
      Add(at + ".relay_associations",
          "listed but unused, since neither advisory_path nor peer_sharing is via_association");
    }
    if (s.report_path() != v1::REPORT_PATH_VIA_SERVED_OPERATORS) return;
    for (int j = 0; j < t_.nodes_size(); ++j) {
      const v1::Node& n = t_.nodes(j);
      if (n.sector() == s.id() && n.kind() != v1::NODE_KIND_PROVIDER) {
        Add(at + ".report_path", "via_served_operators, but " + NodeAt(j) + " is " +
                                     KindPhrase(n.kind()) + "; only providers report that way");
      }
    }
  }

  void WarnNode(int i) {
    const v1::Node& n = t_.nodes(i);
    if (n.public_keys().empty()) {
      Add(NodeAt(i), "no public key; it cannot connect until one is listed in public_keys, "
                     "public_key_file or <keys_dir>/" + n.id() + ".pub");
    }
    const bool signs = n.kind() == v1::NODE_KIND_MINISTRY || n.kind() == v1::NODE_KIND_CABINET ||
                       n.kind() == v1::NODE_KIND_ASSOCIATION || n.vendor();
    if (signs && n.signing_keys().empty()) {
      Add(NodeAt(i), "no signing key; its advisories and relays are refused until one is listed "
                     "in signing_keys, signing_key_file or <keys_dir>/" + n.id() + ".sign.pub");
    }
    if (n.kind() != v1::NODE_KIND_MINISTRY) return;
    for (const v1::Sector& s : t_.sectors()) {
      if (Contains(s.ministries(), n.id())) return;
    }
    Add(NodeAt(i), "a ministry that no sector lists in its ministries, so it supervises nothing");
  }

  const v1::Topology& t_;
  std::map<std::string, int> sectors_;  // id -> index of its first definition
  std::map<std::string, int> nodes_;
  std::map<std::string, std::set<std::string>> memberships_;  // operator -> associations
  std::vector<std::string> out_;
};

void RequireSet(Errors& out, const std::string& key, const std::string& value,
                const std::string& hint) {
  if (value.empty()) out.push_back(key + ": missing; " + hint);
}

void CheckEndpoint(Errors& out, const std::string& key, const std::string& value,
                   const std::string& example) {
  if (value.empty()) {
    out.push_back(key + ": missing; e.g. " + example);
    return;
  }
  for (std::string_view scheme : {"tcp://", "ipc://", "inproc://"}) {
    if (value.size() > scheme.size() && value.compare(0, scheme.size(), scheme) == 0) return;
  }
  out.push_back(key + ": " + Quote(value) +
                " is not a ZeroMQ endpoint (start it with tcp://, ipc:// or inproc://)");
}

void CheckRange(Errors& out, const std::string& key, std::uint64_t value, std::uint64_t lo,
                std::uint64_t hi) {
  if (value >= lo && value <= hi) return;
  out.push_back(key + ": " + std::to_string(value) + " is out of range (" + std::to_string(lo) +
                " to " + std::to_string(hi) + ")");
}

void CheckLimits(Errors& out, const v1::Limits& l) {
  CheckRange(out, "limits.max_message_bytes", l.max_message_bytes(), 1024, 64u << 20);
  CheckRange(out, "limits.max_batch", l.max_batch(), 1, 100000);
  CheckRange(out, "limits.max_fetch", l.max_fetch(), 1, 100000);
  CheckRange(out, "limits.heartbeat_ivl_ms", l.heartbeat_ivl_ms(), 10, 3600000);
  CheckRange(out, "limits.send_hwm", l.send_hwm(), 1, 100000000);
  if (l.heartbeat_timeout_ms() <= l.heartbeat_ivl_ms()) {
    out.push_back("limits.heartbeat_timeout_ms: " + std::to_string(l.heartbeat_timeout_ms()) +
                  " must be longer than limits.heartbeat_ivl_ms (" +
                  std::to_string(l.heartbeat_ivl_ms()) + ")");
  }
}

}  // namespace

bool IsZ85Key(std::string_view text) {
  return text.size() == 40 && text.find_first_not_of(kZ85Alphabet) == std::string_view::npos;
}

bool IsValidId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

std::vector<std::string> ValidateTopology(const v1::Topology& topology) {
  return TopologyChecker(topology).CollectErrors();
}

std::vector<std::string> TopologyWarnings(const v1::Topology& topology) {
  return TopologyChecker(topology).CollectWarnings();
}

std::vector<std::string> ValidateHubConfig(const v1::HubConfig& c) {
  Errors out;
  RequireSet(out, "network_name", c.network_name(), "name the network, e.g. \"renrakumo\"");
  RequireSet(out, "topology_file", c.topology_file(), "e.g. topology.yaml");
  RequireSet(out, "rules_file", c.rules_file(), "e.g. rules.yaml");
  CheckEndpoint(out, "ingest_endpoint", c.ingest_endpoint(), "tcp://0.0.0.0:7401");
  CheckEndpoint(out, "fanout_endpoint", c.fanout_endpoint(), "tcp://0.0.0.0:7402");
  if (!c.ingest_endpoint().empty() && c.ingest_endpoint() == c.fanout_endpoint() &&
      c.ingest_endpoint().find('*') == std::string::npos) {
    out.push_back("fanout_endpoint: " + Quote(c.fanout_endpoint()) +
                  " is also the ingest_endpoint; the two sockets need different addresses");
  }
  RequireSet(out, "public_key_file", c.public_key_file(), "the hub's CURVE public key file");
  RequireSet(out, "secret_key_file", c.secret_key_file(), "the hub's CURVE secret key file");
  RequireSet(out, "journal_path", c.journal_path(), "where the SQLite journal lives");
  if (c.journal_engine() != "sqlite" && c.journal_engine() != "log") {
    out.push_back("journal_engine: unknown engine " + Quote(c.journal_engine()) +
                  " (one of: sqlite, log)");
  } else if (c.journal_engine() == "log" && c.journal_path() == ":memory:") {
    out.push_back("journal_engine: \"log\" keeps the messages in files beside the journal, so "
                  "journal_path cannot be \":memory:\"");
  }
  CheckLimits(out, c.limits());
  static const std::set<std::string> kLevels = {"trace", "debug", "info", "warn", "error"};
  if (kLevels.count(c.log_level()) == 0) {
    out.push_back("log_level: unknown level " + Quote(c.log_level()) +
                  " (one of: trace, debug, info, warn, error)");
  }
  RequireSet(out, "zap_domain", c.zap_domain(), "e.g. renrakumo");
  return out;
}

std::vector<std::string> HubScaleWarnings(const v1::HubConfig& c, const v1::Topology& topology) {
  std::vector<std::string> out;
  // Each node holds two connections (ingest and fanout). Below ~5,000 connections the
  // heartbeats' cost did not show in the benchmarks; at 10,000 subscribers, 5 s heartbeats
  // made the last receipt of a warning 1.3-1.4x later than 30 s heartbeats.
  constexpr int kManyNodes = 2500;
  constexpr uint32_t kScaledIvlMs = 30000;
  const int nodes = topology.nodes_size();
  if (nodes >= kManyNodes && c.limits().heartbeat_ivl_ms() < kScaledIvlMs) {
    out.push_back("limits.heartbeat_ivl_ms: " + std::to_string(c.limits().heartbeat_ivl_ms()) +
                  " ms with " + std::to_string(nodes) + " nodes (" + std::to_string(2 * nodes) +
                  " connections): libzmq 4.3 cancels every heartbeat's timer by searching all "
                  "connections' timers, which at this scale slows the hub's fan-out; consider "
                  "heartbeat_ivl_ms: 30000 and heartbeat_timeout_ms: 90000 (a dead node is then "
                  "noticed within 90 s)");
  }
  return out;
}

std::vector<std::string> ValidateNodeConfig(const v1::NodeConfig& c) {
  Errors out;
  IdProblem(out, "node_id", c.node_id());
  RequireSet(out, "public_key_file", c.public_key_file(), "this node's CURVE public key file");
  RequireSet(out, "secret_key_file", c.secret_key_file(), "this node's CURVE secret key file");
  if (c.hub_public_key().empty()) {
    out.push_back("hub_public_key: missing; set hub_public_key or hub_public_key_file");
  } else if (!IsZ85Key(c.hub_public_key())) {
    out.push_back("hub_public_key: " + Quote(c.hub_public_key()) +
                  " is not a CURVE public key (40 characters of Z85 text)");
  }
  if (c.hubs().empty()) out.push_back("hubs: empty; list at least one route (two recommended)");
  for (int i = 0; i < c.hubs_size(); ++i) {
    const std::string at = Item("hubs", i);
    CheckEndpoint(out, at + ".ingest_endpoint", c.hubs(i).ingest_endpoint(), "tcp://hub:7401");
    CheckEndpoint(out, at + ".fanout_endpoint", c.hubs(i).fanout_endpoint(), "tcp://hub:7402");
  }
  CheckRange(out, "request_timeout_ms", c.request_timeout_ms(), 1, 3600000);
  if (c.submit_deadline_ms() < c.request_timeout_ms()) {
    out.push_back("submit_deadline_ms: " + std::to_string(c.submit_deadline_ms()) +
                  " is shorter than request_timeout_ms (" +
                  std::to_string(c.request_timeout_ms()) + ")");
  }
  return out;
}

}  // namespace renrakumo::core
