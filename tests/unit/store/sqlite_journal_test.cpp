// SqliteJournal behaviour: numbering per stream, batches, lookup, replay reads, restart, and
// failed batches that leave no trace.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "journal_fixture.h"

namespace renrakumo::store::testing {
namespace {

using core::Commit;
using core::Position;

// core::Position has no operator==; compare as pairs.
using Pos = std::pair<std::string, uint64_t>;
std::vector<Pos> Pairs(const std::vector<Position>& positions) {
  std::vector<Pos> pairs;
  for (const auto& p : positions) pairs.emplace_back(p.stream, p.seq);
  return pairs;
}

std::vector<uint64_t> Seqs(const std::vector<core::StoredDelivery>& deliveries) {
  std::vector<uint64_t> seqs;
  for (const auto& d : deliveries) seqs.push_back(d.seq);
  return seqs;
}

TEST_F(JournalTest, NumbersEachStreamFromOneIndependently) {
  auto journal = Open();
  ASSERT_TRUE(journal);
  for (int i = 1; i <= 3; ++i) {
    const std::vector<Commit> batch{
        MakeCommit("node.a", "a-" + std::to_string(i), {"node.fsa.", "sector.finance."})};
    auto positions = journal->Append(batch);
    ASSERT_TRUE(positions.ok()) << positions.error();
    EXPECT_EQ(Pairs(positions.value()[0]),
              (std::vector<Pos>{{"node.fsa.", uint64_t(i)}, {"sector.finance.", uint64_t(i)}}));
  }
  const std::vector<Commit> other{MakeCommit("node.b", "b-1", {"sector.finance.", "all."})};
  auto positions = journal->Append(other);
  ASSERT_TRUE(positions.ok()) << positions.error();
  EXPECT_EQ(Pairs(positions.value()[0]), (std::vector<Pos>{{"sector.finance.", 4}, {"all.", 1}}));
  EXPECT_EQ(journal->LastSeq("node.fsa."), 3u);
  EXPECT_EQ(journal->LastSeq("sector.finance."), 4u);
  EXPECT_EQ(journal->LastSeq("all."), 1u);
  EXPECT_EQ(journal->LastSeq("node.unknown."), 0u);
}

TEST_F(JournalTest, ReturnsPositionsInPlannedOrderWithinACommit) {
  auto journal = Open();
  const std::vector<Commit> batch{MakeCommit("node.a", "m", {"b.", "a.", "b."})};
  auto positions = journal->Append(batch);
  ASSERT_TRUE(positions.ok()) << positions.error();
  EXPECT_EQ(Pairs(positions.value()[0]), (std::vector<Pos>{{"b.", 1}, {"a.", 1}, {"b.", 2}}));
}

TEST_F(JournalTest, CommitsAManyMessageBatchInOneCall) {
  auto journal = Open();
  std::vector<Commit> batch;
  const std::vector<std::string> streams{"node.x.", "node.y.", "node.z."};
  for (int i = 0; i < 600; ++i) {
    batch.push_back(MakeCommit("node.a", "m" + std::to_string(i), {streams[size_t(i) % 3]}));
  }
  auto positions = journal->Append(batch);
  ASSERT_TRUE(positions.ok()) << positions.error();
  ASSERT_EQ(positions.value().size(), batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    EXPECT_EQ(Pairs(positions.value()[i]), (std::vector<Pos>{{streams[i % 3], i / 3 + 1}}));
  }
  for (const auto& stream : streams) EXPECT_EQ(journal->LastSeq(stream), 200u);
  auto all = journal->Read("node.y.", 0, 1000);
  ASSERT_TRUE(all.ok()) << all.error();
  EXPECT_EQ(all.value().size(), 200u);
}

TEST_F(JournalTest, EmptyBatchChangesNothing) {
  auto journal = Open();
  auto positions = journal->Append({});
  ASSERT_TRUE(positions.ok()) << positions.error();
  EXPECT_TRUE(positions.value().empty());
}

TEST_F(JournalTest, FindReturnsTheEnvelopeByteExactAndItsPositions) {
  auto journal = Open();
  const std::string envelope("\x00\xff\x01\x00\xfe\xff\x00 end\x00", 13);
  Commit commit = MakeCommit("node.a", "id-1", {"node.fsa.", "all."}, envelope);
  commit.kind = "advisory";
  commit.accepted_at_ms = 1712345678901;
  const std::vector<Commit> batch{MakeCommit("node.a", "id-0", {"all."}), commit};
  ASSERT_TRUE(journal->Append(batch).ok());

  auto found = journal->Find("node.a", "id-1");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->envelope, envelope);
  EXPECT_EQ(found->envelope.size(), 13u);
  EXPECT_EQ(found->sender, "node.a");
  EXPECT_EQ(found->message_id, "id-1");
  EXPECT_EQ(found->kind, "advisory");
  EXPECT_EQ(found->accepted_at_ms, 1712345678901);
  // Ordered by stream, then seq.
  EXPECT_EQ(Pairs(found->deliveries), (std::vector<Pos>{{"all.", 2}, {"node.fsa.", 1}}));
  EXPECT_FALSE(journal->Find("node.b", "id-1").has_value());
  EXPECT_FALSE(journal->Find("node.a", "id-2").has_value());
}

TEST_F(JournalTest, StoresAnEmptyEnvelopeAndAMessageWithoutDeliveries) {
  auto journal = Open();
  const std::vector<Commit> batch{MakeCommit("node.a", "empty", {}, "")};
  ASSERT_TRUE(journal->Append(batch).ok());
  auto found = journal->Find("node.a", "empty");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->envelope, "");
  EXPECT_TRUE(found->deliveries.empty());
}

TEST_F(JournalTest, ReadPagesThroughAStreamInOrder) {
  auto journal = Open();
  std::vector<Commit> batch;
  for (int i = 1; i <= 10; ++i) {
    batch.push_back(MakeCommit("node.a", "m" + std::to_string(i), {"node.s.", "node.t."},
                               "envelope " + std::to_string(i)));
    batch.back().deliveries[0].note = "note " + std::to_string(i);
  }
  ASSERT_TRUE(journal->Append(batch).ok());

  auto first = journal->Read("node.s.", 0, 4);
  ASSERT_TRUE(first.ok()) << first.error();
  EXPECT_EQ(Seqs(first.value()), (std::vector<uint64_t>{1, 2, 3, 4}));
  const auto& d = first.value()[2];
  EXPECT_EQ(d.stream, "node.s.");
  EXPECT_EQ(d.sender, "node.a");
  EXPECT_EQ(d.kind, "report");
  EXPECT_EQ(d.accepted_at_ms, 1700000000000);
  EXPECT_EQ(d.envelope, "envelope 3");
  EXPECT_EQ(d.note, "note 3");

  EXPECT_EQ(Seqs(journal->Read("node.s.", 4, 4).value()), (std::vector<uint64_t>{5, 6, 7, 8}));
  EXPECT_EQ(Seqs(journal->Read("node.s.", 8, 4).value()), (std::vector<uint64_t>{9, 10}));
  EXPECT_TRUE(journal->Read("node.s.", 10, 4).value().empty());
  EXPECT_TRUE(journal->Read("node.s.", 1000, 4).value().empty());
  EXPECT_TRUE(journal->Read("node.s.", 0, 0).value().empty());
  EXPECT_TRUE(journal->Read("node.none.", 0, 4).value().empty());
  EXPECT_EQ(journal->Read("node.t.", 3, 100).value().front().note, "");
}

TEST_F(JournalTest, SequencesContinueAfterReopening) {
  {
    auto journal = Open();
    const std::vector<Commit> batch{MakeCommit("node.a", "m1", {"node.s."}),
                                    MakeCommit("node.a", "m2", {"node.s.", "all."})};
    ASSERT_TRUE(journal->Append(batch).ok());
  }
  auto journal = Open();
  ASSERT_TRUE(journal);
  EXPECT_EQ(journal->LastSeq("node.s."), 2u);
  EXPECT_EQ(journal->LastSeq("all."), 1u);
  const std::vector<Commit> batch{MakeCommit("node.a", "m3", {"node.s.", "all."})};
  auto positions = journal->Append(batch);
  ASSERT_TRUE(positions.ok()) << positions.error();
  EXPECT_EQ(Pairs(positions.value()[0]), (std::vector<Pos>{{"node.s.", 3}, {"all.", 2}}));
  ASSERT_TRUE(journal->Find("node.a", "m1").has_value());
  EXPECT_EQ(Seqs(journal->Read("node.s.", 0, 10).value()), (std::vector<uint64_t>{1, 2, 3}));
}

TEST_F(JournalTest, AFailedBatchStoresNothingAndDoesNotAdvanceSequences) {
  auto journal = Open();
  const std::vector<Commit> first{MakeCommit("node.a", "m1", {"node.s."})};
  ASSERT_TRUE(journal->Append(first).ok());

  const std::vector<Commit> bad{MakeCommit("node.a", "m2", {"node.s.", "node.new."}),
                                MakeCommit("node.b", "m3", {"node.s."}),
                                MakeCommit("node.a", "m2", {"node.s."})};
  auto failed = journal->Append(bad);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().find(path_), std::string::npos) << failed.error();
  EXPECT_NE(failed.error().find("UNIQUE constraint failed"), std::string::npos) << failed.error();
  EXPECT_NE(failed.error().find("nothing of the batch of 3 messages was stored"),
            std::string::npos) << failed.error();

  EXPECT_EQ(journal->LastSeq("node.s."), 1u);
  EXPECT_EQ(journal->LastSeq("node.new."), 0u);
  EXPECT_FALSE(journal->Find("node.a", "m2").has_value());
  EXPECT_FALSE(journal->Find("node.b", "m3").has_value());
  EXPECT_EQ(Seqs(journal->Read("node.s.", 0, 10).value()), (std::vector<uint64_t>{1}));

  const std::vector<Commit> good{MakeCommit("node.b", "m3", {"node.s.", "node.new."})};
  auto positions = journal->Append(good);
  ASSERT_TRUE(positions.ok()) << positions.error();
  EXPECT_EQ(Pairs(positions.value()[0]), (std::vector<Pos>{{"node.s.", 2}, {"node.new.", 1}}));
}

TEST_F(JournalTest, RefusesAMessageAlreadyStoredInAnEarlierBatch) {
  auto journal = Open();
  const std::vector<Commit> batch{MakeCommit("node.a", "m1", {"node.s."})};
  ASSERT_TRUE(journal->Append(batch).ok());
  auto again = journal->Append(batch);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().find("message m1 from node.a"), std::string::npos) << again.error();
  EXPECT_EQ(journal->LastSeq("node.s."), 1u);
}

TEST_F(JournalTest, RefusesAMessageStoredBeforeTheJournalWasReopened) {
  {
    auto journal = Open();
    const std::vector<Commit> batch{MakeCommit("node.a", "m1", {"node.s."}),
                                    MakeCommit("node.b", "m1", {"node.s."})};
    ASSERT_TRUE(journal->Append(batch).ok());
  }
  auto journal = Open();
  ASSERT_TRUE(journal);
  const std::vector<Commit> again{MakeCommit("node.c", "m1", {"node.s."}),
                                  MakeCommit("node.b", "m1", {"node.s."})};
  auto failed = journal->Append(again);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().find("message m1 from node.b"), std::string::npos) << failed.error();
  EXPECT_NE(failed.error().find("UNIQUE constraint failed: it is already in the journal"),
            std::string::npos) << failed.error();
  EXPECT_EQ(journal->LastSeq("node.s."), 2u);
  EXPECT_FALSE(journal->Find("node.c", "m1").has_value()) << "nothing of the batch is stored";
  auto found = journal->Find("node.b", "m1");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(Pairs(found->deliveries), (std::vector<Pos>{{"node.s.", 2}}));
}

TEST_F(JournalTest, RefusesAMessageTwiceInOneBatch) {
  auto journal = Open();
  const std::vector<Commit> batch{MakeCommit("node.a", "m1", {"node.s."}),
                                  MakeCommit("node.a", "m1", {"node.s."})};
  auto failed = journal->Append(batch);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().find("it is twice in the batch"), std::string::npos) << failed.error();
  EXPECT_FALSE(journal->Find("node.a", "m1").has_value());
}

// Same message id from other senders, and ids that share a prefix, are different messages.
TEST_F(JournalTest, FindsEachOfManyMessagesByItsExactKey) {
  auto journal = Open();
  std::vector<Commit> batch;
  for (int i = 0; i < 300; ++i)
    batch.push_back(MakeCommit("node." + std::to_string(i % 3), "m" + std::to_string(i / 3),
                               {"node.s."}, "env " + std::to_string(i)));
  ASSERT_TRUE(journal->Append(batch).ok());
  for (int i = 0; i < 300; ++i) {
    auto found = journal->Find("node." + std::to_string(i % 3), "m" + std::to_string(i / 3));
    ASSERT_TRUE(found.has_value()) << i;
    EXPECT_EQ(found->envelope, "env " + std::to_string(i));
  }
  EXPECT_FALSE(journal->Find("node.0", "m100").has_value());
  EXPECT_FALSE(journal->Find("node.", "0m1").has_value());
  EXPECT_FALSE(journal->Find("node.0m", "1").has_value());
}

// Schema v6: a batch is one row, plus one row per stream it reaches; no index holds message
// ids (they are random: the journal keeps them in memory).
TEST_F(JournalTest, ANewJournalHasSixteenKibPagesAndOneRowPerBatch) {
  if (LogEngine()) GTEST_SKIP() << "the log engine keeps no batches in SQLite";
  {
    auto journal = Open();
    ASSERT_TRUE(journal);
    const std::vector<Commit> batch{MakeCommit("node.a", "x1", {"node.fsa."}),
                                    MakeCommit("node.a", "x2", {"node.fsa.", "all."}),
                                    MakeCommit("node.b", "x3", {"node.fsa."})};
    ASSERT_TRUE(journal->Append(batch).ok());
  }
  EXPECT_EQ(RawNumber("PRAGMA page_size"), 16384);
  EXPECT_EQ(RawNumber("SELECT COUNT(*) FROM batches"), 1);
  EXPECT_EQ(RawNumber("SELECT COUNT(*) FROM stream_runs"), 2);
  EXPECT_EQ(RawNumber("SELECT last_seq - first_seq + 1 FROM stream_runs"
                      " WHERE stream = 'node.fsa.'"), 3);
  EXPECT_EQ(RawNumber("SELECT COUNT(*) FROM sqlite_schema WHERE type = 'index'"
                      " AND tbl_name IN ('batches', 'stream_runs') AND sql IS NOT NULL"
                      " AND name NOT IN ('batches_by_age', 'stream_runs_by_batch')"), 0);
}

// What the sender was told with its answer is stored with the message, so that a retry,
// even after a restart, gets the same answer.
TEST_F(JournalTest, KeepsTheWarningsTheSenderWasGiven) {
  Commit warned = MakeCommit("node.a", "w1", {"node.fsa."});
  warned.warnings = {"note 2: the impact meets the statutory threshold", "second remark"};
  {
    auto journal = Open();
    const std::vector<Commit> batch{MakeCommit("node.a", "plain", {"node.fsa."}), warned};
    ASSERT_TRUE(journal->Append(batch).ok());
    EXPECT_EQ(journal->Find("node.a", "w1")->warnings, warned.warnings);
    EXPECT_TRUE(journal->Find("node.a", "plain")->warnings.empty());
  }
  auto journal = Open();
  EXPECT_EQ(journal->Find("node.a", "w1")->warnings, warned.warnings);
}

}  // namespace
}  // namespace renrakumo::store::testing
