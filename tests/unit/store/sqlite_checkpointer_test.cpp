// The journal's background checkpointer: the loop's commits never checkpoint; the thread copies
// the WAL into the database file and, past the limit, truncates it; and every message is still
// there, in order, after checkpoints and reopening.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "journal_fixture.h"
#include "store/sqlite_checkpointer.h"

namespace renrakumo::store::testing {
namespace {

namespace fs = std::filesystem;

class CheckpointerTest : public JournalTest {
 protected:
  core::JournalPtr OpenWith(CheckpointOptions checkpoint) {
    auto journal = OpenSqliteJournal(path_, JournalOptions{checkpoint});
    EXPECT_TRUE(journal.ok()) << journal.error();
    return journal.ok() ? std::move(journal).value() : nullptr;
  }
  static Checkpointer& Of(core::Journal& journal) {
    return dynamic_cast<SqliteJournal&>(journal).checkpointer();
  }
  // Appends `batches` batches of 20 messages of 1 KB each on node.s.
  static void Fill(core::Journal& journal, int batches, int& next) {
    for (int b = 0; b < batches; ++b) {
      std::vector<core::Commit> batch;
      for (int i = 0; i < 20; ++i)
        batch.push_back(MakeCommit("node.a", "m" + std::to_string(++next), {"node.s."},
                                   std::string(1000, 'e')));
      ASSERT_TRUE(journal.Append(batch).ok());
    }
  }
  uintmax_t WalBytes() const {
    std::error_code ec;
    const auto size = fs::file_size(path_ + "-wal", ec);
    return ec ? 0 : size;
  }
};

TEST_F(CheckpointerTest, CommitsLeaveTheWalToTheCheckpointer) {
  // Thresholds far above what the test writes: nothing may copy the WAL into the file.
  auto journal = OpenWith({int64_t{1} << 40, int64_t{1} << 41});
  ASSERT_TRUE(journal);
  const uintmax_t file_before = fs::file_size(path_);
  int next = 0;
  Fill(*journal, 30, next);
  EXPECT_EQ(fs::file_size(path_), file_before) << "a commit checkpointed";
  EXPECT_EQ(Of(*journal).completed(), 0u);
  EXPECT_GT(WalBytes(), 600000u);
}

TEST_F(CheckpointerTest, PassiveCheckpointsCopyTheWalAndTheMessagesStayReadable) {
  auto journal = OpenWith({1, int64_t{1} << 40});
  ASSERT_TRUE(journal);
  const uintmax_t file_before = fs::file_size(path_);
  int next = 0;
  Fill(*journal, 30, next);
  Of(*journal).RunNow();
  EXPECT_GE(Of(*journal).completed(), 1u);
  EXPECT_GT(fs::file_size(path_), file_before + 600000) << "the WAL was not copied";
  // The WAL is reused from its start once a checkpoint has caught up: it does not grow with
  // every batch. (Not after every single batch: a commit that meets the background thread in
  // the middle of a checkpoint appends instead, so the bound allows two batches; a WAL never
  // reused would grow by 31 batches of ~0.7 MB.)
  const uintmax_t wal = WalBytes();
  for (int i = 0; i < 31; ++i) {
    Fill(*journal, 1, next);
    Of(*journal).RunNow();
  }
  EXPECT_LE(WalBytes(), wal + 1500000);
  for (uint64_t after : {0u, 600u, 1200u}) {
    auto read = journal->Read("node.s.", after, 1000);
    ASSERT_TRUE(read.ok()) << read.error();
    ASSERT_EQ(read.value().size(), std::min<size_t>(1000, 1220 - after));
    EXPECT_EQ(read.value().front().seq, after + 1);
  }
  journal.reset();
  journal = OpenWith({});
  ASSERT_TRUE(journal);
  EXPECT_EQ(journal->LastSeq("node.s."), 1220u);
  EXPECT_TRUE(journal->Find("node.a", "m1220").has_value());
}

TEST_F(CheckpointerTest, PastTheLimitTheWalIsTruncated) {
  auto journal = OpenWith({1, 1});
  ASSERT_TRUE(journal);
  int next = 0;
  Fill(*journal, 10, next);
  Of(*journal).RunNow();
  EXPECT_EQ(WalBytes(), 0u);
  Fill(*journal, 1, next);
  EXPECT_EQ(journal->LastSeq("node.s."), 220u);
}

TEST_F(CheckpointerTest, ClosingTheJournalCheckpointsAndRemovesTheWal) {
  auto journal = OpenWith({int64_t{1} << 40, int64_t{1} << 41});
  ASSERT_TRUE(journal);
  int next = 0;
  Fill(*journal, 5, next);
  journal.reset();
  EXPECT_FALSE(fs::exists(path_ + "-wal"));
  EXPECT_EQ(StoredMessages(), 100);
}

}  // namespace
}  // namespace renrakumo::store::testing
