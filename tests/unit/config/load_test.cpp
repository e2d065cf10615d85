// Loading whole files: the shipped config, defaults, relative paths, key files, node configs.
#include "config/load.h"

#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/keys.h"
#include "config/signing.h"
#include "temp_dir.h"

namespace renrakumo::config {
namespace {

namespace fs = std::filesystem;
using ::testing::AnyOf;
using ::testing::ElementsAre;
using ::testing::Each;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

std::string Source(const std::string& relative) {
  return (fs::path(RENRAKUMO_SOURCE_DIR) / relative).lexically_normal().string();
}

std::vector<std::string> SectorIds(const v1::Topology& t) {
  std::vector<std::string> ids;
  for (const v1::Sector& s : t.sectors()) ids.push_back(s.id());
  return ids;
}

const v1::Sector& SectorNamed(const v1::Topology& t, const std::string& id) {
  for (const v1::Sector& s : t.sectors()) {
    if (s.id() == id) return s;
  }
  ADD_FAILURE() << "no sector " << id;
  return t.sectors(0);
}

TEST(ShippedConfig, HubYamlLoadsWithPathsBesideIt) {
  Result<v1::HubConfig> hub = LoadHubConfig(Source("config/hub.yaml"));
  ASSERT_TRUE(hub.ok()) << hub.error();
  EXPECT_EQ(hub->network_name(), "renrakumo sample network");
  EXPECT_EQ(hub->topology_file(), Source("config/topology.yaml"));
  EXPECT_EQ(hub->public_key_file(), Source("state/keys/hub.pub"));
  EXPECT_EQ(hub->secret_key_file(), Source("state/keys/hub.key"));
  EXPECT_EQ(hub->keys_dir(), Source("state/keys"));
  EXPECT_EQ(hub->journal_path(), Source("state/journal.db"));
  EXPECT_EQ(hub->journal_engine(), "log");
  EXPECT_EQ(hub->ingest_endpoint(), "tcp://127.0.0.1:7401");
  EXPECT_EQ(hub->fanout_endpoint(), "tcp://127.0.0.1:7402");
  EXPECT_EQ(hub->limits().max_batch(), 512u);
}

TEST(ShippedConfig, TopologyLoadsAndValidates) {
  test::TempDir no_keys;
  Result<LoadedTopology> loaded = LoadTopology(Source("config/topology.yaml"), no_keys.Path());
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  const v1::Topology& t = loaded->topology;
  EXPECT_THAT(SectorIds(t), ElementsAre("telecom", "it_services", "finance", "aviation", "railway",
                                        "electricity", "gas", "government"));
  EXPECT_EQ(SectorNamed(t, "finance").advisory_path(), v1::ADVISORY_PATH_VIA_ASSOCIATION);
  EXPECT_THAT(SectorNamed(t, "finance").relay_associations(), ElementsAre("jba"));
  EXPECT_THAT(SectorNamed(t, "finance").critical_systems(),
              ElementsAre("core_banking", "funds_and_securities", "international",
                          "external_connection"));
  EXPECT_THAT(SectorNamed(t, "it_services").critical_systems(), IsEmpty());
  EXPECT_EQ(SectorNamed(t, "it_services").report_path(), v1::REPORT_PATH_VIA_SERVED_OPERATORS);
  EXPECT_THAT(SectorNamed(t, "government").ministries(), ElementsAre("cabinet", "mic"));
  EXPECT_EQ(SectorNamed(t, "railway").peer_sharing(), v1::PEER_SHARING_NONE);
  const v1::Threshold& telecom = SectorNamed(t, "telecom").serious_failure_thresholds(0);
  EXPECT_EQ(telecom.min_users(), 30000u);
  EXPECT_EQ(telecom.min_duration_minutes(), 120u);
  EXPECT_EQ(SectorNamed(t, "electricity").serious_failure_thresholds_size(), 2);
  EXPECT_EQ(SectorNamed(t, "railway").serious_failure_thresholds_size(), 2);
  EXPECT_EQ(SectorNamed(t, "gas").serious_failure_thresholds(0).min_households(), 500u);
  // No keys in the empty keys_dir: every node is reported, none rejected; the nodes that
  // issue or relay advisories lack a signing key, too.
  std::size_t signers = 0;
  for (const v1::Node& n : t.nodes())
    signers += n.kind() == v1::NODE_KIND_MINISTRY || n.kind() == v1::NODE_KIND_CABINET ||
               n.kind() == v1::NODE_KIND_ASSOCIATION || n.vendor();
  EXPECT_EQ(signers, 10u);  // 4 ministries, the Cabinet Secretariat, 4 associations, 1 vendor
  EXPECT_EQ(loaded->warnings.size(), static_cast<std::size_t>(t.nodes_size()) + signers);
  EXPECT_THAT(loaded->warnings, Each(AnyOf(HasSubstr("no public key"), HasSubstr("no signing key"))));
}

TEST(ShippedConfig, TopologyTakesKeysFromKeysDir) {
  test::TempDir keys;
  Result<LoadedTopology> first = LoadTopology(Source("config/topology.yaml"), "");
  ASSERT_TRUE(first.ok()) << first.error();
  for (const v1::Node& n : first->topology.nodes()) {
    ASSERT_TRUE(WriteKeyPair(keys.Path(), n.id(), GenerateKeyPair(), false).ok());
    if (n.kind() == v1::NODE_KIND_MINISTRY || n.kind() == v1::NODE_KIND_CABINET ||
        n.kind() == v1::NODE_KIND_ASSOCIATION || n.vendor()) {
      ASSERT_TRUE(WriteSigningKeyPair(keys.Path(), n.id(), GenerateSigningKeyPair(), false).ok());
    }
  }
  Result<LoadedTopology> loaded = LoadTopology(Source("config/topology.yaml"), keys.Path());
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_THAT(loaded->warnings, IsEmpty());
  for (const v1::Node& n : loaded->topology.nodes()) EXPECT_EQ(n.public_keys_size(), 1) << n.id();
  const v1::Node* fsa = nullptr;
  for (const v1::Node& n : loaded->topology.nodes()) fsa = n.id() == "fsa" ? &n : fsa;
  ASSERT_NE(fsa, nullptr);
  EXPECT_EQ(fsa->signing_keys_size(), 1);
  EXPECT_NE(fsa->signing_keys(0), fsa->public_keys(0));
}

TEST(LoadHubConfig, DefaultsAndRelativePaths) {
  test::TempDir dir;
  const std::string path = dir.Write("etc/hub.yaml", R"(
topology_file: topology.yaml
rules_file: rules.yaml
ingest_endpoint: ipc://in
fanout_endpoint: ipc://out
public_key_file: /abs/hub.pub
secret_key_file: ../keys/hub.key
journal_path: ":memory:"
)");
  Result<v1::HubConfig> hub = LoadHubConfig(path);
  ASSERT_TRUE(hub.ok()) << hub.error();
  EXPECT_EQ(hub->topology_file(), dir.Path("etc/topology.yaml"));
  EXPECT_EQ(hub->public_key_file(), "/abs/hub.pub");
  EXPECT_EQ(hub->secret_key_file(), dir.Path("keys/hub.key"));
  EXPECT_EQ(hub->journal_path(), ":memory:");
  EXPECT_EQ(hub->journal_engine(), "sqlite") << "an in-memory journal has no log beside it";
  EXPECT_EQ(hub->keys_dir(), "");
  EXPECT_EQ(hub->network_name(), "renrakumo");
  EXPECT_EQ(hub->log_level(), "info");
  EXPECT_EQ(hub->zap_domain(), "renrakumo");
  const v1::Limits& l = hub->limits();
  EXPECT_EQ(l.max_message_bytes(), 1048576u);
  EXPECT_EQ(l.max_batch(), 512u);
  EXPECT_EQ(l.max_fetch(), 1000u);
  EXPECT_EQ(l.heartbeat_ivl_ms(), 5000u);
  EXPECT_EQ(l.heartbeat_timeout_ms(), 15000u);
  EXPECT_EQ(l.send_hwm(), 100000u);
}

TEST(LoadHubConfig, EveryProblemOnItsOwnLineNamingTheFile) {
  test::TempDir dir;
  const std::string path = dir.Write("hub.yaml", "ingest_endpoint: udp://x\n");
  Result<v1::HubConfig> hub = LoadHubConfig(path);
  ASSERT_FALSE(hub.ok());
  EXPECT_THAT(hub.error(), StartsWith(path + ": topology_file: missing"));
  EXPECT_THAT(hub.error(), HasSubstr("\n" + path + ": ingest_endpoint: 'udp://x' is not a ZeroMQ"));
}

TEST(LoadHubConfig, ParseErrorsPassThrough) {
  test::TempDir dir;
  const std::string path = dir.Write("hub.yaml", "\nlimits: {max_bach: 1}\n");
  Result<v1::HubConfig> hub = LoadHubConfig(path);
  ASSERT_FALSE(hub.ok());
  EXPECT_THAT(hub.error(), HasSubstr(path + ":2:10: limits: unknown key 'max_bach'"));
}

constexpr const char* kTopologyHead = R"(
sectors:
  - {id: telecom, ministries: [mic], advisory_path: direct, peer_sharing: direct}
nodes:
  - {id: cabinet, kind: cabinet}
  - {id: mic, kind: ministry}
)";

TEST(LoadTopology, ReadsPublicKeyFileRelativeToTopologyAndKeysDirOtherwise) {
  test::TempDir dir;
  dir.Write("net/keys/carrier-a.pub", std::string("  ") + test::kKeyA + "\n");
  dir.Write("keydir/carrier-b.pub", std::string(test::kKeyB) + "\n");
  const std::string path = dir.Write("net/topology.yaml", std::string(kTopologyHead) + R"(
  - {id: carrier-a, kind: operator, sector: telecom, public_key_file: keys/carrier-a.pub}
  - {id: carrier-b, kind: operator, sector: telecom}
  - {id: carrier-c, kind: operator, sector: telecom}
)");
  Result<LoadedTopology> loaded = LoadTopology(path, dir.Path("keydir"));
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  const v1::Topology& t = loaded->topology;
  EXPECT_THAT(t.nodes(2).public_keys(), ElementsAre(test::kKeyA));
  EXPECT_EQ(t.nodes(2).public_key_file(), dir.Path("net/keys/carrier-a.pub"));
  EXPECT_THAT(t.nodes(3).public_keys(), ElementsAre(test::kKeyB));
  EXPECT_THAT(t.nodes(4).public_keys(), IsEmpty());
  EXPECT_EQ(t.sectors(0).report_path(), v1::REPORT_PATH_TO_MINISTRY);  // the default
  EXPECT_THAT(loaded->warnings, ElementsAre(StartsWith(path + ": nodes[0] (cabinet): no public key"),
                                            HasSubstr("nodes[0] (cabinet): no signing key"),
                                            HasSubstr("nodes[1] (mic): no public key"),
                                            HasSubstr("nodes[1] (mic): no signing key"),
                                            HasSubstr("nodes[4] (carrier-c): no public key")));
}

TEST(LoadTopology, ListedKeysWinOverKeysDir) {
  test::TempDir dir;
  dir.Write("keydir/mlit.pub", std::string(test::kKeyB) + "\n");
  const std::string path =
      dir.Write("topology.yaml", std::string(kTopologyHead) +
                                     "  - {id: carrier-a, kind: operator, sector: telecom}\n"
                                     "  - id: mlit\n    kind: ministry\n    public_keys: [\"" +
                                     test::kKeyA + "\"]\n");
  Result<LoadedTopology> loaded = LoadTopology(path, dir.Path("keydir"));
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_THAT(loaded->topology.nodes(3).public_keys(), ElementsAre(test::kKeyA));
}

TEST(LoadTopology, MissingOrBadKeyFileIsAnErrorNamingTheNode) {
  test::TempDir dir;
  dir.Write("keydir/mic.pub", "not a key\n");
  const std::string path = dir.Write("topology.yaml", std::string(kTopologyHead) + R"(
  - {id: carrier-a, kind: operator, sector: telecom, public_key_file: keys/nope.pub}
)");
  Result<LoadedTopology> loaded = LoadTopology(path, dir.Path("keydir"));
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(loaded.error(), HasSubstr(path + ": nodes[1] (mic): key file " +
                                        dir.Path("keydir/mic.pub")));
  EXPECT_THAT(loaded.error(), HasSubstr(path + ": nodes[2] (carrier-a).public_key_file: cannot "
                                               "read key file " + dir.Path("keys/nope.pub")));
}

TEST(LoadTopology, ValidationErrorsNameTheFile) {
  test::TempDir dir;
  const std::string path = dir.Write("topology.yaml", std::string(kTopologyHead) + R"(
  - {id: megabank-a, kind: operator, sector: finanse}
)");
  Result<LoadedTopology> loaded = LoadTopology(path, "");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error(), path + ": nodes[2] (megabank-a).sector: unknown sector 'finanse' "
                                   "(known: telecom)");
}

TEST(LoadNodeConfig, DefaultsPathsAndHubKeyFile) {
  test::TempDir dir;
  dir.Write("node/hub.pub", std::string(test::kKeyB) + "\n");
  const std::string path = dir.Write("node/megabank-a.yaml", R"(
node_id: megabank-a
public_key_file: megabank-a.pub
secret_key_file: /secure/megabank-a.key
hub_public_key_file: hub.pub
hubs:
  - {ingest_endpoint: "tcp://hub-1:7401", fanout_endpoint: "tcp://hub-1:7402"}
  - {ingest_endpoint: "tcp://hub-2:7401", fanout_endpoint: "tcp://hub-2:7402"}
)");
  Result<v1::NodeConfig> node = LoadNodeConfig(path);
  ASSERT_TRUE(node.ok()) << node.error();
  EXPECT_EQ(node->hub_public_key(), test::kKeyB);
  EXPECT_EQ(node->public_key_file(), dir.Path("node/megabank-a.pub"));
  EXPECT_EQ(node->secret_key_file(), "/secure/megabank-a.key");
  EXPECT_EQ(node->state_dir(), dir.Path("node"));
  EXPECT_EQ(node->request_timeout_ms(), 3000u);
  EXPECT_EQ(node->submit_deadline_ms(), 30000u);
  EXPECT_EQ(node->hubs_size(), 2);
}

TEST(LoadNodeConfig, RelativeStateDirAndInlineHubKey) {
  test::TempDir dir;
  const std::string path = dir.Write("n.yaml", std::string(R"(
node_id: carrier-a
public_key_file: a.pub
secret_key_file: a.key
state_dir: state
request_timeout_ms: 500
hubs: [{ingest_endpoint: "ipc://in", fanout_endpoint: "ipc://out"}]
hub_public_key: ")") + test::kKeyA + "\"\n");
  Result<v1::NodeConfig> node = LoadNodeConfig(path);
  ASSERT_TRUE(node.ok()) << node.error();
  EXPECT_EQ(node->state_dir(), dir.Path("state"));
  EXPECT_EQ(node->request_timeout_ms(), 500u);
  EXPECT_EQ(node->hub_public_key(), test::kKeyA);
}

TEST(LoadNodeConfig, Errors) {
  test::TempDir dir;
  const std::string both = dir.Write("both.yaml", std::string("hub_public_key_file: hub.pub\n"
                                                              "hub_public_key: \"") +
                                                      test::kKeyA + "\"\n");
  Result<v1::NodeConfig> a = LoadNodeConfig(both);
  ASSERT_FALSE(a.ok());
  EXPECT_THAT(a.error(), HasSubstr("hub_public_key_file: set either it or hub_public_key"));

  const std::string absent = dir.Write("absent.yaml", "hub_public_key_file: hub.pub\n");
  Result<v1::NodeConfig> b = LoadNodeConfig(absent);
  ASSERT_FALSE(b.ok());
  EXPECT_THAT(b.error(), HasSubstr(absent + ": hub_public_key_file: cannot read key file " +
                                   dir.Path("hub.pub")));

  const std::string empty = dir.Write("empty.yaml", "");
  Result<v1::NodeConfig> c = LoadNodeConfig(empty);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error(), HasSubstr(empty + ": node_id: missing"));
  EXPECT_THAT(c.error(), HasSubstr(empty + ": hub_public_key: missing"));
  EXPECT_THAT(c.error(), HasSubstr(empty + ": hubs: empty"));
}

}  // namespace
}  // namespace renrakumo::config
