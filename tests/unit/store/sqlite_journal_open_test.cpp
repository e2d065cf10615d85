// Opening the journal: what it refuses (damage, foreign files, newer schemas, bad paths),
// each with a sentence that names the file and what to do.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "journal_fixture.h"

namespace renrakumo::store::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::ElementsAre;

class JournalOpenTest : public JournalTest {
 protected:
  // Fills a journal with `count` single-delivery messages on stream, one batch each (so that
  // message i is at position i + 1 and its delivery is the run of one that ends at seq i + 1),
  // then closes it.
  void Fill(const std::string& stream, int count) {
    auto journal = Open();
    ASSERT_TRUE(journal);
    for (int i = 0; i < count; ++i) {
      const std::vector<core::Commit> batch{MakeCommit("node.a", std::to_string(i), {stream})};
      ASSERT_TRUE(journal->Append(batch).ok());
    }
  }

  // Prunes stream up to seq (every message of Fill() is old enough), then closes the journal.
  void PruneUpTo(const std::string& stream, uint64_t seq) {
    auto journal = Open();
    ASSERT_TRUE(journal);
    auto pruned = journal->Prune(INT64_MAX, {{stream, seq}});
    ASSERT_TRUE(pruned.ok()) << pruned.error();
    ASSERT_EQ(pruned.value(), seq);
  }

  std::string OpenError() {
    auto journal = OpenSqliteJournal(path_);
    EXPECT_FALSE(journal.ok()) << "the journal was opened";
    return journal.ok() ? "" : journal.error();
  }
};

TEST_F(JournalOpenTest, CreatesANewJournalAndReopensIt) {
  ASSERT_TRUE(Open());
  ASSERT_TRUE(Open());
}

TEST_F(JournalOpenTest, RefusesAStreamWithAMissingDelivery) {
  Fill("node.fsa.", 42);
  RawSql("DELETE FROM stream_runs WHERE stream = 'node.fsa.' AND last_seq = 17");
  const std::string error = OpenError();
  EXPECT_EQ(error, "journal " + path_ + ": stream node.fsa. has 41 deliveries but its "
                   "sequences run from 1 to 42: a delivery is missing. Restore the journal from "
                   "backup (see docs/operations.md)");
}

TEST_F(JournalOpenTest, RefusesAStreamThatDoesNotStartAtOne) {
  Fill("node.fsa.", 3);
  RawSql("DELETE FROM stream_runs WHERE stream = 'node.fsa.' AND last_seq = 1");
  EXPECT_THAT(OpenError(), HasSubstr("stream node.fsa. starts at sequence 2, but it was never "
                                     "pruned, so its first sequence must be 1: a delivery is "
                                     "missing. Restore the journal from backup"));
}

TEST_F(JournalOpenTest, RefusesAPrunedStreamThatDoesNotStartAboveItsFloor) {
  Fill("node.fsa.", 10);
  PruneUpTo("node.fsa.", 3);
  RawSql("DELETE FROM stream_runs WHERE stream = 'node.fsa.' AND last_seq = 4");
  EXPECT_THAT(OpenError(), HasSubstr("stream node.fsa. starts at sequence 5, but it was pruned up "
                                     "to 3, so its first sequence must be 4: a delivery is "
                                     "missing"));
}

TEST_F(JournalOpenTest, RefusesAPrunedStreamWithAGapAboveItsFloor) {
  Fill("node.fsa.", 10);
  PruneUpTo("node.fsa.", 3);
  RawSql("DELETE FROM stream_runs WHERE stream = 'node.fsa.' AND last_seq = 7");
  EXPECT_THAT(OpenError(), HasSubstr("stream node.fsa. has 6 deliveries but its sequences run "
                                     "from 4 to 10: a delivery is missing"));
}

TEST_F(JournalOpenTest, RefusesAFloorAboveTheFirstStoredDelivery) {
  Fill("node.fsa.", 10);
  PruneUpTo("node.fsa.", 3);
  RawSql("UPDATE stream_floors SET floor = 5 WHERE stream = 'node.fsa.'");
  EXPECT_THAT(OpenError(), HasSubstr("stream node.fsa. starts at sequence 4, but it was pruned up "
                                     "to 5, so its first sequence must be 6: its pruning floor "
                                     "is wrong"));
}

TEST_F(JournalOpenTest, ReopensAStreamPrunedToItsEnd) {
  Fill("node.fsa.", 4);
  PruneUpTo("node.fsa.", 4);
  auto journal = Open();
  ASSERT_TRUE(journal);
  EXPECT_EQ(journal->LastSeq("node.fsa."), 4u);
  EXPECT_EQ(journal->FirstSeq("node.fsa."), 5u);
  const std::vector<core::Commit> batch{MakeCommit("node.a", "next", {"node.fsa."})};
  auto positions = journal->Append(batch);
  ASSERT_TRUE(positions.ok()) << positions.error();
  EXPECT_EQ(positions.value()[0][0].seq, 5u);
}

TEST_F(JournalOpenTest, UpgradesAVersionOneJournalInPlaceKeepingItsData) {
  WriteVersionOneJournal();
  RawSql("INSERT INTO messages(rowid, sender, message_id, accepted_at_ms, kind, envelope) VALUES"
         " (1, 'node.a', 'm1', 1000, 'report', x'00ff'),"
         " (2, 'node.nisc', 'adv-1', 2000, 'advisory', x'0102');"
         "INSERT INTO deliveries(stream, seq, message, note) VALUES"
         " ('node.fsa.', 1, 1, 'first'), ('node.fsa.', 2, 2, ''), ('all.', 1, 2, '')");
  ASSERT_EQ(RawNumber("PRAGMA user_version"), 1);
  {
    auto journal = Open();
    ASSERT_TRUE(journal);
    EXPECT_EQ(RawNumber("PRAGMA user_version"), 7);  // the current schema
    auto found = journal->Find("node.a", "m1");
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->envelope, std::string("\x00\xff", 2));
    EXPECT_EQ(journal->LastSeq("node.fsa."), 2u);
    EXPECT_EQ(journal->FirstSeq("node.fsa."), 1u);
    EXPECT_EQ(journal->LastSeq("all."), 1u);
    auto read = journal->Read("node.fsa.", 0, 10);
    ASSERT_TRUE(read.ok()) << read.error();
    ASSERT_EQ(read.value().size(), 2u);
    EXPECT_EQ(read.value()[0].note, "first");
    EXPECT_EQ(read.value()[1].kind, "advisory");

    // What version 2 added works on the upgraded file.
    core::Commit ack = MakeCommit("node.fsa", "ack-1", {});
    ack.kind = "acknowledgement";
    ack.ack = core::Acknowledgement{{"node.nisc", "adv-1"}, "node.fsa", 2, 2500, "read"};
    const std::vector<core::Commit> batch{MakeCommit("node.a", "m2", {"node.fsa."}), ack};
    auto positions = journal->Append(batch);
    ASSERT_TRUE(positions.ok()) << positions.error();
    EXPECT_EQ(positions.value()[0][0].seq, 3u);
    const std::vector<core::Cursor> cursors{{"node.fsa", "node.fsa.", 3}};
    ASSERT_TRUE(journal->SetCursors(cursors).ok());
  }
  auto journal = Open();
  ASSERT_TRUE(journal);
  EXPECT_EQ(journal->LastSeq("node.fsa."), 3u);
  EXPECT_EQ(journal->AcknowledgementsOf({"node.nisc", "adv-1"}).value().size(), 1u);
  EXPECT_EQ(journal->CursorsOn("node.fsa.").value().size(), 1u);

  // Version 6 packed each old row into a batch of one at its rowid (positions keep their
  // meaning) and dropped the per-message tables; the keys they held are still refused, by the
  // journal's in-memory index.
  EXPECT_EQ(RawNumber("SELECT COUNT(*) FROM batches WHERE first_position IN (1, 2)"), 2);
  EXPECT_EQ(RawNumber("SELECT COUNT(*) FROM sqlite_schema WHERE tbl_name IN ('messages',"
                      " 'deliveries')"), 0);
  EXPECT_EQ(RawNumber("PRAGMA page_size"), 4096) << "an existing journal keeps its page size";
  const std::vector<core::Commit> again{MakeCommit("node.a", "m1", {"node.fsa."})};
  auto refused = journal->Append(again);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.error(), HasSubstr("UNIQUE constraint failed"));
  EXPECT_EQ(journal->Find("node.a", "m2")->deliveries.size(), 1u);

  // Version 5 keeps a workflow snapshot: none yet, then the one saved, covering every
  // message stored when it was saved.
  EXPECT_FALSE(journal->LoadWorkflowSnapshot().value().has_value());
  ASSERT_TRUE(journal->SaveWorkflowSnapshot("state-1").ok());
  ASSERT_TRUE(journal->SaveWorkflowSnapshot("state-2").ok());
  auto snapshot = journal->LoadWorkflowSnapshot();
  ASSERT_TRUE(snapshot.ok()) << snapshot.error();
  ASSERT_TRUE(snapshot.value().has_value());
  EXPECT_EQ(snapshot.value()->state, "state-2");
  EXPECT_EQ(snapshot.value()->upto, 4);  // positions 1 and 2 upgraded, 3 and 4 appended
  std::vector<std::string> after;
  ASSERT_TRUE(journal
                  ->ScanMessages([&](const core::StoredMessage& m) { after.push_back(m.message_id); },
                                 snapshot.value()->upto - 1)
                  .ok());
  EXPECT_THAT(after, ElementsAre("ack-1"));  // the last stored, after the snapshot's upto - 1
}

TEST_F(JournalOpenTest, RefusesAJournalWithAMessageStoredTwice) {
  Fill("node.fsa.", 3);
  RawSql("INSERT INTO batches(first_position, oldest_ms, directory, envelopes)"
         " SELECT 100, oldest_ms, directory, envelopes FROM batches WHERE first_position = 2");
  EXPECT_THAT(OpenError(), HasSubstr("message 1 from node.a is stored twice (positions 2 and "
                                     "100). Restore the journal from backup"));
}

TEST_F(JournalOpenTest, RefusesARunThatDisagreesWithItsBatch) {
  Fill("node.fsa.", 3);
  RawSql("UPDATE stream_runs SET batch = 3 WHERE stream = 'node.fsa.' AND last_seq = 2");
  EXPECT_THAT(OpenError(), HasSubstr("stream node.fsa. in batch 2 has deliveries that no stream "
                                     "run lists. Restore the journal from backup"));
}

TEST_F(JournalOpenTest, RefusesABatchWhoseDirectoryCannotBeRead) {
  Fill("node.fsa.", 3);
  RawSql("UPDATE batches SET directory = x'ffffffff' WHERE first_position = 2");
  EXPECT_THAT(OpenError(), HasSubstr("batch 2's directory cannot be read. Restore the journal "
                                     "from backup"));
}

TEST_F(JournalOpenTest, StillRefusesADamagedVersionOneJournal) {
  WriteVersionOneJournal();
  RawSql("INSERT INTO messages(rowid, sender, message_id, accepted_at_ms, kind, envelope) VALUES"
         " (1, 'node.a', 'm1', 1000, 'report', x'00');"
         "INSERT INTO deliveries(stream, seq, message) VALUES ('node.fsa.', 2, 1)");
  EXPECT_THAT(OpenError(), HasSubstr("stream node.fsa. starts at sequence 2, but it was never "
                                     "pruned"));
}

TEST_F(JournalOpenTest, RefusesADeliveryWhoseMessageIsGone) {
  Fill("node.fsa.", 3);
  RawSql("DELETE FROM batches WHERE first_position = 2");
  const std::string error = OpenError();
  EXPECT_THAT(error, HasSubstr(path_));
  EXPECT_THAT(error, HasSubstr("stream node.fsa. deliveries 2..2 refer to batch 2, which is "
                               "missing"));
}

// Envelopes are read only when asked for (the open-time check reads the directories): a batch
// whose stored bytes were cut short fails each read that needs them, saying so, and nothing
// else.
TEST_F(JournalOpenTest, AnEnvelopeOutsideItsBatchFailsTheReadsThatNeedIt) {
  Fill("node.fsa.", 3);
  RawSql("UPDATE batches SET envelopes = x'00' WHERE first_position = 2");
  auto journal = Open();
  ASSERT_TRUE(journal);
  auto read = journal->Read("node.fsa.", 0, 10);
  ASSERT_FALSE(read.ok());
  EXPECT_THAT(read.error(), HasSubstr("the envelope of message 1 from node.a (batch 2) lies "
                                      "outside the bytes stored for its batch"));
  EXPECT_THAT(read.error(), HasSubstr("Restore the journal from backup"));
  auto after = journal->Read("node.fsa.", 2, 10);
  ASSERT_TRUE(after.ok()) << after.error();
  ASSERT_EQ(after.value().size(), 1u);
  EXPECT_EQ(after.value()[0].envelope, "env");
  EXPECT_FALSE(journal->Find("node.a", "1").has_value());  // logged, reported as not found
  EXPECT_TRUE(journal->Find("node.a", "2").has_value());
  auto scanned = journal->ScanMessages([](const core::StoredMessage&) {}, 0);
  ASSERT_FALSE(scanned.ok());
  EXPECT_THAT(scanned.error(), HasSubstr("Restore the journal from backup"));
}

TEST_F(JournalOpenTest, RefusesAFileThatIsNotSqlite) {
  std::ofstream(path_) << std::string(4096, 'x') << "this is not a journal";
  const std::string error = OpenError();
  EXPECT_THAT(error, HasSubstr("journal " + path_));
  EXPECT_THAT(error, HasSubstr("file is not a database"));
}

TEST_F(JournalOpenTest, RefusesAnotherProgramsSqliteDatabase) {
  RawSql("CREATE TABLE photos(id INTEGER PRIMARY KEY)");
  EXPECT_THAT(OpenError(), HasSubstr("is an SQLite database but not a renrakumo journal"));
}

TEST_F(JournalOpenTest, RefusesANewerSchemaVersionWithoutChangingIt) {
  Fill("node.fsa.", 1);
  RawSql("PRAGMA user_version = 99");
  const std::string error = OpenError();
  EXPECT_THAT(error, HasSubstr("journal " + path_ + " has schema version 99"));
  EXPECT_THAT(error, HasSubstr("written by a newer renrakumo"));
  EXPECT_EQ(OpenError(), error) << "the refused open must not have migrated the file";
}

TEST_F(JournalOpenTest, RefusesAPathInAMissingDirectory) {
  path_ = (dir_ / "no-such-dir" / "journal.db").string();
  const std::string error = OpenError();
  EXPECT_THAT(error, HasSubstr("journal " + path_ + ": cannot open the file"));
  EXPECT_THAT(error, HasSubstr("an existing directory"));
}

}  // namespace
}  // namespace renrakumo::store::testing
