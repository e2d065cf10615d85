// What only the log engine has (the journal's shared contract runs on it too, as
// log_engine.* tests): which store OpenJournal picks, the torn tail after a crash, the copy of
// acknowledgements, relays and audit entries into SQLite, deferred syncs, and retention
// deleting whole segments.
#include "store/log_journal.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "journal_fixture.h"
#include "store/journal_backup.h"

namespace renrakumo::store {
namespace {

namespace fs = std::filesystem;
using core::Commit;
using testing::JournalTest;
using testing::MakeCommit;
using ::testing::HasSubstr;

class LogJournalTest : public JournalTest {
 protected:
  JournalOptions LogOptions() const {
    JournalOptions options;
    options.engine = JournalEngine::kLog;
    options.log_segment_bytes = segment_bytes_;
    return options;
  }
  core::JournalPtr OpenLog() {
    auto journal = OpenJournal(path_, LogOptions());
    EXPECT_TRUE(journal.ok()) << journal.error();
    return journal.ok() ? std::move(journal).value() : nullptr;
  }
  std::string LogDir() const { return path_ + ".log"; }
  std::vector<fs::path> Segments() const {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(LogDir()))
      if (e.path().extension() == ".seg") out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
  }
  static std::vector<uint64_t> Seqs(core::Journal& journal, const std::string& stream) {
    std::vector<uint64_t> seqs;
    auto read = journal.Read(stream, 0, 10000);
    EXPECT_TRUE(read.ok()) << read.error();
    if (read.ok())
      for (const auto& d : *read) seqs.push_back(d.seq);
    return seqs;
  }
  static Commit Ack(const std::string& node, const std::string& id, const std::string& of_sender,
                    const std::string& of_id, int state) {
    Commit commit = MakeCommit(node, id, {});
    commit.kind = "acknowledgement";
    commit.ack = core::Acknowledgement{{of_sender, of_id}, node, state, 1700000000000 + state, ""};
    return commit;
  }

  // Starts a sync and waits, as the hub's loop does (poll on sync_fd), until it covers
  // everything written so far, or fails.
  static ::testing::AssertionResult SyncAll(core::Journal& journal) {
    journal.StartSync();
    const uint64_t written = journal.written();
    pollfd ready{journal.sync_fd(), POLLIN, 0};
    while (journal.durable() < written) {
      if (auto failed = journal.sync_failure())
        return ::testing::AssertionFailure() << "the sync failed: " << *failed;
      if (poll(&ready, 1, 10000) < 1) return ::testing::AssertionFailure() << "the sync did not finish";
      uint64_t count = 0;
      if (read(journal.sync_fd(), &count, sizeof count) != static_cast<ssize_t>(sizeof count))
        return ::testing::AssertionFailure() << "cannot read the sync's eventfd";
    }
    return ::testing::AssertionSuccess();
  }

  uint64_t segment_bytes_ = uint64_t{64} << 20;
};

TEST_F(LogJournalTest, ANewJournalOnTheLogEngineKeepsItsMessagesInTheLog) {
  {
    auto journal = OpenLog();
    ASSERT_TRUE(journal);
    ASSERT_TRUE(journal->Append(std::vector<Commit>{MakeCommit("node.a", "m1", {"node.s."},
                                                               std::string(2000, 'x'))})
                    .ok());
  }
  EXPECT_EQ(RawNumber("SELECT COUNT(*) FROM batches"), 0);
  EXPECT_EQ(RawNumber("SELECT COUNT(*) FROM log_state"), 1);
  ASSERT_EQ(Segments().size(), 1u);
  EXPECT_GT(fs::file_size(Segments()[0]), 2000u) << "the envelope is in the log";
  // Once made, the journal keeps its engine, whatever a later open asks for.
  auto again = OpenJournal(path_, {});
  ASSERT_TRUE(again.ok()) << again.error();
  EXPECT_NE(dynamic_cast<LogJournal*>(again->get()), nullptr);
  EXPECT_EQ((*again)->Find("node.a", "m1")->envelope, std::string(2000, 'x'));
  again->reset();
  // Opened as an SQLite-only journal, it would look empty: refused.
  auto refused = OpenSqliteJournal(path_);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.error(), HasSubstr("keeps its messages in " + path_ + ".log"));
}

TEST_F(LogJournalTest, AnExistingSqliteJournalStaysOnItsEngine) {
  {
    auto journal = OpenSqliteJournal(path_);
    ASSERT_TRUE(journal.ok());
    ASSERT_TRUE((*journal)->Append(std::vector<Commit>{MakeCommit("node.a", "m1", {"node.s."})}).ok());
  }
  auto journal = OpenLog();
  ASSERT_TRUE(journal);
  EXPECT_EQ(dynamic_cast<LogJournal*>(journal.get()), nullptr);
  EXPECT_TRUE(journal->Find("node.a", "m1").has_value());
  EXPECT_FALSE(fs::exists(LogDir()));
}

TEST_F(LogJournalTest, AnSqliteJournalWithALogBesideItIsRefused) {
  { ASSERT_TRUE(OpenLog()); }
  fs::remove(path_);
  fs::remove(path_ + "-wal");
  fs::remove(path_ + "-shm");
  auto journal = OpenJournal(path_, {});
  ASSERT_FALSE(journal.ok());
  EXPECT_THAT(journal.error(), HasSubstr("a log " + LogDir() + " lies beside it"));
}

// A crash while a batch was being written: the log ends inside its record. That batch was never
// answered (nothing is before its sync), so it is cut and its numbers are given out again.
TEST_F(LogJournalTest, ATornLastBatchIsCutAndItsSequencesAreReused) {
  uint64_t size_after_two = 0;
  {
    auto journal = OpenLog();
    ASSERT_TRUE(journal);
    ASSERT_TRUE(journal->Append(std::vector<Commit>{MakeCommit("node.a", "m1", {"node.s."})}).ok());
    ASSERT_TRUE(journal->Append(std::vector<Commit>{MakeCommit("node.a", "m2", {"node.s."})}).ok());
    size_after_two = fs::file_size(Segments()[0]);
    ASSERT_TRUE(journal->Append(std::vector<Commit>{MakeCommit("node.a", "m3", {"node.s."},
                                                               std::string(500, 'z'))})
                    .ok());
  }
  fs::resize_file(Segments()[0], size_after_two + 100);  // record 3 half written
  auto journal = OpenLog();
  ASSERT_TRUE(journal);
  EXPECT_EQ(journal->LastSeq("node.s."), 2u);
  EXPECT_FALSE(journal->Find("node.a", "m3").has_value());
  auto positions = journal->Append(std::vector<Commit>{MakeCommit("node.b", "x", {"node.s."})});
  ASSERT_TRUE(positions.ok()) << positions.error();
  EXPECT_EQ(positions.value()[0][0].seq, 3u);
  EXPECT_EQ(Seqs(*journal, "node.s."), (std::vector<uint64_t>{1, 2, 3}));
}

TEST_F(LogJournalTest, AcknowledgementsRelaysAndAuditReachSqliteInBulkAndAfterACrash) {
  core::AuditEntry audit{1700000000000, "hub", "accepted", "m1", "to node.s."};
  {
    auto journal = OpenLog();
    ASSERT_TRUE(journal);
    auto* log = dynamic_cast<LogJournal*>(journal.get());
    ASSERT_NE(log, nullptr);
    ASSERT_TRUE(journal->Append(std::vector<Commit>{MakeCommit("hub", "adv", {"all."})},
                                std::vector<core::AuditEntry>{audit})
                    .ok());
    Commit relay = MakeCommit("assoc", "r1", {"sector.x."});
    relay.relay_of = core::MessageRef{"hub", "adv"};
    ASSERT_TRUE(journal->Append(std::vector<Commit>{relay, Ack("bank", "a1", "hub", "adv", 1)}).ok());
    ASSERT_TRUE(journal->Append(std::vector<Commit>{Ack("bank", "a2", "hub", "adv", 3)}).ok());
    // Not yet copied (too few records for a bulk copy), yet every query sees them.
    EXPECT_EQ(log->materialized_upto(), 0);
    auto acks = journal->AcknowledgementsOf({"hub", "adv"});
    ASSERT_TRUE(acks.ok());
    ASSERT_EQ(acks->size(), 1u);
    EXPECT_EQ((*acks)[0].state, 3);
    auto relays = journal->RelaysOf({"hub", "adv"});
    ASSERT_TRUE(relays.ok());
    ASSERT_EQ(relays->size(), 1u);
    EXPECT_EQ((*relays)[0].message_id, "r1");
  }  // closing copies everything

  EXPECT_EQ(RawNumber("SELECT materialized_upto FROM log_state"), 3);
  EXPECT_EQ(RawNumber("SELECT state FROM acknowledgements"), 3);
  EXPECT_EQ(RawNumber("SELECT COUNT(*) FROM relays"), 1);
  EXPECT_EQ(RawNumber("SELECT COUNT(*) FROM audit"), 1);
  // As after a crash before the copy: SQLite knows none of it; the open copies it again.
  RawSql("DELETE FROM acknowledgements; DELETE FROM relays; DELETE FROM audit;"
         "UPDATE log_state SET materialized_upto = 0");
  {
    auto journal = OpenLog();
    ASSERT_TRUE(journal);
    EXPECT_EQ(dynamic_cast<LogJournal*>(journal.get())->materialized_upto(), 3);
  }
  EXPECT_EQ(RawNumber("SELECT state FROM acknowledgements"), 3);
  EXPECT_EQ(RawNumber("SELECT COUNT(*) FROM relays"), 1);
  auto chain = VerifyAuditChain(path_);
  ASSERT_TRUE(chain.ok()) << chain.error();
  EXPECT_EQ(*chain, "1 audit entries, chain intact");
}

// The hub calls OnDurable after each sync: an idle hub gets its audit entries into SQLite's
// trail at once, a busy one in bulk; never before the record is durable.
TEST_F(LogJournalTest, OnDurableCopiesAtOnceWhenIdleAndInBulkWhenBusy) {
  auto journal = OpenLog();
  ASSERT_TRUE(journal);
  auto* log = dynamic_cast<LogJournal*>(journal.get());
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(journal->DeferSyncs());
  core::AuditEntry audit{1700000000000, "hub", "signing_key_added", "fsa", "key"};
  ASSERT_TRUE(journal->Append(std::vector<Commit>{}, std::vector<core::AuditEntry>{audit}).ok());
  journal->OnDurable(true);
  EXPECT_EQ(log->materialized_upto(), 0) << "not durable yet";
  ASSERT_TRUE(SyncAll(*journal));
  journal->OnDurable(false);
  EXPECT_EQ(log->materialized_upto(), 0) << "busy: waits for a bulk copy";
  journal->OnDurable(true);
  EXPECT_EQ(log->materialized_upto(), 1);
  EXPECT_EQ(RawNumber("SELECT COUNT(*) FROM audit WHERE action = 'signing_key_added'"), 1);
  EXPECT_EQ(journal->written(), journal->durable())
      << "the copy is made again from the log after a crash: nothing waits for its sync";
}

TEST_F(LogJournalTest, SqliteAheadOfTheLogIsRefused) {
  {
    auto journal = OpenLog();
    ASSERT_TRUE(journal);
    ASSERT_TRUE(journal->Append(std::vector<Commit>{MakeCommit("node.a", "m1", {"node.s."})}).ok());
  }
  RawSql("UPDATE log_state SET materialized_upto = 9");
  auto journal = OpenJournal(path_, LogOptions());
  ASSERT_FALSE(journal.ok());
  EXPECT_THAT(journal.error(), HasSubstr("copied the log up to record 9, but the log ends at "
                                         "record 1"));
}

TEST_F(LogJournalTest, DeferredSyncsCoverTheLogAndTheSqliteSide) {
  auto journal = OpenLog();
  ASSERT_TRUE(journal);
  ASSERT_TRUE(journal->DeferSyncs());
  ASSERT_TRUE(journal->Append(std::vector<Commit>{MakeCommit("node.a", "m1", {"node.s."})}).ok());
  ASSERT_TRUE(journal->SetCursors(std::vector<core::Cursor>{{"node.x", "node.s.", 1}}).ok());
  const uint64_t written = journal->written();
  EXPECT_GE(written, 2u) << "the log's append and the cursor's SQLite commit both count";
  EXPECT_LT(journal->durable(), written);
  ASSERT_TRUE(SyncAll(*journal));
  EXPECT_GE(journal->durable(), written);
  EXPECT_FALSE(journal->sync_failure().has_value());
  journal.reset();
  journal = OpenLog();
  ASSERT_TRUE(journal);
  EXPECT_EQ(journal->CursorsOn("node.s.").value().size(), 1u);
  EXPECT_TRUE(journal->Find("node.a", "m1").has_value());
}

// Each fdatasync is a disk flush of its own: a sync flushes only the files written since the
// last one. The WAL is moved away meanwhile: SQLite writes on through its open descriptor, and
// only a sync that opens the WAL by name fails, so the skip is seen, not only counted.
TEST_F(LogJournalTest, ASyncFlushesOnlyTheFilesWrittenSinceTheLastOne) {
  auto journal = OpenLog();
  ASSERT_TRUE(journal);
  auto* log_journal = dynamic_cast<LogJournal*>(journal.get());
  ASSERT_NE(log_journal, nullptr);
  ASSERT_TRUE(journal->DeferSyncs());
  ASSERT_TRUE(journal->Append(std::vector<Commit>{MakeCommit("node.a", "m0", {"node.s."})}).ok());
  ASSERT_TRUE(SyncAll(*journal));
  EXPECT_EQ(log_journal->flushes().log, 1u);
  EXPECT_EQ(log_journal->flushes().wal, 0u) << "the append wrote nothing to SQLite";
  ASSERT_TRUE(journal->SetCursors(std::vector<core::Cursor>{{"node.x", "node.s.", 0}}).ok());
  ASSERT_TRUE(SyncAll(*journal));
  EXPECT_EQ(log_journal->flushes().log, 1u) << "the cursor wrote nothing to the log";
  EXPECT_EQ(log_journal->flushes().wal, 1u);
  const std::string wal = path_ + "-wal";
  ASSERT_TRUE(fs::exists(wal));
  fs::rename(wal, wal + ".moved");
  ASSERT_TRUE(journal->Append(std::vector<Commit>{MakeCommit("node.a", "m1", {"node.s."})}).ok());
  ASSERT_TRUE(SyncAll(*journal));
  EXPECT_EQ(log_journal->flushes().log, 2u);
  EXPECT_EQ(log_journal->flushes().wal, 1u);
  ASSERT_TRUE(journal->SetCursors(std::vector<core::Cursor>{{"node.x", "node.s.", 1}}).ok());
  EXPECT_FALSE(SyncAll(*journal));
  ASSERT_TRUE(journal->sync_failure().has_value()) << "the cursor's commit must sync the WAL";
  EXPECT_THAT(*journal->sync_failure(), HasSubstr(wal));
  fs::rename(wal + ".moved", wal);
}

// The log keeps what retention removed until its whole segment goes: open must know, from the
// floors and the cutoff in SQLite, which of the stored records' messages are gone.
TEST_F(LogJournalTest, PrunedMessagesStayGoneAfterReopeningWhileTheirSegmentRemains) {
  constexpr int64_t kOld = 1000, kYoung = 5000, kCutoff = 3000;
  {
    auto journal = OpenLog();
    ASSERT_TRUE(journal);
    std::vector<Commit> batch;
    for (int i = 0; i < 6; ++i) {
      batch.push_back(MakeCommit("node.a", "m" + std::to_string(i), {"node.s."}));
      batch.back().accepted_at_ms = i < 4 ? kOld : kYoung;
    }
    Commit ack = Ack("node.b", "ack-old", "node.a", "m5", 1);
    ack.accepted_at_ms = kOld;  // no delivery: gone with the cutoff alone
    batch.push_back(ack);
    ASSERT_TRUE(journal->Append(batch).ok());
    auto pruned = journal->Prune(kCutoff, {{"node.s.", 6}});
    ASSERT_TRUE(pruned.ok()) << pruned.error();
    EXPECT_EQ(*pruned, 4u);
  }
  ASSERT_EQ(Segments().size(), 1u) << "the record is still in the log";
  auto journal = OpenLog();
  ASSERT_TRUE(journal);
  for (const char* id : {"m0", "m3", "ack-old"}) EXPECT_FALSE(journal->Find("node.a", id).has_value()) << id;
  EXPECT_FALSE(journal->Find("node.b", "ack-old").has_value());
  EXPECT_TRUE(journal->Find("node.a", "m4").has_value());
  std::vector<std::string> scanned;
  ASSERT_TRUE(journal->ScanMessages([&](const core::StoredMessage& m) { scanned.push_back(m.message_id); }, 0).ok());
  EXPECT_EQ(scanned, (std::vector<std::string>{"m4", "m5"}));
  EXPECT_EQ(journal->AcknowledgementsOf({"node.a", "m5"}).value().size(), 1u)
      << "an acknowledgement outlives its own message";
  auto reused = journal->Append(std::vector<Commit>{MakeCommit("node.a", "m0", {"node.s."})});
  ASSERT_TRUE(reused.ok()) << reused.error();
  EXPECT_EQ(reused.value()[0][0].seq, 7u);
}

// Retention runs on the hub's loop while the last records may not be durable yet: a segment
// holding rows not yet copied into SQLite (here an audit entry) is kept until they are.
TEST_F(LogJournalTest, RetentionKeepsASegmentWhoseRowsAreNotCopiedYet) {
  segment_bytes_ = 2048;
  constexpr int64_t kOld = 1000, kCutoff = 3000;
  auto journal = OpenLog();
  ASSERT_TRUE(journal);
  ASSERT_TRUE(journal->DeferSyncs());
  core::AuditEntry audit{kOld, "hub", "reload", "topology", "not yet copied"};
  ASSERT_TRUE(journal->Append(std::vector<Commit>{}, std::vector<core::AuditEntry>{audit}).ok());
  for (int i = 0; i < 12; ++i) {
    Commit commit = MakeCommit("node.a", "m" + std::to_string(i), {"node.s."}, std::string(400, 'p'));
    commit.accepted_at_ms = kOld;
    ASSERT_TRUE(journal->Append(std::vector<Commit>{commit}).ok());
  }
  ASSERT_TRUE(fs::exists(LogDir() + "/00000000000000000001.seg"));
  auto pruned = journal->Prune(kCutoff, {{"node.s.", 12}});
  ASSERT_TRUE(pruned.ok()) << pruned.error();
  EXPECT_EQ(*pruned, 12u);
  EXPECT_TRUE(fs::exists(LogDir() + "/00000000000000000001.seg"))
      << "the audit entry's segment stays while the entry is only in the log";
  ASSERT_TRUE(SyncAll(*journal));
  ASSERT_TRUE(journal->Prune(kCutoff, {{"node.s.", 12}}).ok());
  EXPECT_FALSE(fs::exists(LogDir() + "/00000000000000000001.seg")) << "copied, then deleted";
  EXPECT_EQ(RawNumber("SELECT COUNT(*) FROM audit WHERE detail = 'not yet copied'"), 1);
}

TEST_F(LogJournalTest, RetentionDeletesSegmentsWithNothingLeft) {
  segment_bytes_ = 4096;
  constexpr int64_t kOld = 1000, kYoung = 5000, kCutoff = 3000;
  auto journal = OpenLog();
  ASSERT_TRUE(journal);
  for (int i = 0; i < 40; ++i) {
    Commit commit = MakeCommit("node.a", "m" + std::to_string(i), {"node.s."}, std::string(400, 'e'));
    commit.accepted_at_ms = i < 30 ? kOld : kYoung;
    ASSERT_TRUE(journal->Append(std::vector<Commit>{commit}).ok());
  }
  const size_t before = Segments().size();
  ASSERT_GT(before, 3u);
  auto pruned = journal->Prune(kCutoff, {{"node.s.", 40}});
  ASSERT_TRUE(pruned.ok()) << pruned.error();
  EXPECT_EQ(*pruned, 30u);
  EXPECT_LT(Segments().size(), before) << "segments holding only pruned messages are deleted";
  EXPECT_EQ(journal->FirstSeq("node.s."), 31u);
  EXPECT_EQ(Seqs(*journal, "node.s.").size(), 10u);
  journal.reset();
  journal = OpenLog();
  ASSERT_TRUE(journal);
  EXPECT_EQ(journal->FirstSeq("node.s."), 31u);
  EXPECT_EQ(journal->LastSeq("node.s."), 40u);
  EXPECT_FALSE(journal->Find("node.a", "m5").has_value());
  EXPECT_TRUE(journal->Find("node.a", "m35").has_value());
  auto next = journal->Append(std::vector<Commit>{MakeCommit("node.a", "m40", {"node.s."})});
  ASSERT_TRUE(next.ok()) << next.error();
  EXPECT_EQ(next.value()[0][0].seq, 41u);
}

// A backup taken while the journal is open and writing, on either engine: the copy opens,
// holds what was stored before it, and the journal goes on.
TEST_F(LogJournalTest, ABackupOfAnOpenJournalOpensWithEverythingStoredBeforeIt) {
  for (const bool log_engine : {true, false}) {
    SCOPED_TRACE(log_engine ? "log engine" : "sqlite engine");
    const std::string path = (dir_ / (log_engine ? "log.db" : "sqlite.db")).string();
    const std::string dest = (dir_ / (log_engine ? "log-copy.db" : "sqlite-copy.db")).string();
    JournalOptions options = LogOptions();
    options.log_segment_bytes = 8192;
    if (!log_engine) options.engine = JournalEngine::kSqlite;
    auto opened = OpenJournal(path, options);
    ASSERT_TRUE(opened.ok()) << opened.error();
    auto& journal = *opened;
    ASSERT_TRUE(journal->DeferSyncs());
    for (int i = 0; i < 40; ++i) {
      ASSERT_TRUE(journal->Append(std::vector<Commit>{MakeCommit("node.a", "m" + std::to_string(i),
                                                                 {"node.s."}, std::string(600, 'b'))})
                      .ok());
    }
    ASSERT_TRUE(journal->Append(std::vector<Commit>{Ack("node.b", "ack", "node.a", "m3", 2)}).ok());
    ASSERT_TRUE(SyncAll(*journal));
    auto backed = BackupJournal(path, dest);
    ASSERT_TRUE(backed.ok()) << backed.error();
    EXPECT_THAT(*backed, HasSubstr("41 messages, checked by opening the copy"));
    if (log_engine) {
      EXPECT_THAT(*backed, HasSubstr("log segments"));
      for (const auto& e : fs::directory_iterator(path + ".log"))
        EXPECT_FALSE(e.is_directory()) << "the staging links are gone: " << e.path();
    }
    ASSERT_TRUE(journal->Append(std::vector<Commit>{MakeCommit("node.a", "after", {"node.s."})}).ok());
    auto again = BackupJournal(path, dest);
    ASSERT_FALSE(again.ok());
    EXPECT_THAT(again.error(), HasSubstr("exists already"));
    opened->reset();

    auto copy = OpenJournal(dest);
    ASSERT_TRUE(copy.ok()) << copy.error();
    EXPECT_EQ(dynamic_cast<LogJournal*>(copy->get()) != nullptr, log_engine);
    EXPECT_EQ((*copy)->LastSeq("node.s."), 40u);
    EXPECT_FALSE((*copy)->Find("node.a", "after").has_value());
    EXPECT_EQ((*copy)->Find("node.a", "m39")->envelope, std::string(600, 'b'));
    EXPECT_EQ((*copy)->AcknowledgementsOf({"node.a", "m3"}).value().size(), 1u);
  }
}

// The hub's open reads only the heads of sealed segments; a backup's check reads every body, so
// an envelope damaged on disk is found when the backup is taken, not when it is restored.
TEST_F(LogJournalTest, ABackupChecksEveryEnvelopeOfItsCopy) {
  segment_bytes_ = 4096;
  {
    auto journal = OpenLog();
    ASSERT_TRUE(journal);
    for (int i = 0; i < 12; ++i)
      ASSERT_TRUE(journal->Append(std::vector<Commit>{MakeCommit("node.a", "m" + std::to_string(i),
                                                                 {"node.s."}, std::string(900, 'v'))})
                      .ok());
  }
  ASSERT_GT(Segments().size(), 2u);
  const fs::path first = Segments()[0];
  std::string bytes;
  {
    std::ifstream in(first, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  const size_t envelope = bytes.rfind(std::string(900, 'v'));
  ASSERT_NE(envelope, std::string::npos);
  bytes[envelope + 450] = 'w';
  {
    std::ofstream out(first, std::ios::binary | std::ios::trunc);
    out << bytes;
  }
  ASSERT_TRUE(OpenLog()) << "the hub's open does not read sealed bodies";
  auto backed = BackupJournal(path_, (dir_ / "copy.db").string());
  ASSERT_FALSE(backed.ok());
  EXPECT_THAT(backed.error(), HasSubstr("failed its check and was removed"));
  EXPECT_THAT(backed.error(), HasSubstr("body does not match its hash"));
  EXPECT_FALSE(fs::exists(dir_ / "copy.db"));
  EXPECT_FALSE(fs::exists(dir_ / "copy.db.log"));
}

TEST_F(LogJournalTest, ABackupNeedsAJournalToCopy) {
  auto missing = BackupJournal(path_, (dir_ / "copy.db").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.error(), HasSubstr("there is no journal at " + path_));
}

}  // namespace
}  // namespace renrakumo::store
