// Delivery that loses nothing: a stalled subscriber that overflows the high-water marks and a
// node offline during a burst both end with every delivery, in order, none twice; replay is
// bounded by the credit window; acknowledgements and status answer "who has not answered?".
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "network.h"

namespace renrakumo::testing {
namespace {

using ::testing::HasSubstr;

std::vector<v1::Envelope> AdvisoriesTo(const std::string& node, int count, const std::string& tag) {
  std::vector<v1::Envelope> out;
  for (int i = 0; i < count; ++i) {
    auto env = MakeAdvisory(tag + "-" + std::to_string(i), {});
    env.mutable_advisory()->mutable_audience()->add_nodes(node);
    out.push_back(std::move(env));
  }
  return out;
}

// Receives until `count` deliveries arrived (bounded), checking order and uniqueness.
void ExpectInOrderExactlyOnce(client::Client& node, const std::string& stream, uint64_t count) {
  uint64_t expected = 1;
  std::set<std::string> ids;
  while (expected <= count) {
    auto next = node.Next(std::chrono::seconds(30));
    ASSERT_TRUE(next) << next.error();
    ASSERT_TRUE(next->has_value()) << "stuck after " << expected - 1 << " of " << count;
    const auto& d = **next;
    if (d.stream() != stream) continue;
    ASSERT_EQ(d.seq(), expected) << "out of order or duplicated";
    v1::Envelope env;
    ASSERT_TRUE(env.ParseFromString(d.envelope()));
    ASSERT_TRUE(ids.insert(env.message_id()).second) << "delivered twice: " << env.message_id();
    ++expected;
  }
  EXPECT_EQ(ids.size(), count);
}

TEST(Lossless, StalledSubscriberOverflowingTheHighWaterMarkGetsEverythingInOrder) {
  TestNetwork net([](v1::HubConfig& c) { c.mutable_limits()->set_send_hwm(50); });
  auto cfg = net.NodeConfig("regional-bank-b");
  cfg.set_receive_hwm(50);
  auto bank = client::Client::Connect(cfg);
  ASSERT_TRUE(bank) << bank.error();
  ASSERT_TRUE(Drain(**bank).empty());  // caught up and subscribed; now it stalls
  ASSERT_TRUE(TestNetwork::WaitFor(
      [&] { return net.hub().counters().subscriptions_applied.load() >= 3; }));
  const int burst = 3000;
  ASSERT_EQ(SubmitMany(net, "fsa", AdvisoriesTo("regional-bank-b", burst, "burst")), size_t{burst});
  // Far more than both high-water marks was published while the node did not read.
  ASSERT_TRUE(TestNetwork::WaitFor(
      [&] { return net.hub().counters().deliveries_published.load() >= uint64_t{burst}; }));
  ExpectInOrderExactlyOnce(**bank, "node.regional-bank-b.", burst);
}

TEST(Lossless, NodeOfflineDuringABurstOfTenThousandCatchesUp) {
  TestNetwork net;
  ASSERT_EQ(SubmitMany(net, "fsa", AdvisoriesTo("shinkin-c", 10000, "offline")), size_t{10000});
  auto bank = net.Connect("shinkin-c");
  ASSERT_TRUE(bank);
  ExpectInOrderExactlyOnce(*bank, "node.shinkin-c.", 10000);
  // A restarted node resumes from its persisted cursor: nothing is handed out again.
  ASSERT_TRUE(bank->CommitCursors());
  bank.reset();
  auto again = net.Connect("shinkin-c");
  EXPECT_TRUE(Drain(*again).empty());
}

TEST(Lossless, ReplayOfOneHundredThousandStaysWithinTheCreditWindow) {
  const uint32_t window = 1000;
  TestNetwork net([&](v1::HubConfig& c) { c.mutable_limits()->set_max_fetch(window); });
  const int total = 100000;
  auto advisories = AdvisoriesTo("power-a", total, "replay");
  ASSERT_EQ(SubmitMany(net, "meti", advisories), size_t{total});
  auto node = net.Connect("power-a");
  ASSERT_TRUE(node);
  uint64_t after = 0;
  size_t batches = 0;
  while (after < total) {
    // Ask for more than the window: the hub must still send at most `window`.
    auto batch = node->Fetch("node.power-a.", after, 5 * window);
    ASSERT_TRUE(batch) << batch.error();
    ASSERT_FALSE(batch->deliveries().empty());
    ASSERT_LE(static_cast<uint32_t>(batch->deliveries_size()), window);
    EXPECT_EQ(batch->deliveries(0).seq(), after + 1);
    after = batch->deliveries(batch->deliveries_size() - 1).seq();
    ++batches;
  }
  EXPECT_EQ(after, uint64_t{total});
  EXPECT_EQ(batches, size_t{total / window});
  auto small = node->Fetch("node.power-a.", 0, 7);  // and honours a smaller credit
  ASSERT_TRUE(small);
  EXPECT_EQ(small->deliveries_size(), 7);
}

TEST(Lossless, AbsurdSequenceGetsAClearError) {
  TestNetwork net;
  auto node = net.Connect("power-a");
  auto far = node->Fetch("node.power-a.", 1'000'000'000, 10);
  ASSERT_FALSE(far);
  EXPECT_THAT(far.error(), HasSubstr("ends at sequence 0"));
}

TEST(Lossless, UnansweredSubmissionSurvivesTheSendersRestartInItsOutbox) {
  TestNetwork net;
  auto cfg = net.NodeConfig("megabank-a");
  cfg.set_request_timeout_ms(200);
  cfg.set_submit_deadline_ms(600);
  auto bank = client::Client::Connect(cfg);
  ASSERT_TRUE(bank) << bank.error();
  net.StopHub();  // the hub goes down before it can answer
  auto env = MakeReport("outbox-1", "core_banking");
  auto lost = (*bank)->Submit(env);
  ASSERT_FALSE(lost);
  EXPECT_THAT(lost.error(), HasSubstr("outbox"));
  EXPECT_EQ((*bank)->OutboxMessageIds(), std::vector<std::string>{"outbox-1"});
  bank->reset();  // the bank's software restarts too

  net.StartHub();
  auto restarted = client::Client::Connect(cfg);
  ASSERT_TRUE(restarted) << restarted.error();
  EXPECT_EQ((*restarted)->OutboxMessageIds(), std::vector<std::string>{"outbox-1"});
  auto outcomes = (*restarted)->ResubmitOutbox();
  ASSERT_TRUE(outcomes) << outcomes.error();
  ASSERT_EQ(outcomes->size(), 1u);
  EXPECT_TRUE((*outcomes)[0].accepted);
  EXPECT_TRUE((*restarted)->OutboxMessageIds().empty());
  auto fsa = net.Connect("fsa");
  EXPECT_EQ(Drain(*fsa).size(), 1u);
}

TEST(Lossless, UnreachableHubIsNamedInTheError) {
  TestNetwork net;
  auto cfg = net.NodeConfig("megabank-a");
  cfg.set_request_timeout_ms(200);
  cfg.mutable_hubs(0)->set_ingest_endpoint("ipc://" + (net.dir() / "nobody-here").string());
  auto unreachable = client::Client::Connect(cfg);
  ASSERT_FALSE(unreachable);
  EXPECT_THAT(unreachable.error(), HasSubstr("hub unreachable at ipc://"));
}

TEST(Lossless, SecondContactRouteIsUsedWhenTheFirstIsDown) {
  TestNetwork net;
  auto cfg = net.NodeConfig("megabank-a");
  cfg.set_request_timeout_ms(200);
  auto* first = cfg.mutable_hubs(0);
  auto second = *first;
  first->set_ingest_endpoint("ipc://" + (net.dir() / "dead-route").string());
  *cfg.add_hubs() = second;
  auto bank = client::Client::Connect(cfg);
  ASSERT_TRUE(bank) << bank.error();
  EXPECT_EQ((*bank)->route(), second.ingest_endpoint());
}

TEST(Lossless, IssuerSeesWhoReceivedReadAndActedOnAnAdvisory) {
  TestNetwork net;
  auto fsa = net.Connect("fsa");
  auto advisory = MakeAdvisory("fsa-warn-1", {"finance"});
  ASSERT_TRUE(fsa->Submit(advisory)->accepted);
  auto jba = net.Connect("jba");
  auto original = jba->GetMessage("fsa", "fsa-warn-1");
  ASSERT_TRUE(original);
  auto relay = MakeRelay("jba-relay-1", "fsa", "fsa-warn-1", original->envelope());
  ASSERT_TRUE(jba->Submit(relay)->accepted);

  auto bank = net.Connect("megabank-a");
  ASSERT_EQ(Drain(*bank).size(), 1u);
  ASSERT_TRUE(bank->CommitCursors());
  auto acted = bank->Acknowledge("fsa", "fsa-warn-1", v1::ACK_ACTED_ON, "blocked at the proxy");
  ASSERT_TRUE(acted && acted->accepted) << (acted ? acted->rejected_reply.reason() : acted.error());
  auto read = jba->Acknowledge("fsa", "fsa-warn-1", v1::ACK_READ);
  ASSERT_TRUE(read && read->accepted);
  // A node that never received it cannot acknowledge it.
  auto carrier = net.Connect("carrier-a");
  auto stranger = carrier->Acknowledge("fsa", "fsa-warn-1", v1::ACK_READ);
  ASSERT_TRUE(stranger);
  EXPECT_FALSE(stranger->accepted);
  EXPECT_EQ(stranger->rejected_reply.code(), v1::REJECT_UNKNOWN_RECIPIENT);

  auto status = fsa->Status("fsa", "fsa-warn-1");
  ASSERT_TRUE(status) << status.error();
  std::map<std::string, v1::RecipientStatus> by_node;
  for (const auto& r : status->recipients()) by_node[r.node()] = r;
  ASSERT_EQ(by_node.size(), 4u);  // jba directly, its three member banks through the relay
  EXPECT_EQ(by_node["jba"].via(), "direct");
  EXPECT_EQ(by_node["jba"].ack(), v1::ACK_READ);
  EXPECT_EQ(by_node["megabank-a"].via(), "jba");
  EXPECT_EQ(by_node["megabank-a"].ack(), v1::ACK_ACTED_ON);
  EXPECT_EQ(by_node["megabank-a"].comment(), "blocked at the proxy");
  EXPECT_TRUE(by_node["megabank-a"].processed());
  EXPECT_EQ(by_node["shinkin-c"].ack(), v1::ACK_STATE_UNSPECIFIED);
  EXPECT_FALSE(by_node["shinkin-c"].processed());

  // The relaying association may ask too; an operator may not.
  EXPECT_TRUE(jba->Status("fsa", "fsa-warn-1"));
  auto refused = bank->Status("fsa", "fsa-warn-1");
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error(), HasSubstr("only the sender"));
}

TEST(Lossless, GovernmentSeesWhenEachNodeWasLastSeen) {
  TestNetwork net;
  auto bank = net.Connect("megabank-a");
  auto fsa = net.Connect("fsa");
  auto nodes = fsa->Nodes();
  ASSERT_TRUE(nodes) << nodes.error();
  std::map<std::string, int64_t> seen;
  for (const auto& n : nodes->nodes()) seen[n.node()] = n.last_seen_ms();
  EXPECT_EQ(seen.size(), static_cast<size_t>(net.topology().config().nodes_size()));
  EXPECT_GT(seen["megabank-a"], 0);
  EXPECT_EQ(seen["carrier-a"], 0);
  auto refused = bank->Nodes();
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error(), HasSubstr("only ministries"));
}

}  // namespace
}  // namespace renrakumo::testing
