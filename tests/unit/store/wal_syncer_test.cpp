// Deferred syncs: with DeferSyncs() the journal commits without syncing, counts what it wrote,
// and its thread makes the WAL durable on request, signalling an eventfd; the journal's close
// syncs whatever was left.
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "journal_fixture.h"

namespace renrakumo::store::testing {
namespace {

// Waits for the journal's sync_fd (bounded: a lost signal fails the test, never hangs it)
// and consumes the signal.
bool SyncFinished(core::Journal& journal) {
  pollfd p{journal.sync_fd(), POLLIN, 0};
  if (poll(&p, 1, 20000) != 1) return false;
  uint64_t count = 0;
  return read(journal.sync_fd(), &count, sizeof count) == sizeof count && count >= 1;
}

std::vector<core::Commit> Report(int n) {
  return {MakeCommit("node.a", "m" + std::to_string(n), {"node.s."}, std::string(500, 'r'))};
}

// The names of this process's threads, as /proc (and so `top -H` and `perf`) shows them.
std::vector<std::string> ThreadNames() {
  std::vector<std::string> names;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    if (std::getline(comm, name)) names.push_back(name);
  }
  return names;
}

using DeferredSyncTest = JournalTest;

TEST_F(DeferredSyncTest, TheJournalsThreadsAreNamedForTopAndPerf) {
  auto journal = Open();
  ASSERT_TRUE(journal);
  ASSERT_TRUE(journal->DeferSyncs());
  const auto names = ThreadNames();
  EXPECT_EQ(std::count(names.begin(), names.end(), "journal sync"), 1);
  EXPECT_EQ(std::count(names.begin(), names.end(), "wal checkpoint"), 1);
}

TEST_F(DeferredSyncTest, CommitsCountAsWrittenAndBecomeDurableWhenASyncFinishes) {
  auto journal = Open();
  ASSERT_TRUE(journal);
  ASSERT_TRUE(journal->Append(Report(1)).ok());
  // Before deferral every commit is durable when it returns.
  EXPECT_EQ(journal->durable(), journal->written());
  ASSERT_TRUE(journal->DeferSyncs());
  ASSERT_GE(journal->sync_fd(), 0);
  const uint64_t before = journal->written();

  ASSERT_TRUE(journal->Append(Report(2)).ok());
  ASSERT_TRUE(journal->Append(Report(3)).ok());
  EXPECT_EQ(journal->written(), before + 2);
  EXPECT_EQ(journal->durable(), before) << "nothing synced yet";
  // Committed means visible at once, to the hub's own reads.
  EXPECT_TRUE(journal->Find("node.a", "m3").has_value());
  EXPECT_EQ(journal->LastSeq("node.s."), 3u);

  journal->StartSync();
  ASSERT_TRUE(SyncFinished(*journal));
  EXPECT_EQ(journal->durable(), before + 2);
  EXPECT_FALSE(journal->sync_failure().has_value());
}

TEST_F(DeferredSyncTest, EveryKindOfWriteIsCounted) {
  auto journal = Open();
  ASSERT_TRUE(journal);
  ASSERT_TRUE(journal->DeferSyncs());
  uint64_t written = journal->written();
  const std::vector<core::AuditEntry> audit = {{1, "node.a", "accepted", "1 message", "m1"}};
  ASSERT_TRUE(journal->Append(Report(1), audit).ok());
  EXPECT_EQ(journal->written(), ++written);
  const std::vector<core::Cursor> cursors = {{"node.b", "node.s.", 1}};
  ASSERT_TRUE(journal->SetCursors(cursors).ok());
  EXPECT_EQ(journal->written(), ++written);
  ASSERT_TRUE(journal->SaveWorkflowSnapshot("state").ok());
  EXPECT_EQ(journal->written(), ++written);
  // A failed batch (m1 is stored already) commits nothing and counts nothing.
  EXPECT_FALSE(journal->Append(Report(1)).ok());
  EXPECT_EQ(journal->written(), written);
  ASSERT_TRUE(journal->Prune(INT64_MAX, {{"node.s.", 1}}).ok());
  EXPECT_EQ(journal->written(), ++written);
}

TEST_F(DeferredSyncTest, ClosingTheJournalKeepsWhatWasCommittedButNotSynced) {
  {
    auto journal = Open();
    ASSERT_TRUE(journal);
    ASSERT_TRUE(journal->DeferSyncs());
    std::vector<core::Commit> batch;
    for (int i = 1; i <= 100; ++i) batch.push_back(Report(i).front());
    ASSERT_TRUE(journal->Append(batch).ok());
    EXPECT_LT(journal->durable(), journal->written());
  }
  EXPECT_EQ(StoredMessages(), 100);
  auto again = Open();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->LastSeq("node.s."), 100u);
}

TEST_F(DeferredSyncTest, AJournalOpenedThroughASymlinkSyncsTheWalSqliteWrites) {
  // SQLite resolves a symlinked journal and keeps its WAL next to the target: that file must be
  // the one synced, not "<link>-wal".
  std::filesystem::create_directories(dir_ / "disk");
  const auto target = dir_ / "disk" / "journal.db";
  const auto link = dir_ / "journal-link.db";
  {
    auto created = OpenSqliteJournal(target.string());
    ASSERT_TRUE(created.ok()) << created.error();
  }
  std::filesystem::create_symlink(target, link);
  auto journal = OpenSqliteJournal(link.string());
  ASSERT_TRUE(journal.ok()) << journal.error();
  ASSERT_TRUE((*journal)->DeferSyncs());
  ASSERT_TRUE((*journal)->Append(Report(1)).ok());
  (*journal)->StartSync();
  ASSERT_TRUE(SyncFinished(**journal));
  EXPECT_FALSE((*journal)->sync_failure().has_value()) << *(*journal)->sync_failure();
  EXPECT_EQ((*journal)->durable(), (*journal)->written());
  EXPECT_TRUE(std::filesystem::exists(target.string() + "-wal"));
}

}  // namespace
}  // namespace renrakumo::store::testing
