// ValidateHubConfig and ValidateNodeConfig: each rule broken by a YAML snippet over defaults.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/load.h"
#include "config/yaml_proto.h"
#include "core/config_check.h"
#include "temp_dir.h"

namespace renrakumo::core {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr const char* kValidHub = R"(
topology_file: topology.yaml
rules_file: rules.yaml
ingest_endpoint: tcp://127.0.0.1:*
fanout_endpoint: tcp://127.0.0.1:*
public_key_file: hub.pub
secret_key_file: hub.key
journal_path: journal.db
)";

// The valid hub config, with `yaml` merged over it, after defaults.
std::vector<std::string> HubErrors(const std::string& yaml) {
  v1::HubConfig c;
  Status base = config::ParseYamlString(kValidHub, "base", &c);
  EXPECT_TRUE(base.ok()) << base.error();
  Status more = config::ParseYamlString(yaml, "hub.yaml", &c);
  EXPECT_TRUE(more.ok()) << more.error();
  config::ApplyHubDefaults(&c);
  return ValidateHubConfig(c);
}

TEST(ValidateHubConfig, ValidWithDefaults) { EXPECT_THAT(HubErrors(""), IsEmpty()); }

TEST(ValidateHubConfig, RequiredFields) {
  v1::HubConfig c;
  config::ApplyHubDefaults(&c);
  EXPECT_THAT(ValidateHubConfig(c),
              ElementsAre(HasSubstr("topology_file: missing"),
                          HasSubstr("rules_file: missing"),
                          HasSubstr("ingest_endpoint: missing; e.g. tcp://0.0.0.0:7401"),
                          HasSubstr("fanout_endpoint: missing"),
                          HasSubstr("public_key_file: missing"),
                          HasSubstr("secret_key_file: missing"),
                          HasSubstr("journal_path: missing")));
}

TEST(ValidateHubConfig, EndpointsNeedAZeroMqScheme) {
  EXPECT_THAT(HubErrors("ingest_endpoint: http://127.0.0.1:7401"),
              ElementsAre("ingest_endpoint: 'http://127.0.0.1:7401' is not a ZeroMQ endpoint "
                          "(start it with tcp://, ipc:// or inproc://)"));
  EXPECT_THAT(HubErrors("fanout_endpoint: \"tcp://\""),
              ElementsAre(HasSubstr("fanout_endpoint: 'tcp://' is not a ZeroMQ endpoint")));
  EXPECT_THAT(HubErrors("ingest_endpoint: ipc:///tmp/in\nfanout_endpoint: inproc://out"),
              IsEmpty());
}

TEST(ValidateHubConfig, EndpointsMustDiffer) {
  EXPECT_THAT(HubErrors("ingest_endpoint: tcp://127.0.0.1:7401\n"
                        "fanout_endpoint: tcp://127.0.0.1:7401"),
              ElementsAre(HasSubstr("fanout_endpoint: 'tcp://127.0.0.1:7401' is also the "
                                    "ingest_endpoint")));
}

TEST(ValidateHubConfig, LimitsInRange) {
  EXPECT_THAT(HubErrors("limits: {max_batch: 100001}"),
              ElementsAre("limits.max_batch: 100001 is out of range (1 to 100000)"));
  EXPECT_THAT(HubErrors("limits: {max_fetch: 200000}"),
              ElementsAre(HasSubstr("limits.max_fetch: 200000 is out of range")));
  EXPECT_THAT(HubErrors("limits: {max_message_bytes: 100}"),
              ElementsAre("limits.max_message_bytes: 100 is out of range (1024 to 67108864)"));
  EXPECT_THAT(HubErrors("limits: {max_message_bytes: 67108865}"),
              ElementsAre(HasSubstr("limits.max_message_bytes: 67108865 is out of range")));
  EXPECT_THAT(HubErrors("limits: {heartbeat_ivl_ms: 20000}"),
              ElementsAre("limits.heartbeat_timeout_ms: 15000 must be longer than "
                          "limits.heartbeat_ivl_ms (20000)"));
}

TEST(ValidateHubConfig, LogLevel) {
  EXPECT_THAT(HubErrors("log_level: verbose"),
              ElementsAre("log_level: unknown level 'verbose' (one of: trace, debug, info, "
                          "warn, error)"));
  EXPECT_THAT(HubErrors("log_level: debug"), IsEmpty());
}

TEST(ValidateHubConfig, JournalEngine) {
  EXPECT_THAT(HubErrors(""), IsEmpty()) << "log by default";
  EXPECT_THAT(HubErrors("journal_engine: sqlite"), IsEmpty());
  EXPECT_THAT(HubErrors("journal_engine: log"), IsEmpty());
  EXPECT_THAT(HubErrors("journal_engine: lmdb"),
              ElementsAre("journal_engine: unknown engine 'lmdb' (one of: sqlite, log)"));
  EXPECT_THAT(HubErrors("journal_engine: log\njournal_path: \":memory:\""),
              ElementsAre(HasSubstr("journal_path cannot be \":memory:\"")));
}

constexpr const char* kValidNode = R"(
node_id: megabank-a
public_key_file: megabank-a.pub
secret_key_file: megabank-a.key
hubs:
  - {ingest_endpoint: "tcp://hub-1:7401", fanout_endpoint: "tcp://hub-1:7402"}
request_timeout_ms: 3000
submit_deadline_ms: 30000
)";

std::vector<std::string> NodeErrors(const std::string& yaml) {
  v1::NodeConfig c;
  c.set_hub_public_key(test::kKeyB);
  Status base = config::ParseYamlString(kValidNode, "base", &c);
  EXPECT_TRUE(base.ok()) << base.error();
  Status more = config::ParseYamlString(yaml, "node.yaml", &c);
  EXPECT_TRUE(more.ok()) << more.error();
  return ValidateNodeConfig(c);
}

TEST(ValidateNodeConfig, Valid) { EXPECT_THAT(NodeErrors(""), IsEmpty()); }

TEST(ValidateNodeConfig, NodeIdAndHubKey) {
  EXPECT_THAT(NodeErrors("node_id: Megabank A"),
              ElementsAre(HasSubstr("node_id: 'Megabank A' is not a valid id")));
  EXPECT_THAT(NodeErrors("hub_public_key: abc"),
              ElementsAre("hub_public_key: 'abc' is not a CURVE public key (40 characters of Z85 "
                          "text)"));
}

TEST(ValidateNodeConfig, HubRoutesNeedBothEndpoints) {
  EXPECT_THAT(NodeErrors("hubs: [{ingest_endpoint: \"tcp://hub-2:7401\"}]"),
              ElementsAre(HasSubstr("hubs[1].fanout_endpoint: missing")));
  v1::NodeConfig c;
  c.set_node_id("x");
  c.set_public_key_file("x.pub");
  c.set_secret_key_file("x.key");
  c.set_hub_public_key(test::kKeyB);
  c.set_request_timeout_ms(1);
  c.set_submit_deadline_ms(1);
  EXPECT_THAT(ValidateNodeConfig(c), ElementsAre(HasSubstr("hubs: empty")));
}

TEST(ValidateNodeConfig, DeadlineNotShorterThanTimeout) {
  EXPECT_THAT(NodeErrors("submit_deadline_ms: 1000"),
              ElementsAre("submit_deadline_ms: 1000 is shorter than request_timeout_ms (3000)"));
}

// A topology of `operators` telecom operators under one ministry.
v1::Topology Operators(int operators) {
  v1::Topology t;
  auto* sector = t.add_sectors();
  sector->set_id("telecom");
  sector->add_ministries("mic");
  auto* mic = t.add_nodes();
  mic->set_id("mic");
  mic->set_kind(v1::NODE_KIND_MINISTRY);
  for (int i = 0; i < operators; ++i) {
    auto* n = t.add_nodes();
    n->set_id("carrier-" + std::to_string(i));
    n->set_kind(v1::NODE_KIND_OPERATOR);
    n->set_sector("telecom");
  }
  return t;
}

v1::HubConfig HubWith(const std::string& yaml) {
  v1::HubConfig c;
  EXPECT_TRUE(config::ParseYamlString(kValidHub, "base", &c).ok());
  EXPECT_TRUE(config::ParseYamlString(yaml, "hub.yaml", &c).ok());
  config::ApplyHubDefaults(&c);
  return c;
}

TEST(HubScaleWarnings, FewSecondHeartbeatsOnThousandsOfNodesAreWarnedAbout) {
  const auto w = HubScaleWarnings(HubWith(""), Operators(3000));
  ASSERT_EQ(w.size(), 1u);
  EXPECT_THAT(w[0], HasSubstr("limits.heartbeat_ivl_ms: 5000 ms with 3001 nodes (6002 connections)"));
  EXPECT_THAT(w[0], HasSubstr("heartbeat_ivl_ms: 30000"));
}

TEST(HubScaleWarnings, NoneForASmallNetworkOrLongHeartbeats) {
  EXPECT_THAT(HubScaleWarnings(HubWith(""), Operators(100)), IsEmpty());
  EXPECT_THAT(HubScaleWarnings(HubWith("limits: {heartbeat_ivl_ms: 30000, heartbeat_timeout_ms: 90000}"),
                               Operators(3000)),
              IsEmpty());
}

}  // namespace
}  // namespace renrakumo::core
