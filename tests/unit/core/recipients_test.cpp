// Who a message was meant for: the readers behind each stream, and members via relays.
#include "core/recipients.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/route.h"
#include "fixture.h"

namespace renrakumo::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

std::vector<std::string> Nodes(const std::vector<core::Recipient>& rs) {
  std::vector<std::string> out;
  for (const auto& r : rs) out.push_back(r.node + "/" + r.via);
  return out;
}

TEST(Recipients, ReadersOfEachKindOfStream) {
  const auto& t = SmallNetwork();
  EXPECT_THAT(core::ReadersOf(t, "node.fsa."), ElementsAre("fsa"));
  EXPECT_THAT(core::ReadersOf(t, "sector.telecom."), UnorderedElementsAre("carrier-a", "carrier-b"));
  EXPECT_EQ(core::ReadersOf(t, "all.").size(), static_cast<size_t>(t.config().nodes_size()));
  EXPECT_TRUE(core::ReadersOf(t, "node.nobody.").empty());
  EXPECT_TRUE(core::ReadersOf(t, "garbage").empty());
}

TEST(Recipients, DirectSectorAdvisoryIsMeantForEveryOperatorOfTheSector) {
  const auto& t = SmallNetwork();
  core::StoredMessage m{"mic", "a1", 1, "advisory", "", {{"sector.telecom.", 4}}, {}};
  EXPECT_THAT(Nodes(core::IntendedRecipients(t, m, {})),
              UnorderedElementsAre("carrier-a/sector.telecom.", "carrier-b/sector.telecom."));
}

TEST(Recipients, RelayedAdvisoryReachesTheAssociationDirectlyAndMembersViaIt) {
  const auto& t = SmallNetwork();
  core::StoredMessage m{"fsa", "a1", 1, "advisory", "", {{"node.jba.", 1}}, {}};
  core::StoredMessage relay{"jba", "r1", 2, "relay", "", {{"node.bank-a.", 1}, {"node.bank-b.", 1}}, {}};
  auto rs = core::IntendedRecipients(t, m, {relay});
  EXPECT_THAT(Nodes(rs), ElementsAre("jba/direct", "bank-a/jba", "bank-b/jba"));
  EXPECT_EQ(rs[1].position.stream, "node.bank-a.");
}

TEST(RouteAcknowledgement, OnlyARecipientMayAcknowledge) {
  const auto& t = SmallNetwork();
  core::StoredMessage m{"mic", "a1", 1, "advisory", "", {{"sector.telecom.", 4}}, {}};
  v1::Envelope ack;
  ack.set_message_id("ack-1");
  ack.set_tlp(v1::TLP_AMBER);
  ack.mutable_acknowledgement()->set_message_sender("mic");
  ack.mutable_acknowledgement()->set_message_id("a1");
  ack.mutable_acknowledgement()->set_state(v1::ACK_READ);
  auto ok = core::Route(t, {*t.node("carrier-a"), ack, &m});
  ASSERT_TRUE(ok.accepted) << ok.rejection.reason;
  EXPECT_EQ(ok.kind, "acknowledgement");
  EXPECT_TRUE(ok.deliveries.empty());
  auto stranger = core::Route(t, {*t.node("bank-a"), ack, &m});
  ASSERT_FALSE(stranger.accepted);
  EXPECT_EQ(stranger.rejection.code, v1::REJECT_UNKNOWN_RECIPIENT);
  EXPECT_THAT(stranger.rejection.reason, HasSubstr("cannot be acknowledged"));
  EXPECT_FALSE(core::Route(t, {*t.node("carrier-a"), ack, nullptr}).accepted);
}

TEST(RouteAcknowledgement, AMemberAcknowledgesTheAdvisoryItGotThroughARelay) {
  const auto& t = SmallNetwork();
  core::StoredMessage m{"fsa", "a1", 1, "advisory", "", {{"node.jba.", 1}}, {}};
  std::vector<core::StoredMessage> relays{
      {"jba", "r1", 2, "relay", "", {{"node.bank-a.", 1}, {"node.bank-b.", 1}}, {}}};
  v1::Envelope ack;
  ack.set_message_id("ack-1");
  ack.set_tlp(v1::TLP_AMBER);
  ack.mutable_acknowledgement()->set_message_sender("fsa");
  ack.mutable_acknowledgement()->set_message_id("a1");
  ack.mutable_acknowledgement()->set_state(v1::ACK_ACTED_ON);
  EXPECT_TRUE(core::Route(t, {*t.node("bank-a"), ack, &m, &relays}).accepted);
  EXPECT_FALSE(core::Route(t, {*t.node("bank-a"), ack, &m, nullptr}).accepted);
  EXPECT_FALSE(core::Route(t, {*t.node("carrier-a"), ack, &m, &relays}).accepted);
}

}  // namespace
}  // namespace renrakumo::testing
