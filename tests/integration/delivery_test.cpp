// The first working network, end to end: reports reach the supervising ministry, retries are
// answered with the original acceptance, every refusal comes back with its reason code, and
// a restarted hub still has everything it accepted.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "network.h"

namespace renrakumo::testing {
namespace {

using ::testing::HasSubstr;

TEST(Delivery, BankFlashReportReachesTheFsa) {
  TestNetwork net;
  auto bank = net.Connect("megabank-a");
  ASSERT_TRUE(bank);
  auto env = MakeReport("flash-1", "core_banking");
  auto outcome = bank->Submit(env);
  ASSERT_TRUE(outcome) << outcome.error();
  ASSERT_TRUE(outcome->accepted) << outcome->rejected_reply.reason();
  ASSERT_EQ(outcome->accepted_reply.deliveries_size(), 1);
  EXPECT_EQ(outcome->accepted_reply.deliveries(0).stream(), "node.fsa.");

  auto fsa = net.Connect("fsa");
  auto got = Drain(*fsa);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].sender(), "megabank-a");
  EXPECT_EQ(got[0].kind(), "report");
  EXPECT_EQ(got[0].envelope(), env.SerializeAsString());  // the bytes as submitted
  // Nobody else has it: not the Cabinet Secretariat, not another bank, not the association.
  for (const char* other : {"cabinet", "regional-bank-b", "jba", "mic"}) {
    auto node = net.Connect(other);
    EXPECT_TRUE(Drain(*node).empty()) << other << " saw the report";
  }
}

TEST(Delivery, LiveDeliveryArrivesWithoutPolling) {
  TestNetwork net;
  auto fsa = net.Connect("fsa");
  ASSERT_TRUE(Drain(*fsa).empty());
  auto bank = net.Connect("megabank-a");
  auto env = MakeReport("flash-live", "core_banking");
  ASSERT_TRUE(bank->Submit(env)->accepted);
  auto next = fsa->Next(std::chrono::seconds(20));
  ASSERT_TRUE(next) << next.error();
  ASSERT_TRUE(next->has_value());
  EXPECT_EQ((*next)->seq(), 1u);
  EXPECT_EQ((*next)->sender(), "megabank-a");
}

TEST(Delivery, RetryWithTheSameMessageIdIsAnsweredOnceAndDeliveredOnce) {
  TestNetwork net;
  auto bank = net.Connect("megabank-a");
  auto env = MakeReport("retry-1", "core_banking");
  auto first = bank->Submit(env);
  auto second = bank->Submit(env);
  ASSERT_TRUE(first && second);
  ASSERT_TRUE(first->accepted && second->accepted);
  EXPECT_FALSE(first->accepted_reply.duplicate());
  EXPECT_TRUE(second->accepted_reply.duplicate());
  EXPECT_EQ(second->accepted_reply.deliveries(0).seq(), first->accepted_reply.deliveries(0).seq());
  auto fsa = net.Connect("fsa");
  EXPECT_EQ(Drain(*fsa).size(), 1u);

  // The same id for different content is a conflict, not a silent overwrite.
  auto changed = MakeReport("retry-1", "core_banking");
  changed.mutable_report()->set_narrative("something else");
  auto conflict = bank->Submit(changed);
  ASSERT_TRUE(conflict);
  ASSERT_FALSE(conflict->accepted);
  EXPECT_EQ(conflict->rejected_reply.code(), v1::REJECT_DUPLICATE_CONFLICT);
}

struct RefusalCase {
  const char* name;
  const char* sender;
  v1::Envelope envelope;
  v1::RejectCode code;
  const char* words;
};

std::vector<RefusalCase> Refusals() {
  std::vector<RefusalCase> out;
  out.push_back({"operator_advisory", "megabank-a", MakeAdvisory("a1", {"finance"}),
                 v1::REJECT_NOT_PERMITTED, "operators may not issue advisories"});
  out.push_back({"ministry_other_sector", "fsa", MakeAdvisory("a2", {"telecom"}),
                 v1::REJECT_WRONG_SECTOR, "does not supervise the telecom sector"});
  out.push_back({"unknown_sector", "cabinet", MakeAdvisory("a3", {"space"}),
                 v1::REJECT_UNKNOWN_RECIPIENT, "space"});
  v1::Envelope relay;
  relay.set_message_id("r1");
  relay.set_tlp(v1::TLP_GREEN);
  relay.mutable_relay()->set_original_message_id("a9");
  relay.mutable_relay()->set_original_sender("fsa");
  relay.mutable_relay()->set_original_envelope("x");
  out.push_back({"relay_by_non_member", "fepc", relay, v1::REJECT_RELAY_MISMATCH, "no message"});
  out.push_back({"relay_by_operator", "megabank-a", relay, v1::REJECT_NOT_PERMITTED,
                 "only associations"});
  v1::Envelope share;
  share.set_message_id("s1");
  share.set_tlp(v1::TLP_GREEN);
  share.mutable_share()->set_title("signal failures");
  out.push_back({"railway_sharing", "railway-a", share, v1::REJECT_NO_PEER_SHARING, "railway"});
  out.push_back({"report_wrong_system", "megabank-a", MakeReport("rp", "reactor_control"),
                 v1::REJECT_INVALID_FIELD, "core_banking"});
  auto no_tlp = MakeReport("rp2");
  no_tlp.set_tlp(v1::TLP_UNSPECIFIED);
  out.push_back({"missing_tlp", "megabank-a", no_tlp, v1::REJECT_INVALID_FIELD, "tlp"});
  return out;
}

TEST(Delivery, EveryRefusalComesBackWithItsReasonCodeAndTheConnectionStaysUsable) {
  TestNetwork net;
  for (auto& c : Refusals()) {
    SCOPED_TRACE(c.name);
    auto node = net.Connect(c.sender);
    ASSERT_TRUE(node);
    auto outcome = node->Submit(c.envelope);
    ASSERT_TRUE(outcome) << outcome.error();
    ASSERT_FALSE(outcome->accepted);
    EXPECT_EQ(outcome->rejected_reply.code(), c.code) << outcome->rejected_reply.reason();
    EXPECT_THAT(outcome->rejected_reply.reason(), HasSubstr(c.words));
    // Same connection, a well-formed request: still served.
    EXPECT_TRUE(node->Fetch("node." + std::string(c.sender) + ".", 0, 1));
  }
  EXPECT_GE(net.hub().counters().rejections.load(), Refusals().size());
}

TEST(Delivery, AcceptedMessagesSurviveAHubRestart) {
  TestNetwork net;
  {
    auto bank = net.Connect("megabank-a");
    auto env = MakeReport("before-restart", "core_banking");
    ASSERT_TRUE(bank->Submit(env)->accepted);
  }
  net.RestartHub();
  auto bank = net.Connect("megabank-a");
  auto env = MakeReport("after-restart", "core_banking");
  auto outcome = bank->Submit(env);
  ASSERT_TRUE(outcome && outcome->accepted);
  EXPECT_EQ(outcome->accepted_reply.deliveries(0).seq(), 2u);  // the sequence continued
  auto fsa = net.Connect("fsa");
  auto got = Drain(*fsa);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].seq(), 1u);
  EXPECT_EQ(got[1].seq(), 2u);
}

TEST(Delivery, ProviderReportGoesToTheOperatorsItServes) {
  TestNetwork net;
  auto provider = net.Connect("provider-a");
  auto env = MakeReport("prov-1");
  auto outcome = provider->Submit(env);
  ASSERT_TRUE(outcome && outcome->accepted) << (outcome ? outcome->rejected_reply.reason() : outcome.error());
  const auto* node = net.topology().node("provider-a");
  ASSERT_EQ(outcome->accepted_reply.deliveries_size(), node->serves_size());
  for (const auto& op : node->serves()) {
    auto served = net.Connect(op);
    auto got = Drain(*served);
    ASSERT_EQ(got.size(), 1u) << op;
    EXPECT_EQ(got[0].sender(), "provider-a");
  }
  auto meti = net.Connect("meti");
  EXPECT_TRUE(Drain(*meti).empty()) << "providers report through the operators, not the ministry";
}

}  // namespace
}  // namespace renrakumo::testing
