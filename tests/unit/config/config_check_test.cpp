// ValidateTopology and TopologyWarnings: each rule broken by a small YAML snippet appended to
// a valid base network, and the sentence checked for the key path and the value.
#include "core/config_check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/yaml_proto.h"
#include "temp_dir.h"

namespace renrakumo::core {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A small valid network: a via-association sector, a direct one and an IT-services one.
constexpr const char* kBase = R"(
sectors:
  - {id: finance, ministries: [fsa], advisory_path: via_association,
     peer_sharing: via_association, relay_associations: [jba]}
  - {id: telecom, ministries: [mic], advisory_path: direct, peer_sharing: direct}
  - {id: it_services, ministries: [meti], advisory_path: direct,
     report_path: via_served_operators, peer_sharing: none}
nodes:
  - {id: cabinet, kind: cabinet}
  - {id: fsa, kind: ministry}
  - {id: mic, kind: ministry}
  - {id: meti, kind: ministry}
  - {id: jba, kind: association, sector: finance, members: [megabank-a]}
  - {id: megabank-a, kind: operator, sector: finance}
  - {id: carrier-a, kind: operator, sector: telecom}
  - {id: provider-a, kind: provider, sector: it_services, serves: [carrier-a]}
)";

// The base network with `extra` YAML merged in (lists append: new sectors and nodes).
v1::Topology With(const std::string& extra) {
  v1::Topology t;
  Status base = config::ParseYamlString(kBase, "base", &t);
  EXPECT_TRUE(base.ok()) << base.error();
  Status more = config::ParseYamlString(extra, "extra", &t);
  EXPECT_TRUE(more.ok()) << more.error();
  return t;
}

std::vector<std::string> Errors(const std::string& extra) { return ValidateTopology(With(extra)); }

TEST(ValidateTopology, BaseIsValid) { EXPECT_THAT(Errors(""), IsEmpty()); }

TEST(ValidateTopology, MalformedIds) {
  EXPECT_THAT(Errors("nodes: [{id: Bad.Id, kind: ministry}]"),
              ElementsAre(HasSubstr("nodes[8] (Bad.Id).id: 'Bad.Id' is not a valid id")));
  EXPECT_THAT(Errors("nodes: [{kind: ministry}]"),
              ElementsAre(HasSubstr("nodes[8].id: missing")));
  EXPECT_THAT(Errors(std::string("nodes: [{kind: ministry, id: ") + std::string(65, 'a') + "}]"),
              ElementsAre(HasSubstr("is not a valid id")));
  EXPECT_THAT(Errors("sectors: [{id: Gas, ministries: [meti], advisory_path: direct, "
                     "peer_sharing: none}]"),
              ElementsAre(HasSubstr("sectors[3] (Gas).id: 'Gas' is not a valid id")));
}

TEST(ValidateTopology, DuplicateIds) {
  EXPECT_THAT(Errors("sectors: [{id: telecom, ministries: [mic], advisory_path: direct, "
                     "peer_sharing: direct}]"),
              ElementsAre("sectors[3] (telecom).id: duplicate sector id 'telecom' "
                          "(also sectors[1] (telecom))"));
  EXPECT_THAT(Errors("nodes: [{id: mic, kind: ministry}]"),
              ElementsAre("nodes[8] (mic).id: duplicate node id 'mic' (also nodes[2] (mic))"));
}

TEST(ValidateTopology, SectorNeedsMinistries) {
  EXPECT_THAT(Errors("sectors: [{id: gas, advisory_path: direct, peer_sharing: none}]"),
              ElementsAre(HasSubstr("sectors[3] (gas).ministries: empty")));
}

TEST(ValidateTopology, MinistryMustExistAndBeMinistryOrCabinet) {
  const std::string sector = "sectors: [{id: gas, advisory_path: direct, peer_sharing: none, ";
  EXPECT_THAT(Errors(sector + "ministries: [mettti]}]"),
              ElementsAre("sectors[3] (gas).ministries[0]: unknown node 'mettti' (known "
                          "ministries and cabinet: cabinet, fsa, mic, meti)"));
  EXPECT_THAT(Errors(sector + "ministries: [meti, megabank-a]}]"),
              ElementsAre("sectors[3] (gas).ministries[1]: 'megabank-a' is an operator, not a "
                          "ministry or the cabinet"));
  EXPECT_THAT(Errors(sector + "ministries: [cabinet]}]"), IsEmpty());
}

TEST(ValidateTopology, PathsAreRequired) {
  EXPECT_THAT(Errors("sectors: [{id: gas, ministries: [meti]}]"),
              ElementsAre(HasSubstr("sectors[3] (gas).advisory_path: missing"),
                          HasSubstr("sectors[3] (gas).peer_sharing: missing")));
}

TEST(ValidateTopology, ViaAssociationNeedsRelayAssociations) {
  EXPECT_THAT(Errors("sectors: [{id: gas, ministries: [meti], advisory_path: via_association, "
                     "peer_sharing: none}]"),
              ElementsAre(HasSubstr("sectors[3] (gas).relay_associations: empty, but "
                                    "advisory_path is via_association")));
  EXPECT_THAT(Errors("sectors: [{id: gas, ministries: [meti], advisory_path: direct, "
                     "peer_sharing: via_association}]"),
              ElementsAre(HasSubstr("sectors[3] (gas).relay_associations: empty, but "
                                    "peer_sharing is via_association")));
}

TEST(ValidateTopology, RelayAssociationMustBeAnAssociationOfTheSector) {
  const std::string gas =
      "sectors: [{id: gas, ministries: [meti], advisory_path: direct, peer_sharing: "
      "via_association, relay_associations: [";
  EXPECT_THAT(Errors(gas + "jgaa]}]"),
              ElementsAre("sectors[3] (gas).relay_associations[0]: unknown node 'jgaa' (known "
                          "associations: jba)"));
  EXPECT_THAT(Errors(gas + "meti]}]"),
              ElementsAre(HasSubstr("relay_associations[0]: 'meti' is a ministry, not an "
                                    "association")));
  EXPECT_THAT(Errors(gas + "jba]}]"),
              ElementsAre("sectors[3] (gas).relay_associations[0]: 'jba' is an association of "
                          "sector 'finance', not 'gas'"));
}

TEST(ValidateTopology, NodeKindIsRequired) {
  EXPECT_THAT(Errors("nodes: [{id: x}]"), ElementsAre(HasSubstr("nodes[8] (x).kind: missing")));
}

TEST(ValidateTopology, OperatorNeedsAnExistingSector) {
  EXPECT_THAT(Errors("nodes: [{id: carrier-z, kind: operator}]"),
              ElementsAre(HasSubstr("nodes[8] (carrier-z).sector: missing")));
  EXPECT_THAT(Errors("nodes: [{id: megabank-z, kind: operator, sector: finanse}]"),
              ElementsAre("nodes[8] (megabank-z).sector: unknown sector 'finanse' (known: "
                          "finance, telecom, it_services)"));
  EXPECT_THAT(Errors("nodes: [{id: assoc, kind: association, sector: nope}]"),
              ElementsAre(HasSubstr("unknown sector 'nope'")));
  EXPECT_THAT(Errors("nodes: [{id: prov, kind: provider, vendor: true}]"),
              ElementsAre(HasSubstr("nodes[8] (prov).sector: missing")));
}

TEST(ValidateTopology, MinistryHasNoSector) {
  EXPECT_THAT(Errors("nodes: [{id: mlit, kind: ministry, sector: telecom}]"),
              ElementsAre(HasSubstr("nodes[8] (mlit).sector: a ministry has no sector (found "
                                    "'telecom')")));
  EXPECT_THAT(Errors("nodes: [{id: mlit, kind: ministry, supervisor: cabinet}]"),
              ElementsAre(HasSubstr("nodes[8] (mlit).supervisor: a ministry has no supervisor")));
}

TEST(ValidateTopology, SupervisorMustBeOneOfTheSectorsMinistries) {
  EXPECT_THAT(Errors("nodes: [{id: carrier-b, kind: operator, sector: telecom, supervisor: "
                     "fsa}]"),
              ElementsAre("nodes[8] (carrier-b).supervisor: 'fsa' is not a ministry of sector "
                          "'telecom' (its ministries: mic)"));
  EXPECT_THAT(Errors("nodes: [{id: carrier-b, kind: operator, sector: telecom, supervisor: "
                     "mic}]"),
              IsEmpty());
}

TEST(ValidateTopology, MembersMustBeOperatorsOfTheAssociationsSector) {
  const std::string fisc = "nodes: [{id: fisc, kind: association, sector: finance, members: [";
  EXPECT_THAT(Errors(fisc + "megabank-a]}]"), IsEmpty());
  EXPECT_THAT(Errors(fisc + "ghost]}]"),
              ElementsAre(HasSubstr("nodes[8] (fisc).members[0]: unknown node 'ghost' (known "
                                    "operators: megabank-a, carrier-a)")));
  EXPECT_THAT(Errors(fisc + "jba]}]"),
              ElementsAre(HasSubstr("members[0]: 'jba' is an association, not an operator")));
  EXPECT_THAT(Errors(fisc + "carrier-a]}]"),
              ElementsAre("nodes[8] (fisc).members[0]: 'carrier-a' is an operator of sector "
                          "'telecom', not 'finance'"));
  EXPECT_THAT(Errors(fisc + "megabank-a, megabank-a]}]"),
              ElementsAre(HasSubstr("members[1]: 'megabank-a' is listed twice")));
}

TEST(ValidateTopology, ViaAssociationOperatorMustBeARelayMember) {
  EXPECT_THAT(Errors("nodes: [{id: shinkin-c, kind: operator, sector: finance}]"),
              ElementsAre("nodes[8] (shinkin-c): not a member of any relay association of "
                          "sector 'finance' (jba), so it would never receive advisories"));
  // Membership of an association that does not relay does not count.
  EXPECT_THAT(Errors("nodes: [{id: shinkin-c, kind: operator, sector: finance},"
                     " {id: fisc, kind: association, sector: finance, members: [shinkin-c]}]"),
              ElementsAre(HasSubstr("(shinkin-c): not a member of any relay")));
}

TEST(ValidateTopology, ServesMustNameExistingOperators) {
  EXPECT_THAT(Errors("nodes: [{id: provider-b, kind: provider, sector: it_services, serves: "
                     "[carrier-a, nobody]}]"),
              ElementsAre(HasSubstr("nodes[8] (provider-b).serves[1]: unknown node 'nobody'")));
  EXPECT_THAT(Errors("nodes: [{id: provider-b, kind: provider, sector: it_services, serves: "
                     "[jba]}]"),
              ElementsAre(HasSubstr("serves[0]: 'jba' is an association, not an operator")));
}

TEST(ValidateTopology, RoleFieldsOnlyOnTheirKinds) {
  EXPECT_THAT(Errors("nodes: [{id: carrier-b, kind: operator, sector: telecom, members: "
                     "[carrier-a]}]"),
              ElementsAre(HasSubstr("nodes[8] (carrier-b).members: only associations have "
                                    "members, and this node is an operator")));
  EXPECT_THAT(Errors("nodes: [{id: jba2, kind: association, sector: finance, serves: "
                     "[carrier-a]}]"),
              ElementsAre(HasSubstr("nodes[8] (jba2).serves: only providers serve operators")));
  EXPECT_THAT(Errors("nodes: [{id: carrier-b, kind: operator, sector: telecom, vendor: true}]"),
              ElementsAre(HasSubstr("nodes[8] (carrier-b).vendor: only a provider can be a "
                                    "vendor")));
}

TEST(ValidateTopology, ProviderServingNobodyInViaServedSector) {
  EXPECT_THAT(Errors("nodes: [{id: provider-z, kind: provider, sector: it_services}]"),
              ElementsAre(HasSubstr("nodes[8] (provider-z).serves: empty; sector 'it_services' "
                                    "reports via served operators")));
  EXPECT_THAT(Errors("nodes: [{id: vendor-x, kind: provider, sector: it_services, vendor: "
                     "true}]"),
              IsEmpty());
}

TEST(ValidateTopology, ExactlyOneCabinet) {
  EXPECT_THAT(Errors("nodes: [{id: cabinet-2, kind: cabinet}]"),
              ElementsAre("nodes: exactly one node of kind cabinet (the Cabinet Secretariat) is "
                          "needed; found cabinet, cabinet-2"));
  v1::Topology t = With("");
  t.mutable_nodes()->erase(t.mutable_nodes()->begin());
  EXPECT_THAT(ValidateTopology(t), ElementsAre(HasSubstr("found none")));
}

TEST(ValidateTopology, PublicKeysMustBeZ85AndUnique) {
  EXPECT_THAT(Errors("nodes: [{id: carrier-b, kind: operator, sector: telecom, public_keys: "
                     "[short]}]"),
              ElementsAre("nodes[8] (carrier-b).public_keys[0]: 'short' is not a CURVE public "
                          "key (40 characters of Z85 text)"));
  const std::string key = std::string("\"") + test::kKeyA + "\"";
  EXPECT_THAT(Errors("nodes: [{id: carrier-b, kind: operator, sector: telecom, public_keys: [" +
                     key + "]}, {id: carrier-c, kind: operator, sector: telecom, public_keys: [" +
                     key + "]}]"),
              ElementsAre(HasSubstr("nodes[9] (carrier-c).public_keys[0]: '" +
                                    std::string(test::kKeyA) +
                                    "' is also a key of nodes[8] (carrier-b)")));
}

TEST(ValidateTopology, ListsMustNotRepeat) {
  EXPECT_THAT(Errors("sectors: [{id: gas, ministries: [meti, meti], advisory_path: direct, "
                     "peer_sharing: none, critical_systems: [plant_control, plant_control]}]"),
              ElementsAre(HasSubstr("sectors[3] (gas).ministries[1]: 'meti' is listed twice"),
                          HasSubstr("critical_systems[1]: 'plant_control' is listed twice")));
}

TEST(ValidateTopology, CriticalSystemsAreIdsAndThresholdsAreDescribed) {
  EXPECT_THAT(Errors("sectors: [{id: gas, ministries: [meti], advisory_path: direct, "
                     "peer_sharing: none, critical_systems: [Plant Control], "
                     "serious_failure_thresholds: [{min_households: 500}]}]"),
              ElementsAre(HasSubstr("sectors[3] (gas).critical_systems[0]: 'Plant Control' is "
                                    "not a valid id"),
                          HasSubstr("sectors[3] (gas).serious_failure_thresholds[0]."
                                    "description: missing")));
}

TEST(TopologyWarnings, NodesWithoutKeys) {
  const std::vector<std::string> w = TopologyWarnings(With(""));
  EXPECT_THAT(w, Contains(HasSubstr("nodes[5] (megabank-a): no public key; it cannot connect "
                                    "until one is listed")));
  EXPECT_THAT(w, Contains(HasSubstr("nodes[1] (fsa): no signing key; its advisories and relays "
                                    "are refused")));
  // Every node of the base network lacks a CURVE key; cabinet, the three ministries and
  // the association also lack a signing key.
  EXPECT_EQ(w.size(), 8u + 5u);
}

TEST(TopologyWarnings, UnusedRelaysAndNonProvidersInViaServedSector) {
  const std::vector<std::string> w = TopologyWarnings(
      With("sectors: [{id: railway, ministries: [mlit], advisory_path: direct, peer_sharing: "
           "none, relay_associations: [jba]}]\n"
           "nodes: [{id: mlit, kind: ministry}, {id: shop, kind: operator, sector: "
           "it_services}, {id: idle, kind: ministry}]"));
  EXPECT_THAT(w, Contains("sectors[3] (railway).relay_associations: listed but unused, since "
                          "neither advisory_path nor peer_sharing is via_association"));
  EXPECT_THAT(w, Contains(HasSubstr("sectors[2] (it_services).report_path: "
                                    "via_served_operators, but nodes[9] (shop) is an operator")));
  EXPECT_THAT(w, Contains(HasSubstr("nodes[10] (idle): a ministry that no sector lists")));
}

TEST(IsZ85Key, AcceptsFortyZ85Characters) {
  EXPECT_TRUE(IsZ85Key(test::kKeyA));
  EXPECT_TRUE(IsZ85Key(test::kKeyB));
  EXPECT_FALSE(IsZ85Key(""));
  EXPECT_FALSE(IsZ85Key(std::string(39, 'a')));
  EXPECT_FALSE(IsZ85Key(std::string(41, 'a')));
  EXPECT_FALSE(IsZ85Key(std::string(39, 'a') + "~"));   // not in the alphabet
  EXPECT_FALSE(IsZ85Key(std::string(39, 'a') + "\""));
  EXPECT_FALSE(IsZ85Key(std::string(39, 'a') + " "));
}

TEST(IsValidId, Alphabet) {
  EXPECT_TRUE(IsValidId("megabank-a"));
  EXPECT_TRUE(IsValidId("it_services"));
  EXPECT_TRUE(IsValidId("a1"));
  EXPECT_FALSE(IsValidId(""));
  EXPECT_FALSE(IsValidId("Megabank"));
  EXPECT_FALSE(IsValidId("../x"));
  EXPECT_FALSE(IsValidId("a b"));
  EXPECT_TRUE(IsValidId(std::string(64, 'a')));
  EXPECT_FALSE(IsValidId(std::string(65, 'a')));
}

}  // namespace
}  // namespace renrakumo::core
