// Group commit with the disk sync on the journal's own thread: the hub commits a batch at once
// and decides the next one while the WAL syncs, but no answer and no delivery leaves before
// the sync that covers it has finished. These tests hold the real journal's syncs back (a
// decorator around the real SQLite journal) to watch the hub wait, then let them through.
#include <gmock/gmock.h>
#include <gtest/gtest.h>


#include <unistd.h>
#include <zmq.hpp>

#include <future>

#include "network.h"
#include "store/sqlite_journal.h"

namespace renrakumo::testing {
namespace {

// The real journal, with StartSync() held back until Release(): the hub then sees a sync
// that never finishes, exactly as with a very slow disk.
class HeldSyncs final : public core::Journal {
 public:
  explicit HeldSyncs(core::JournalPtr real) : real_(std::move(real)) {}

  // Syncs the hub asked for while they were held.
  uint64_t held_requests() const { return held_requests_.load(); }
  // From the test's thread: syncs pass from now on, starting with the one the hub waits for.
  void Release() {
    held_ = false;
    real_->StartSync();
  }
  // From the test's thread: the held sync fails, as an fdatasync with EIO would.
  void Fail() {
    failed_ = true;
    const uint64_t one = 1;
    ASSERT_EQ(write(real_->sync_fd(), &one, sizeof one), static_cast<ssize_t>(sizeof one));
  }

  void StartSync() override {
    if (held_) {
      ++held_requests_;
      return;
    }
    real_->StartSync();
  }
  std::optional<std::string> sync_failure() const override {
    if (failed_) return "fdatasync of journal.db-wal failed: Input/output error";
    return real_->sync_failure();
  }
  bool DeferSyncs() override { return real_->DeferSyncs(); }
  uint64_t written() const override { return real_->written(); }
  uint64_t durable() const override { return real_->durable(); }
  int sync_fd() const override { return real_->sync_fd(); }

  Result<std::vector<std::vector<core::Position>>> Append(
      std::span<const core::Commit> batch, std::span<const core::AuditEntry> audit) override {
    return real_->Append(batch, audit);
  }
  std::optional<core::StoredMessage> Find(const std::string& sender,
                                          const std::string& message_id) override {
    return real_->Find(sender, message_id);
  }
  Result<std::vector<core::StoredDelivery>> Read(const std::string& stream, uint64_t after_seq,
                                                 uint32_t max_count) override {
    return real_->Read(stream, after_seq, max_count);
  }
  uint64_t LastSeq(const std::string& stream) const override { return real_->LastSeq(stream); }
  uint64_t FirstSeq(const std::string& stream) const override { return real_->FirstSeq(stream); }
  Status SetCursors(std::span<const core::Cursor> cursors) override {
    return real_->SetCursors(cursors);
  }
  Result<std::vector<core::Cursor>> CursorsOn(const std::string& stream) override {
    return real_->CursorsOn(stream);
  }
  Result<std::vector<core::Acknowledgement>> AcknowledgementsOf(
      const core::MessageRef& message) override {
    return real_->AcknowledgementsOf(message);
  }
  Result<std::vector<core::MessageRef>> RelaysOf(const core::MessageRef& message) override {
    return real_->RelaysOf(message);
  }
  Status ScanMessages(const std::function<void(const core::StoredMessage&)>& visit,
                      int64_t after) override {
    return real_->ScanMessages(visit, after);
  }
  Status SaveWorkflowSnapshot(const std::string& state) override {
    return real_->SaveWorkflowSnapshot(state);
  }
  Result<std::optional<core::WorkflowSnapshot>> LoadWorkflowSnapshot() override {
    return real_->LoadWorkflowSnapshot();
  }
  Result<uint64_t> Prune(int64_t accepted_before_ms,
                         const std::map<std::string, uint64_t>& safe_upto) override {
    return real_->Prune(accepted_before_ms, safe_upto);
  }

 private:
  core::JournalPtr real_;
  std::atomic<bool> held_{true};
  std::atomic<bool> failed_{false};
  std::atomic<uint64_t> held_requests_{0};
};

HeldSyncs* HoldSyncs(TestNetwork& net) {
  HeldSyncs* gate = nullptr;
  net.WrapJournal([&gate](core::JournalPtr real) {
    auto held = std::make_unique<HeldSyncs>(std::move(real));
    gate = held.get();
    return core::JournalPtr(std::move(held));
  });
  return gate;
}

TEST(Durability, NoAnswerAndNoDeliveryLeavesBeforeTheSyncThatCoversIt) {
  TestNetwork net;
  HeldSyncs* gate = HoldSyncs(net);
  auto fsa = net.Connect("fsa");  // the report's recipient, reading its inbox as it fills
  auto bank = net.Connect("megabank-a");
  auto report = MakeReport("held-1", "core_banking");
  auto answer = std::async(std::launch::async, [&] { return bank->Submit(report); });

  // The report is committed and the hub has asked for the sync that would make it durable...
  ASSERT_TRUE(TestNetwork::WaitFor([&] {
    return gate->held_requests() >= 1 && net.hub().counters().held_now.load() >= 2;
  })) << "held: " << net.hub().counters().held_now.load();
  // ...and holds both the bank's answer and the delivery to fsa's inbox until it is done.
  EXPECT_EQ(answer.wait_for(std::chrono::seconds(0)), std::future_status::timeout);
  EXPECT_EQ(net.hub().counters().submits_accepted.load(), 1u);
  EXPECT_EQ(net.hub().counters().journal_syncs.load(), 0u);

  gate->Release();
  auto outcome = answer.get();
  ASSERT_TRUE(outcome) << outcome.error();
  EXPECT_TRUE(outcome->accepted);
  ASSERT_TRUE(TestNetwork::WaitFor([&] { return net.hub().counters().held_now.load() == 0; }));
  EXPECT_GE(net.hub().counters().journal_syncs.load(), 1u);
  EXPECT_GE(net.hub().counters().held_for_disk.load(), 2u);
  auto inbox = Drain(*fsa);
  ASSERT_EQ(inbox.size(), 1u);
  EXPECT_EQ(inbox[0].sender(), "megabank-a");
}

// Holds the first report's sync, then sends a burst of 50 from another bank while it waits:
// the hub decides the burst but commits none of it until the sync is done.
struct BurstDuringSync {
  HeldSyncs* gate;
  uint64_t transactions;  // journal transactions once the first report was committed
  std::future<Result<client::SubmitOutcome>> first;
  std::future<size_t> burst;
};

BurstDuringSync SendBurstDuringSync(TestNetwork& net, client::Client& bank,
                                    v1::Envelope& first, std::vector<v1::Envelope>& burst) {
  BurstDuringSync b{HoldSyncs(net), 0, {}, {}};
  b.first = std::async(std::launch::async, [&] { return bank.Submit(first); });
  EXPECT_TRUE(TestNetwork::WaitFor([&] { return b.gate->held_requests() >= 1; }));
  b.transactions = net.hub().counters().journal_batches.load();
  const uint64_t requests = net.hub().counters().requests.load();
  b.burst = std::async(std::launch::async,
                       [&] { return SubmitMany(net, "regional-bank-b", burst); });
  EXPECT_TRUE(TestNetwork::WaitFor(
      [&] { return net.hub().counters().requests.load() >= requests + burst.size(); }));
  EXPECT_EQ(net.hub().counters().journal_batches.load(), b.transactions);
  EXPECT_EQ(net.hub().counters().submits_accepted.load(), 1u);
  return b;
}

std::vector<v1::Envelope> Burst(const std::string& prefix) {
  std::vector<v1::Envelope> burst;
  for (int i = 1; i <= 50; ++i) burst.push_back(MakeReport(prefix + std::to_string(i)));
  return burst;
}

TEST(Durability, MessagesArrivingDuringASyncGoInTogetherOnceItIsDone) {
  TestNetwork net;
  auto bank = net.Connect("megabank-a");
  auto first = MakeReport("during-0", "core_banking");
  auto burst = Burst("during-");
  auto b = SendBurstDuringSync(net, *bank, first, burst);

  b.gate->Release();
  EXPECT_EQ(b.burst.get(), burst.size());
  auto outcome = b.first.get();
  ASSERT_TRUE(outcome) << outcome.error();
  EXPECT_TRUE(outcome->accepted);
  EXPECT_EQ(net.hub().counters().submits_accepted.load(), 1 + burst.size());
  // The burst went in after the first sync, in one transaction or a few: not one per message.
  EXPECT_GE(net.hub().counters().journal_batches.load(), b.transactions + 1);
  EXPECT_LT(net.hub().counters().journal_batches.load(), b.transactions + burst.size() / 2);
}

// Messages in the (closed) journal whose id starts with id_prefix, read by the store itself.
int64_t StoredMessages(const TestNetwork& net, const std::string& id_prefix) {
  auto journal = store::OpenJournal((net.dir() / "journal.db").string());
  if (!journal) {
    ADD_FAILURE() << journal.error();
    return -1;
  }
  int64_t count = 0;
  auto scanned = (*journal)->ScanMessages(
      [&](const core::StoredMessage& m) { count += m.message_id.starts_with(id_prefix) ? 1 : 0; },
      0);
  if (!scanned) ADD_FAILURE() << scanned.error();
  return count;
}

TEST(Durability, StoppingWhileABatchWaitsForTheDiskStoresTheBatch) {
  TestNetwork net;
  auto bank = net.Connect("megabank-a");
  auto first = MakeReport("stop-0", "core_banking");
  auto burst = Burst("stop-");
  auto b = SendBurstDuringSync(net, *bank, first, burst);

  // Stop while the burst is decided but not committed: the hub commits it, syncs, answers.
  b.gate->Release();
  net.StopHub();
  EXPECT_EQ(StoredMessages(net, "stop-"), static_cast<int64_t>(1 + burst.size()));
  // Back up without the gate: any answer lost with the closing sockets comes on retry, as a
  // duplicate of what is stored.
  net.WrapJournal({});
  EXPECT_EQ(b.burst.get(), burst.size());
  auto outcome = b.first.get();
  ASSERT_TRUE(outcome) << outcome.error();
  EXPECT_TRUE(outcome->accepted);
  EXPECT_EQ(net.hub().counters().submits_accepted.load(), 0u) << "stored twice";
}

TEST(Durability, AFailedDiskSyncStopsTheHubWithoutAnsweringWhatItCouldNotMakeDurable) {
  TestNetwork net;
  HeldSyncs* gate = HoldSyncs(net);
  // A raw DEALER, so that nothing retries behind the test's back.
  zmq::context_t ctx;
  zmq::socket_t bank(ctx, zmq::socket_type::dealer);
  bank.set(zmq::sockopt::linger, 0);
  bank.set(zmq::sockopt::curve_serverkey, net.hub_public_key());
  bank.set(zmq::sockopt::curve_publickey, net.KeyOf("megabank-a", false));
  bank.set(zmq::sockopt::curve_secretkey, net.KeyOf("megabank-a", true));
  bank.connect(net.hub().ingest_endpoint());
  v1::IngestRequest req;
  req.set_request_id(1);
  req.mutable_submit()->set_envelope(net.EnvelopeBytes("megabank-a", MakeReport("eio-1")));
  bank.send(zmq::buffer(req.SerializeAsString()), zmq::send_flags::none);
  ASSERT_TRUE(TestNetwork::WaitFor([&] {
    return gate->held_requests() >= 1 && net.hub().counters().held_now.load() >= 1;
  }));

  gate->Fail();
  ASSERT_TRUE(TestNetwork::WaitFor([&] { return net.hub_failed(); }));
  EXPECT_THAT(net.hub_error(), ::testing::HasSubstr("Input/output error"));
  EXPECT_THAT(net.hub_error(), ::testing::HasSubstr("restart the hub"));
  // The loop has returned: the held answer was never sent.
  EXPECT_GE(net.hub().counters().held_now.load(), 1u);
  zmq::message_t answer;
  EXPECT_FALSE(bank.recv(answer, zmq::recv_flags::dontwait));
}

}  // namespace
}  // namespace renrakumo::testing
