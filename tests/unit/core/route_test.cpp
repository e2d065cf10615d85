// Routing keeps the seed's contact topology: every path of domain.md §3 and every refusal.
#include "core/route.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fixture.h"

namespace renrakumo::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

core::Decision RouteFrom(const char* sender, const v1::Envelope& env,
                         const core::StoredMessage* original = nullptr) {
  const auto& t = SmallNetwork();
  return core::Route(t, {*t.node(sender), env, original});
}

std::vector<std::string> Streams(const core::Decision& d) {
  std::vector<std::string> out;
  for (const auto& p : d.deliveries) out.push_back(p.stream);
  return out;
}

void ExpectRejected(const core::Decision& d, v1::RejectCode code, const char* words) {
  ASSERT_FALSE(d.accepted);
  EXPECT_EQ(d.rejection.code, code) << d.rejection.reason;
  EXPECT_THAT(d.rejection.reason, HasSubstr(words));
}

TEST(RouteReport, GoesToTheSupervisingMinistryOnly) {
  auto d = RouteFrom("bank-a", Report("r1", "core_banking"));
  ASSERT_TRUE(d.accepted) << d.rejection.reason;
  EXPECT_EQ(d.kind, "report");
  EXPECT_THAT(Streams(d), UnorderedElementsAre("node.fsa."));
  EXPECT_THAT(d.deliveries[0].note, HasSubstr("Bank A"));
}

TEST(RouteReport, GovernmentOperatorsReportToTheirOwnSupervisor) {
  EXPECT_THAT(Streams(RouteFrom("city-b", Report("r1"))), UnorderedElementsAre("node.mic."));
  EXPECT_THAT(Streams(RouteFrom("ministry-sys", Report("r2"))),
              UnorderedElementsAre("node.cabinet."));
}

TEST(RouteReport, UnknownCriticalSystemIsRejectedWithTheSectorsList) {
  ExpectRejected(RouteFrom("bank-a", Report("r1", "reactor")), v1::REJECT_INVALID_FIELD,
                 "core_banking");
}

TEST(RouteReport, AnotherSectorIsRejected) {
  auto env = Report("r1");
  env.mutable_report()->set_sector("telecom");
  ExpectRejected(RouteFrom("bank-a", env), v1::REJECT_WRONG_SECTOR, "finance");
}

TEST(RouteReport, ProviderReportsGoToTheOperatorsItServes) {
  auto d = RouteFrom("provider-a", Report("r1"));
  ASSERT_TRUE(d.accepted);
  EXPECT_THAT(Streams(d), UnorderedElementsAre("node.bank-a.", "node.carrier-a."));
  auto one = Report("r2");
  one.mutable_report()->set_served_operator("bank-a");
  EXPECT_THAT(Streams(RouteFrom("provider-a", one)), UnorderedElementsAre("node.bank-a."));
  one.mutable_report()->set_served_operator("rail-a");
  ExpectRejected(RouteFrom("provider-a", one), v1::REJECT_UNKNOWN_RECIPIENT, "rail-a");
}

TEST(RouteReport, MinistriesAndAssociationsDoNotFileReports) {
  ExpectRejected(RouteFrom("fsa", Report("r1")), v1::REJECT_NOT_PERMITTED, "assessment");
  ExpectRejected(RouteFrom("jba", Report("r1")), v1::REJECT_NOT_PERMITTED, "operators");
  ExpectRejected(RouteFrom("vendor-x", Report("r1")), v1::REJECT_NOT_PERMITTED, "serves no operator");
}

TEST(RouteAdvisory, DirectSectorGetsItOnTheSectorStream) {
  auto d = RouteFrom("mic", Advisory({"telecom"}));
  ASSERT_TRUE(d.accepted) << d.rejection.reason;
  EXPECT_THAT(Streams(d), UnorderedElementsAre("sector.telecom."));
}

TEST(RouteAdvisory, ViaAssociationSectorGetsItOnlyThroughTheAssociation) {
  auto d = RouteFrom("fsa", Advisory({"finance"}));
  ASSERT_TRUE(d.accepted);
  EXPECT_THAT(Streams(d), UnorderedElementsAre("node.jba."));
  EXPECT_THAT(d.deliveries[0].note, HasSubstr("relay it to your members"));
}

TEST(RouteAdvisory, MinistryMayNotAdviseASectorItDoesNotSupervise) {
  ExpectRejected(RouteFrom("fsa", Advisory({"telecom"})), v1::REJECT_WRONG_SECTOR,
                 "does not supervise the telecom sector");
}

TEST(RouteAdvisory, UnknownSectorOrNodeIsRejected) {
  ExpectRejected(RouteFrom("cabinet", Advisory({"space"})), v1::REJECT_UNKNOWN_RECIPIENT, "space");
  auto env = Advisory({});
  env.mutable_advisory()->mutable_audience()->add_nodes("nobody");
  ExpectRejected(RouteFrom("cabinet", env), v1::REJECT_UNKNOWN_RECIPIENT, "nobody");
}

TEST(RouteAdvisory, OperatorsAndAssociationsMayNotIssueAdvisories) {
  ExpectRejected(RouteFrom("bank-a", Advisory({"finance"})), v1::REJECT_NOT_PERMITTED,
                 "operators may not issue advisories");
  ExpectRejected(RouteFrom("jba", Advisory({"finance"})), v1::REJECT_NOT_PERMITTED, "relay");
  ExpectRejected(RouteFrom("provider-a", Advisory({"finance"})), v1::REJECT_NOT_PERMITTED,
                 "providers do not issue advisories");
}

TEST(RouteAdvisory, CabinetPreventionNoticeReachesEverySectorByItsPathAndTheMinistries) {
  auto env = Advisory({});
  env.mutable_advisory()->set_kind(v1::ADVISORY_PREVENTION_NOTICE);
  env.mutable_advisory()->mutable_audience()->set_everyone(true);
  auto d = RouteFrom("cabinet", env);
  ASSERT_TRUE(d.accepted) << d.rejection.reason;
  EXPECT_THAT(Streams(d),
              UnorderedElementsAre("sector.telecom.", "node.jba.", "sector.railway.",
                                   "sector.it_services.", "sector.government.", "node.mic.",
                                   "node.fsa.", "node.mlit.", "node.meti."));
}

TEST(RouteAdvisory, OnlyTheCabinetIssuesPreventionNoticesOrAdvisesEveryone) {
  auto env = Advisory({"telecom"});
  env.mutable_advisory()->set_kind(v1::ADVISORY_PREVENTION_NOTICE);
  ExpectRejected(RouteFrom("mic", env), v1::REJECT_NOT_PERMITTED, "Cabinet Secretariat");
  auto all = Advisory({});
  all.mutable_advisory()->mutable_audience()->set_everyone(true);
  ExpectRejected(RouteFrom("mic", all), v1::REJECT_NOT_PERMITTED, "every sector");
}

TEST(RouteAdvisory, VendorPublishesSecurityInformationToEveryone) {
  auto env = Advisory({});
  env.set_tlp(v1::TLP_CLEAR);
  env.mutable_advisory()->set_kind(v1::ADVISORY_SECURITY_INFORMATION);
  env.mutable_advisory()->mutable_audience()->set_everyone(true);
  auto d = RouteFrom("vendor-x", env);
  ASSERT_TRUE(d.accepted) << d.rejection.reason;
  EXPECT_THAT(Streams(d), UnorderedElementsAre("all."));
  ExpectRejected(RouteFrom("vendor-x", Advisory({"finance"})), v1::REJECT_NOT_PERMITTED,
                 "security_information");
  ExpectRejected(RouteFrom("cabinet", env), v1::REJECT_NOT_PERMITTED, "vendors");
}

TEST(RouteAdvisory, NamedNodesInASupervisedSectorGetItDirectly) {
  auto env = Advisory({});
  env.mutable_advisory()->mutable_audience()->add_nodes("bank-b");
  EXPECT_THAT(Streams(RouteFrom("fsa", env)), UnorderedElementsAre("node.bank-b."));
  env.mutable_advisory()->mutable_audience()->set_nodes(0, "carrier-a");
  ExpectRejected(RouteFrom("fsa", env), v1::REJECT_WRONG_SECTOR, "carrier-a");
}

core::StoredMessage StoredAdvisory(const v1::Envelope& env, const char* delivered_to) {
  return {"fsa", env.message_id(), 1, "advisory", env.SerializeAsString(), {{delivered_to, 1}}, {}};
}

v1::Envelope RelayOf(const core::StoredMessage& m, std::string bytes) {
  v1::Envelope env;
  env.set_message_id("relay-1");
  env.set_tlp(v1::TLP_GREEN);
  env.mutable_relay()->set_original_message_id(m.message_id);
  env.mutable_relay()->set_original_sender(m.sender);
  env.mutable_relay()->set_original_envelope(std::move(bytes));
  return env;
}

TEST(RouteRelay, AssociationRelaysTheOriginalUnchangedToItsMembers) {
  const auto stored = StoredAdvisory(Advisory({"finance"}), "node.jba.");
  auto d = RouteFrom("jba", RelayOf(stored, stored.envelope), &stored);
  ASSERT_TRUE(d.accepted) << d.rejection.reason;
  EXPECT_THAT(Streams(d), UnorderedElementsAre("node.bank-a.", "node.bank-b."));
  EXPECT_THAT(d.deliveries[0].note, HasSubstr("relayed by jba"));
}

TEST(RouteRelay, AlteredBytesAreRefused) {
  const auto stored = StoredAdvisory(Advisory({"finance"}), "node.jba.");
  auto altered = Advisory({"finance"});
  altered.mutable_advisory()->set_title("Nothing to worry about");
  ExpectRejected(RouteFrom("jba", RelayOf(stored, altered.SerializeAsString()), &stored),
                 v1::REJECT_RELAY_MISMATCH, "unchanged");
}

TEST(RouteRelay, RelayOfSomethingNotDeliveredOrNotThereIsRefused) {
  const auto elsewhere = StoredAdvisory(Advisory({"finance"}), "node.other.");
  ExpectRejected(RouteFrom("jba", RelayOf(elsewhere, elsewhere.envelope), &elsewhere),
                 v1::REJECT_RELAY_MISMATCH, "was not delivered");
  ExpectRejected(RouteFrom("jba", RelayOf(elsewhere, elsewhere.envelope), nullptr),
                 v1::REJECT_RELAY_MISMATCH, "no message");
}

TEST(RouteRelay, NonAssociationsMayNotRelay) {
  const auto stored = StoredAdvisory(Advisory({"finance"}), "node.bank-a.");
  ExpectRejected(RouteFrom("bank-a", RelayOf(stored, stored.envelope), &stored),
                 v1::REJECT_NOT_PERMITTED, "only associations");
}

v1::Envelope Share() {
  v1::Envelope env;
  env.set_message_id("s1");
  env.set_tlp(v1::TLP_GREEN);
  env.mutable_share()->set_title("Phishing wave");
  return env;
}

TEST(RouteShare, FollowsEachSectorsSharingRule) {
  EXPECT_THAT(Streams(RouteFrom("carrier-a", Share())), UnorderedElementsAre("sector.telecom."));
  EXPECT_THAT(Streams(RouteFrom("bank-a", Share())), UnorderedElementsAre("node.jba."));
  ExpectRejected(RouteFrom("rail-a", Share()), v1::REJECT_NO_PEER_SHARING, "railway");
  ExpectRejected(RouteFrom("fsa", Share()), v1::REJECT_NOT_PERMITTED, "between operators");
}

v1::Envelope Assessment(v1::Likelihood likelihood) {
  v1::Envelope env;
  env.set_message_id("as1");
  env.set_tlp(v1::TLP_AMBER);
  auto* a = env.mutable_assessment();
  a->set_incident_id("inc-1");
  a->set_reporter("bank-a");
  a->set_situation(v1::SITUATION_SERIOUS_FAILURE);
  a->set_likelihood(likelihood);
  return env;
}

TEST(RouteAssessment, ColumnsDAndEEscalateToTheCabinet) {
  EXPECT_THAT(Streams(RouteFrom("fsa", Assessment(v1::LIKELIHOOD_POSSIBLE_UNCLEAR))),
              UnorderedElementsAre("node.bank-a."));
  auto d = RouteFrom("fsa", Assessment(v1::LIKELIHOOD_HIGH));
  EXPECT_THAT(Streams(d), UnorderedElementsAre("node.bank-a.", "node.cabinet."));
  EXPECT_THAT(d.deliveries[1].note, HasSubstr("attack highly likely"));
  EXPECT_THAT(RouteFrom("fsa", Assessment(v1::LIKELIHOOD_CONFIRMED)).deliveries[1].note,
              HasSubstr("attack has occurred"));
}

TEST(RouteAssessment, OnlyTheSupervisingGovernmentAssesses) {
  ExpectRejected(RouteFrom("mic", Assessment(v1::LIKELIHOOD_HIGH)), v1::REJECT_WRONG_SECTOR,
                 "does not supervise");
  ExpectRejected(RouteFrom("bank-b", Assessment(v1::LIKELIHOOD_HIGH)), v1::REJECT_NOT_PERMITTED,
                 "assess");
  EXPECT_THAT(Streams(RouteFrom("cabinet", Assessment(v1::LIKELIHOOD_HIGH))),
              UnorderedElementsAre("node.bank-a.", "node.fsa."));
}

}  // namespace
}  // namespace renrakumo::testing
