// The hub killed with SIGKILL at random points during a burst from several senders, then
// restarted, several times in one test. Afterwards every message any sender saw accepted is
// delivered, every recipient has each exactly once, and nothing appears twice.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "config/load.h"
#include "lib/client.h"
#include "sandbox.h"

namespace renrakumo::clitest {
namespace {

constexpr int kPerSender = 150;

v1::NodeConfig Config(const Sandbox& box, const std::string& id) {
  auto cfg = config::LoadNodeConfig(box.NodeConfig(id));
  if (!cfg) throw std::runtime_error(cfg.error());
  cfg->set_request_timeout_ms(300);
  cfg->set_submit_deadline_ms(2000);
  cfg->set_no_outbox(true);  // the loop below retries itself
  return *cfg;
}

v1::Envelope Message(const std::string& sender, int i) {
  v1::Envelope env;
  env.set_message_id(sender + "-" + std::to_string(i));
  env.set_tlp(v1::TLP_AMBER);
  if (sender == "mic") {
    auto* a = env.mutable_advisory();
    a->set_kind(v1::ADVISORY_WARNING);
    a->set_title("warning " + std::to_string(i));
    a->mutable_audience()->add_sectors("telecom");
  } else {
    auto* r = env.mutable_report();
    r->set_incident_id("inc-" + std::to_string(i));
    r->set_phase(v1::PHASE_FLASH);
    r->set_situation(v1::SITUATION_MINOR_FAILURE);
    r->set_likelihood(v1::LIKELIHOOD_NEGLIGIBLE);
    r->set_affected_system("other");
  }
  return env;
}

// Submits kPerSender messages, each retried (same id) until the hub says accepted.
void Sender(const Sandbox& box, const std::string& id, std::atomic<int>& accepted_total,
            std::vector<std::string>& accepted) {
  std::unique_ptr<client::Client> node;
  for (int i = 0; i < kPerSender; ++i) {
    auto env = Message(id, i);
    for (int attempt = 0; attempt < 200; ++attempt) {
      if (!node) {
        auto c = client::Client::Connect(Config(box, id));
        if (!c) continue;  // the hub is down: try again
        node = std::move(*c);
      }
      auto outcome = node->Submit(env);
      if (!outcome) {
        node.reset();  // reconnect from scratch after a crash
        continue;
      }
      if (outcome->accepted) {
        accepted.push_back(env.message_id());
        ++accepted_total;
      } else {
        ADD_FAILURE() << id << " rejected: " << outcome->rejected_reply.reason();
      }
      break;
    }
  }
}

std::vector<std::string> ReceivedIds(const Sandbox& box, const std::string& id,
                                     const std::string& stream) {
  auto node = client::Client::Connect(Config(box, id));
  EXPECT_TRUE(node) << node.error();
  std::vector<std::string> out;
  if (!node) return out;
  uint64_t expected_seq = 1;
  for (;;) {
    auto next = (*node)->Next(std::chrono::milliseconds(0));
    EXPECT_TRUE(next) << next.error();
    if (!next || !*next) return out;
    if ((*next)->stream() != stream) continue;
    EXPECT_EQ((*next)->seq(), expected_seq++) << "a gap or repeat in " << stream;
    v1::Envelope env;
    EXPECT_TRUE(env.ParseFromString((*next)->envelope()));
    out.push_back(env.message_id());
  }
}

TEST(Crash, SigkillDuringABurstLosesNothingAndDuplicatesNothing) {
  Sandbox box;
  ASSERT_TRUE(box.PrepareHub());
  for (const char* id : {"megabank-a", "regional-bank-b", "mic", "fsa", "carrier-a"})
    ASSERT_EQ(box.Keygen(id).exit_code, 0);
  ASSERT_TRUE(box.StartHub());

  const std::vector<std::string> senders = {"megabank-a", "regional-bank-b", "mic"};
  std::map<std::string, std::vector<std::string>> accepted;
  for (const auto& s : senders) accepted[s];
  std::atomic<int> total{0};
  std::vector<std::thread> threads;
  for (const auto& s : senders)
    threads.emplace_back([&, s] { Sender(box, s, total, accepted[s]); });

  const int all = kPerSender * static_cast<int>(senders.size());
  const unsigned seed = std::random_device{}();
  std::mt19937 rng(seed);
  SCOPED_TRACE("random seed " + std::to_string(seed));
  int kills = 0;
  for (int round = 1; round <= 4; ++round) {
    // Kill at a random point of the burst, somewhere in this round's quarter.
    std::uniform_int_distribution<int> at(all * (round - 1) / 5, all * round / 5);
    const int kill_at = at(rng);
    ASSERT_TRUE(WaitUntil([&] { return total.load() >= kill_at; }, 120));
    box.KillHub();
    ++kills;
    ASSERT_TRUE(box.StartHub());
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(kills, 4);
  ASSERT_EQ(total.load(), all) << "every message is eventually accepted";

  // FSA has every bank report exactly once; carrier-a every MIC advisory exactly once.
  std::multiset<std::string> at_fsa;
  for (const auto& id : ReceivedIds(box, "fsa", "node.fsa.")) at_fsa.insert(id);
  std::multiset<std::string> expected_fsa(accepted["megabank-a"].begin(), accepted["megabank-a"].end());
  expected_fsa.insert(accepted["regional-bank-b"].begin(), accepted["regional-bank-b"].end());
  EXPECT_EQ(at_fsa, expected_fsa);
  std::multiset<std::string> at_carrier;
  for (const auto& id : ReceivedIds(box, "carrier-a", "sector.telecom.")) at_carrier.insert(id);
  EXPECT_EQ(at_carrier, std::multiset<std::string>(accepted["mic"].begin(), accepted["mic"].end()));
  ASSERT_TRUE(box.StopHub());
}

}  // namespace
}  // namespace renrakumo::clitest
