// Retention: Prune removes only what every reader has processed and what is old enough, as a
// prefix of each stream (never a hole), and the journal reopens, reads and appends after it.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "journal_fixture.h"

namespace renrakumo::store::testing {
namespace {

using core::Commit;
using core::MessageRef;

constexpr int64_t kCutoff = 1000;
constexpr int64_t kOld = 500;
constexpr int64_t kYoung = 1500;

std::vector<uint64_t> Seqs(const std::vector<core::StoredDelivery>& deliveries) {
  std::vector<uint64_t> seqs;
  for (const auto& d : deliveries) seqs.push_back(d.seq);
  return seqs;
}

Commit At(int64_t accepted_at_ms, std::string sender, std::string id,
          std::vector<std::string> streams) {
  Commit commit = MakeCommit(std::move(sender), std::move(id), std::move(streams),
                             "envelope of " + std::to_string(accepted_at_ms));
  commit.accepted_at_ms = accepted_at_ms;
  return commit;
}

class JournalPruneTest : public JournalTest {
 protected:
  void SetUp() override {
    JournalTest::SetUp();
    journal_ = Open();
    ASSERT_TRUE(journal_);
  }

  // Appends one message per entry of accepted_at, each delivered on stream; ids "<stream>N".
  void Fill(const std::string& stream, const std::vector<int64_t>& accepted_at) {
    std::vector<Commit> batch;
    for (size_t i = 0; i < accepted_at.size(); ++i) {
      batch.push_back(At(accepted_at[i], "node.a",
                         stream + std::to_string(journal_->LastSeq(stream) + i + 1), {stream}));
    }
    auto positions = journal_->Append(batch);
    ASSERT_TRUE(positions.ok()) << positions.error();
  }

  uint64_t Prune(int64_t cutoff, const std::map<std::string, uint64_t>& safe_upto) {
    auto removed = journal_->Prune(cutoff, safe_upto);
    EXPECT_TRUE(removed.ok()) << removed.error();
    return removed.ok() ? removed.value() : 0;
  }

  std::vector<uint64_t> ReadAll(const std::string& stream, uint64_t after_seq = 0) {
    auto read = journal_->Read(stream, after_seq, 1000);
    EXPECT_TRUE(read.ok()) << read.error();
    return read.ok() ? Seqs(read.value()) : std::vector<uint64_t>{};
  }

  void Reopen() {
    journal_.reset();
    journal_ = Open();
    ASSERT_TRUE(journal_);
  }

  core::JournalPtr journal_;
};

TEST_F(JournalPruneTest, AFreshStreamStartsAtOne) {
  EXPECT_EQ(journal_->FirstSeq("node.s."), 1u);
  EXPECT_EQ(journal_->LastSeq("node.s."), 0u);
  Fill("node.s.", {kOld, kOld});
  EXPECT_EQ(journal_->FirstSeq("node.s."), 1u);
  EXPECT_EQ(Prune(kCutoff, {}), 0u);
  EXPECT_EQ(ReadAll("node.s."), (std::vector<uint64_t>{1, 2}));
}

TEST_F(JournalPruneTest, PrunesNothingAboveTheSafeSequence) {
  Fill("node.s.", std::vector<int64_t>(10, kOld));
  EXPECT_EQ(Prune(kCutoff, {{"node.s.", 4}}), 4u);
  EXPECT_EQ(journal_->FirstSeq("node.s."), 5u);
  EXPECT_EQ(journal_->LastSeq("node.s."), 10u);
  EXPECT_EQ(ReadAll("node.s."), (std::vector<uint64_t>{5, 6, 7, 8, 9, 10}));
  EXPECT_FALSE(journal_->Find("node.a", "node.s.4").has_value());
  EXPECT_TRUE(journal_->Find("node.a", "node.s.5").has_value());
  // Again with the same bound: nothing more; a lower bound never un-prunes.
  EXPECT_EQ(Prune(kCutoff, {{"node.s.", 4}}), 0u);
  EXPECT_EQ(Prune(kCutoff, {{"node.s.", 2}}), 0u);
  EXPECT_EQ(journal_->FirstSeq("node.s."), 5u);
  EXPECT_EQ(Prune(kCutoff, {{"node.s.", 7}}), 3u);
  EXPECT_EQ(journal_->FirstSeq("node.s."), 8u);
}

TEST_F(JournalPruneTest, PrunesNothingAcceptedAtOrAfterTheCutoff) {
  Fill("node.s.", {kOld, kOld, kCutoff, kYoung});
  EXPECT_EQ(Prune(kCutoff, {{"node.s.", 4}}), 2u);
  EXPECT_EQ(ReadAll("node.s."), (std::vector<uint64_t>{3, 4}));
  EXPECT_EQ(journal_->FirstSeq("node.s."), 3u);
}

TEST_F(JournalPruneTest, StopsAtTheFirstYoungDeliveryAndLeavesNoHole) {
  // A clock step back: seq 3 is younger than seq 4 and 5.
  Fill("node.s.", {kOld, kOld, kYoung, kOld, kOld});
  EXPECT_EQ(Prune(kCutoff, {{"node.s.", 5}}), 2u);
  EXPECT_EQ(ReadAll("node.s."), (std::vector<uint64_t>{3, 4, 5}));
  EXPECT_TRUE(journal_->Find("node.a", "node.s.4").has_value());
  EXPECT_EQ(Prune(kYoung + 1, {{"node.s.", 5}}), 3u);
  EXPECT_EQ(journal_->FirstSeq("node.s."), 6u);
  EXPECT_TRUE(ReadAll("node.s.").empty());
}

TEST_F(JournalPruneTest, LeavesStreamsAbsentFromTheMapAndMessagesStillDeliveredElsewhere) {
  const std::vector<Commit> batch{At(kOld, "node.a", "both", {"node.s.", "node.t."}),
                                  At(kOld, "node.a", "t-only", {"node.t."})};
  ASSERT_TRUE(journal_->Append(batch).ok());
  EXPECT_EQ(Prune(kCutoff, {{"node.s.", 1}, {"node.u.", 9}}), 1u);
  EXPECT_EQ(ReadAll("node.t."), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(journal_->FirstSeq("node.u."), 1u);
  auto both = journal_->Find("node.a", "both");
  ASSERT_TRUE(both.has_value()) << "its delivery on node.t. is still there";
  ASSERT_EQ(both->deliveries.size(), 1u);
  EXPECT_EQ(both->deliveries[0].stream, "node.t.");

  EXPECT_EQ(Prune(kCutoff, {{"node.t.", 1}}), 1u);
  EXPECT_FALSE(journal_->Find("node.a", "both").has_value());
  EXPECT_TRUE(journal_->Find("node.a", "t-only").has_value());
}

TEST_F(JournalPruneTest, CapsTheSafeSequenceAtTheEndOfTheStream) {
  Fill("node.s.", {kOld, kOld, kOld});
  EXPECT_EQ(Prune(kCutoff, {{"node.s.", UINT64_MAX}}), 3u);
  EXPECT_EQ(journal_->FirstSeq("node.s."), 4u);
  EXPECT_EQ(journal_->LastSeq("node.s."), 3u);
  // A reader behind the floor of a stream pruned to its end gets nothing, not an error,
  // before and after a restart.
  EXPECT_EQ(ReadAll("node.s.", 0), (std::vector<uint64_t>{}));
  Reopen();
  EXPECT_EQ(ReadAll("node.s.", 1), (std::vector<uint64_t>{}));
  Fill("node.s.", {kOld});
  EXPECT_EQ(ReadAll("node.s."), (std::vector<uint64_t>{4}));
}

TEST_F(JournalPruneTest, ReadBelowTheFloorStartsAtTheFirstStoredSequence) {
  Fill("node.s.", std::vector<int64_t>(8, kOld));
  ASSERT_EQ(Prune(kCutoff, {{"node.s.", 5}}), 5u);
  EXPECT_EQ(ReadAll("node.s.", 0), (std::vector<uint64_t>{6, 7, 8}));
  EXPECT_EQ(ReadAll("node.s.", 2), (std::vector<uint64_t>{6, 7, 8}));
  EXPECT_EQ(ReadAll("node.s.", 5), (std::vector<uint64_t>{6, 7, 8}));
  EXPECT_EQ(ReadAll("node.s.", 6), (std::vector<uint64_t>{7, 8}));
  auto two = journal_->Read("node.s.", 1, 2);
  ASSERT_TRUE(two.ok()) << two.error();
  EXPECT_EQ(Seqs(two.value()), (std::vector<uint64_t>{6, 7}));
}

TEST_F(JournalPruneTest, AReopenedJournalKeepsItsFloorsAndContinuesNumbering) {
  Fill("node.s.", std::vector<int64_t>(6, kOld));
  Fill("all.", {kOld, kOld});
  ASSERT_EQ(Prune(kCutoff, {{"node.s.", 4}, {"all.", 2}}), 6u);
  Reopen();  // passes the continuity check with floors
  EXPECT_EQ(journal_->FirstSeq("node.s."), 5u);
  EXPECT_EQ(journal_->LastSeq("node.s."), 6u);
  EXPECT_EQ(journal_->FirstSeq("all."), 3u);
  EXPECT_EQ(journal_->LastSeq("all."), 2u) << "pruned to its end, the stream keeps its number";
  EXPECT_EQ(ReadAll("node.s."), (std::vector<uint64_t>{5, 6}));
  Fill("node.s.", {kYoung});
  Fill("all.", {kYoung});
  EXPECT_EQ(ReadAll("node.s."), (std::vector<uint64_t>{5, 6, 7}));
  EXPECT_EQ(ReadAll("all."), (std::vector<uint64_t>{3}));
  ASSERT_EQ(Prune(kCutoff, {{"node.s.", 7}}), 2u);
  Reopen();
  EXPECT_EQ(journal_->FirstSeq("node.s."), 7u);
  EXPECT_EQ(ReadAll("node.s."), (std::vector<uint64_t>{7}));
}

TEST_F(JournalPruneTest, DeletesOldMessagesWithoutDeliveriesButNotTheirAcknowledgements) {
  const MessageRef advisory{"node.nisc", "adv-1"};
  Commit published = At(kOld, advisory.sender, advisory.message_id, {"node.x.", "node.y."});
  published.kind = "advisory";
  Commit old_ack = At(kOld, "node.x", "ack-old", {});
  old_ack.kind = "acknowledgement";
  old_ack.ack = core::Acknowledgement{advisory, "node.x", 2, kOld, "read"};
  Commit young_ack = At(kYoung, "node.y", "ack-young", {});
  young_ack.kind = "acknowledgement";
  young_ack.ack = core::Acknowledgement{advisory, "node.y", 1, kYoung, ""};
  Commit relay = At(kOld, "assoc.a", "relay-1", {"sector.a."});
  relay.kind = "relay";
  relay.relay_of = advisory;
  const std::vector<Commit> batch{published, old_ack, young_ack, relay};
  ASSERT_TRUE(journal_->Append(batch).ok());

  // The old acknowledgement message goes; what it recorded about the advisory stays.
  EXPECT_EQ(Prune(kCutoff, {}), 0u);
  EXPECT_FALSE(journal_->Find("node.x", "ack-old").has_value());
  EXPECT_TRUE(journal_->Find("node.y", "ack-young").has_value());
  EXPECT_EQ(journal_->AcknowledgementsOf(advisory).value().size(), 2u);

  // The relay goes with its only delivery, and with it the relays row.
  EXPECT_EQ(Prune(kCutoff, {{"sector.a.", 1}}), 1u);
  EXPECT_FALSE(journal_->Find("assoc.a", "relay-1").has_value());
  EXPECT_TRUE(journal_->RelaysOf(advisory).value().empty());

  // Read by one recipient only: the advisory stays, acknowledgements and all.
  EXPECT_EQ(Prune(kCutoff, {{"node.x.", 1}}), 1u);
  EXPECT_TRUE(journal_->Find(advisory.sender, advisory.message_id).has_value());
  EXPECT_EQ(journal_->AcknowledgementsOf(advisory).value().size(), 2u);

  // Read by both: the advisory goes, and with it its acknowledgements.
  EXPECT_EQ(Prune(kCutoff, {{"node.y.", 1}}), 1u);
  EXPECT_FALSE(journal_->Find(advisory.sender, advisory.message_id).has_value());
  EXPECT_TRUE(journal_->AcknowledgementsOf(advisory).value().empty());
  EXPECT_TRUE(journal_->Find("node.y", "ack-young").has_value()) << "it is not old enough";
  Reopen();
}

TEST_F(JournalPruneTest, ARelayRowGoesWhenItsOriginalIsPruned) {
  const MessageRef original{"node.nisc", "adv-1"};
  Commit relay = At(kYoung, "assoc.a", "relay-1", {"sector.a."});
  relay.relay_of = original;
  const std::vector<Commit> batch{At(kOld, original.sender, original.message_id, {"node.x."}),
                                  relay};
  ASSERT_TRUE(journal_->Append(batch).ok());
  EXPECT_EQ(Prune(kCutoff, {{"node.x.", 1}, {"sector.a.", 1}}), 1u);
  EXPECT_TRUE(journal_->Find("assoc.a", "relay-1").has_value());
  EXPECT_TRUE(journal_->RelaysOf(original).value().empty());
}

// A pruned message is gone from the in-memory index too, as its row was from the old UNIQUE
// index: Find misses it, and its id may be used again.
TEST_F(JournalPruneTest, APrunedMessageIsNoLongerFoundAndItsIdIsFree) {
  Fill("node.s.", {kOld, kOld, kYoung});
  EXPECT_EQ(Prune(kCutoff, {{"node.s.", 3}}), 2u);
  EXPECT_FALSE(journal_->Find("node.a", "node.s.1").has_value());
  EXPECT_TRUE(journal_->Find("node.a", "node.s.3").has_value());
  const std::vector<Commit> again{At(kYoung, "node.a", "node.s.1", {"node.s."})};
  auto positions = journal_->Append(again);
  ASSERT_TRUE(positions.ok()) << positions.error();
  EXPECT_EQ(positions.value()[0][0].seq, 4u);
  Reopen();
  EXPECT_EQ(journal_->Find("node.a", "node.s.1")->deliveries[0].seq, 4u);
}

// Retention rewrites a batch it prunes only part of: the messages it keeps keep their
// envelopes and positions, and a batch left empty is deleted.
TEST_F(JournalPruneTest, APartlyPrunedBatchKeepsTheRestIntact) {
  const std::vector<Commit> batch{At(kOld, "node.a", "s1", {"node.s."}),
                                  At(kYoung, "node.a", "s2", {"node.s."}),
                                  At(kOld, "node.a", "t1", {"node.t."})};
  ASSERT_TRUE(journal_->Append(batch).ok());
  Fill("node.s.", {kOld});  // a second batch
  EXPECT_EQ(Prune(kCutoff, {{"node.s.", 3}, {"node.t.", 1}}), 2u);
  EXPECT_FALSE(journal_->Find("node.a", "s1").has_value());
  EXPECT_FALSE(journal_->Find("node.a", "t1").has_value());
  auto kept = journal_->Find("node.a", "s2");
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->envelope, "envelope of " + std::to_string(kYoung));
  std::vector<std::string> ids;
  ASSERT_TRUE(journal_
                  ->ScanMessages([&](const core::StoredMessage& m) { ids.push_back(m.message_id); },
                                 1)
                  .ok());
  EXPECT_EQ(ids, (std::vector<std::string>{"s2", "node.s.3"})) << "positions 2 and 4";
  Reopen();  // the trimmed runs still match the rewritten directories
  EXPECT_EQ(ReadAll("node.s."), (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(Prune(kYoung + 1, {{"node.s.", 3}}), 2u);
  journal_.reset();
  if (!LogEngine()) {
    EXPECT_EQ(RawNumber("SELECT COUNT(*) FROM batches"), 0);
  }
}

// Positions only grow: a workflow snapshot saved before retention emptied the journal covers
// positions up to its `upto`, and a message stored after that must come after it, or the
// hub's rebuild at start-up (ScanMessages from upto) would skip it.
TEST_F(JournalPruneTest, PositionsAreNotReusedAfterRetentionEmptiedTheJournal) {
  Fill("node.s.", {kOld, kOld, kOld});
  ASSERT_TRUE(journal_->SaveWorkflowSnapshot("state").ok());
  const int64_t upto = journal_->LoadWorkflowSnapshot().value()->upto;
  EXPECT_EQ(upto, 3);
  EXPECT_EQ(Prune(kCutoff, {{"node.s.", 3}}), 3u);
  journal_.reset();
  if (!LogEngine()) {
    ASSERT_EQ(RawNumber("SELECT COUNT(*) FROM batches"), 0);
  }
  journal_ = Open();
  ASSERT_TRUE(journal_);
  Fill("node.s.", {kYoung});
  std::vector<std::string> after;
  ASSERT_TRUE(journal_
                  ->ScanMessages([&](const core::StoredMessage& m) { after.push_back(m.message_id); },
                                 upto)
                  .ok());
  EXPECT_EQ(after, (std::vector<std::string>{"node.s.4"}));
}

TEST_F(JournalPruneTest, PrunesALargeBacklogInOneCall) {
  std::vector<int64_t> times(3000, kOld);
  times[2500] = kYoung;
  Fill("node.s.", times);
  Fill("node.t.", std::vector<int64_t>(500, kOld));
  EXPECT_EQ(Prune(kCutoff, {{"node.s.", 3000}, {"node.t.", 400}}), 2500u + 400u);
  EXPECT_EQ(journal_->FirstSeq("node.s."), 2501u);
  EXPECT_EQ(journal_->FirstSeq("node.t."), 401u);
  Reopen();
  EXPECT_EQ(journal_->FirstSeq("node.s."), 2501u);
  EXPECT_EQ(ReadAll("node.s.").size(), 500u);
}

}  // namespace
}  // namespace renrakumo::store::testing
