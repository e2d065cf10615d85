// The YAML walker: shapes, scalars, enums, and the position and key path in every error.
#include "config/yaml_proto.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "renrakumo/v1/config.pb.h"
#include "temp_dir.h"

namespace renrakumo::config {
namespace {

using ::testing::HasSubstr;

// Parses `yaml` into a Topology; returns the error text, or "" on success.
std::string TopologyError(const std::string& yaml, v1::Topology* out = nullptr) {
  v1::Topology scratch;
  Status s = ParseYamlString(yaml, "t.yaml", out ? out : &scratch);
  return s.ok() ? "" : s.error();
}

std::string HubError(const std::string& yaml, v1::HubConfig* out = nullptr) {
  v1::HubConfig scratch;
  Status s = ParseYamlString(yaml, "hub.yaml", out ? out : &scratch);
  return s.ok() ? "" : s.error();
}

TEST(YamlProto, ParsesNestedMessagesListsAndScalars) {
  v1::Topology t;
  ASSERT_EQ(TopologyError(R"yaml(
sectors:
  - id: finance
    name: "Finance (金融)"
    ministries: [fsa]
    advisory_path: via_association
    serious_failure_thresholds:
      - {description: "big", min_supply_lost_kw: 70000, min_duration_minutes: 60}
nodes:
  - {id: vendor-x, kind: provider, sector: it_services, vendor: true}
  - id: "123"
)yaml", &t), "");
  ASSERT_EQ(t.sectors_size(), 1);
  EXPECT_EQ(t.sectors(0).name(), "Finance (金融)");
  EXPECT_EQ(t.sectors(0).ministries(0), "fsa");
  EXPECT_EQ(t.sectors(0).advisory_path(), v1::ADVISORY_PATH_VIA_ASSOCIATION);
  EXPECT_EQ(t.sectors(0).serious_failure_thresholds(0).min_supply_lost_kw(), 70000u);
  ASSERT_EQ(t.nodes_size(), 2);
  EXPECT_EQ(t.nodes(0).kind(), v1::NODE_KIND_PROVIDER);
  EXPECT_TRUE(t.nodes(0).vendor());
  EXPECT_EQ(t.nodes(1).id(), "123");
}

TEST(YamlProto, EnumAcceptsShortLowerCaseAndFullNameInAnyCase) {
  for (const char* text : {"via_association", "VIA_ASSOCIATION", "ADVISORY_PATH_VIA_ASSOCIATION",
                           "advisory_path_via_association"}) {
    v1::Topology t;
    ASSERT_EQ(TopologyError(std::string("sectors: [{advisory_path: ") + text + "}]", &t), "")
        << text;
    EXPECT_EQ(t.sectors(0).advisory_path(), v1::ADVISORY_PATH_VIA_ASSOCIATION) << text;
  }
  v1::Topology t;
  ASSERT_EQ(TopologyError("nodes: [{kind: operator}, {kind: cabinet}]\n"
                          "sectors: [{report_path: via_served_operators, peer_sharing: none}]",
                          &t),
            "");
  EXPECT_EQ(t.nodes(0).kind(), v1::NODE_KIND_OPERATOR);
  EXPECT_EQ(t.nodes(1).kind(), v1::NODE_KIND_CABINET);
  EXPECT_EQ(t.sectors(0).report_path(), v1::REPORT_PATH_VIA_SERVED_OPERATORS);
  EXPECT_EQ(t.sectors(0).peer_sharing(), v1::PEER_SHARING_NONE);
}

TEST(YamlProto, BadEnumListsTheChoices) {
  EXPECT_EQ(TopologyError("sectors:\n  - id: a\n  - id: b\n  - advisory_path: relay\n"),
            "t.yaml:4:20: sectors[2].advisory_path: unknown value 'relay' "
            "(one of: direct, via_association)");
}

TEST(YamlProto, UnspecifiedEnumValueIsNotAChoice) {
  EXPECT_THAT(TopologyError("nodes: [{kind: unspecified}]"),
              HasSubstr("nodes[0].kind: unknown value 'unspecified' (one of: operator, "
                        "association, ministry, cabinet, provider)"));
}

TEST(YamlProto, UnknownKeyNamesFileLineColumnPathAndKnownKeys) {
  const std::string err = TopologyError("nodes:\n  - id: a\n    sectr: finance\n");
  EXPECT_THAT(err, HasSubstr("t.yaml:3:5: nodes[0]: unknown key 'sectr' (known keys: id, name, "
                             "kind, sector, public_keys"));
}

TEST(YamlProto, UnknownTopLevelKeyHasNoPath) {
  EXPECT_THAT(TopologyError("sector: []\n"), HasSubstr("t.yaml:1:1: unknown key 'sector' "
                                                       "(known keys: sectors, nodes)"));
}

TEST(YamlProto, WrongBoolNamesValue) {
  EXPECT_THAT(TopologyError("nodes:\n  - {id: a}\n  - {id: b}\n  - {id: c}\n  - vendor: maybe\n"),
              HasSubstr("t.yaml:5:13: nodes[3].vendor: expected true or false, got 'maybe'"));
}

TEST(YamlProto, ScalarWhereListExpected) {
  EXPECT_THAT(TopologyError("sectors:\n  - {id: a}\n  - ministries: fsa\n"),
              HasSubstr("sectors[1].ministries: expected a list, got 'fsa' (write [fsa] for a "
                        "list of one)"));
}

TEST(YamlProto, MapWhereListExpected) {
  EXPECT_THAT(TopologyError("nodes: {id: a}\n"), HasSubstr("nodes: expected a list, got a map"));
}

TEST(YamlProto, ListWhereScalarExpected) {
  EXPECT_THAT(TopologyError("nodes: [{id: [a, b]}]\n"),
              HasSubstr("nodes[0].id: expected a single value, got a list"));
}

TEST(YamlProto, ScalarWhereMapExpected) {
  EXPECT_THAT(HubError("limits: 5\n"), HasSubstr("limits: expected a map of keys, got '5'"));
  EXPECT_THAT(TopologyError("nodes: [megabank-a]\n"),
              HasSubstr("nodes[0]: expected a map of keys, got 'megabank-a'"));
}

TEST(YamlProto, TopLevelMustBeAMap) {
  EXPECT_THAT(HubError("- a\n- b\n"), HasSubstr("hub.yaml:1:1: expected a map of keys, got a list"));
}

TEST(YamlProto, NegativeForUnsignedIsRejected) {
  EXPECT_THAT(TopologyError("sectors: [{serious_failure_thresholds: [{min_users: -5}]}]"),
              HasSubstr("sectors[0].serious_failure_thresholds[0].min_users: expected a whole "
                        "number of 0 or more, got '-5'"));
}

TEST(YamlProto, OutOfRangeIntegerIsRejected) {
  EXPECT_THAT(HubError("limits:\n  max_batch: 5000000000\n"),
              HasSubstr("hub.yaml:2:14: limits.max_batch: value '5000000000' is out of range "
                        "(0 to 4294967295)"));
}

TEST(YamlProto, NonNumberIsRejected) {
  EXPECT_THAT(HubError("limits: {max_fetch: lots}"),
              HasSubstr("limits.max_fetch: expected a whole number, got 'lots'"));
  EXPECT_THAT(HubError("limits: {max_fetch: 1.5}"),
              HasSubstr("limits.max_fetch: expected a whole number, got '1.5'"));
}

TEST(YamlProto, NumbersParse) {
  v1::HubConfig c;
  ASSERT_EQ(HubError("limits: {max_batch: 4294967295, max_fetch: +7}", &c), "");
  EXPECT_EQ(c.limits().max_batch(), 4294967295u);
  EXPECT_EQ(c.limits().max_fetch(), 7u);
}

TEST(YamlProto, DuplicateKeyIsRejected) {
  EXPECT_THAT(HubError("network_name: a\nlog_level: info\nnetwork_name: b\n"),
              HasSubstr("hub.yaml:3:1: duplicate key 'network_name' (first at line 1)"));
}

TEST(YamlProto, SyntaxErrorGivesLineAndColumn) {
  const std::string err = HubError("limits: {max_batch: 5\nlog_level: info\n");
  EXPECT_THAT(err, HasSubstr("hub.yaml:"));
  EXPECT_THAT(err, HasSubstr("YAML syntax error"));
  EXPECT_THAT(HubError("a: b\n  c: d\n"), ::testing::MatchesRegex("hub.yaml:2:[0-9]+: YAML syntax.*"));
}

TEST(YamlProto, EmptyTextAndCommentsOnlyGiveEmptyMessage) {
  v1::HubConfig c;
  EXPECT_EQ(HubError("", &c), "");
  EXPECT_EQ(HubError("# nothing here\n\n", &c), "");
  EXPECT_EQ(c.ByteSizeLong(), 0u);
}

TEST(YamlProto, KeyWithNoValueLeavesDefault) {
  v1::HubConfig c;
  ASSERT_EQ(HubError("network_name:\nlimits:\n", &c), "");
  EXPECT_EQ(c.network_name(), "");
  EXPECT_FALSE(c.has_limits());
}

TEST(YamlProto, EmptyListItemIsRejected) {
  EXPECT_THAT(TopologyError("sectors: [{ministries: [fsa, ~]}]"),
              HasSubstr("sectors[0].ministries[1]: empty list item"));
}

TEST(YamlProto, SecondDocumentIsRejected) {
  EXPECT_THAT(HubError("log_level: info\n---\nlog_level: debug\n"),
              HasSubstr("a second YAML document"));
}

TEST(YamlProto, FileErrorsNameThePath) {
  test::TempDir dir;
  v1::HubConfig c;
  Status missing = ParseYamlFile(dir.Path("absent.yaml"), &c);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.error(), HasSubstr("cannot read '" + dir.Path("absent.yaml") + "'"));
  Status directory = ParseYamlFile(dir.Path(), &c);
  ASSERT_FALSE(directory.ok());
  EXPECT_THAT(directory.error(), HasSubstr("is a directory"));
}

TEST(YamlProto, FileErrorsCarryThePathAndLine) {
  test::TempDir dir;
  const std::string path = dir.Write("hub.yaml", "network_name: x\nlimit: {}\n");
  v1::HubConfig c;
  Status s = ParseYamlFile(path, &c);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error(), HasSubstr(path + ":2:1: unknown key 'limit'"));
}

}  // namespace
}  // namespace renrakumo::config
