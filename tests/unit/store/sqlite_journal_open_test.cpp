// Opening the journal: what it refuses (damage, foreign files, newer schemas, bad paths),
// each with a sentence that names the file and what to do.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "journal_fixture.h"

namespace renrakumo::store::testing {
namespace {

using ::testing::HasSubstr;

class JournalOpenTest : public JournalTest {
 protected:
  // Fills a journal with `count` single-delivery messages on stream, then closes it.
  void Fill(const std::string& stream, int count) {
    auto journal = Open();
    ASSERT_TRUE(journal);
    std::vector<core::Commit> batch;
    for (int i = 0; i < count; ++i) batch.push_back(MakeCommit("node.a", std::to_string(i), {stream}));
    ASSERT_TRUE(journal->Append(batch).ok());
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
  RawSql("DELETE FROM deliveries WHERE stream = 'node.fsa.' AND seq = 17");
  const std::string error = OpenError();
  EXPECT_EQ(error, "journal " + path_ + ": stream node.fsa. has 41 deliveries but its last "
                   "sequence is 42: a delivery is missing. Restore the journal from backup "
                   "(see docs/operations.md)");
}

TEST_F(JournalOpenTest, RefusesAStreamThatDoesNotStartAtOne) {
  Fill("node.fsa.", 3);
  RawSql("DELETE FROM deliveries WHERE stream = 'node.fsa.' AND seq = 1");
  EXPECT_THAT(OpenError(), HasSubstr("stream node.fsa. has 2 deliveries but its last sequence "
                                     "is 3: a delivery is missing"));
}

TEST_F(JournalOpenTest, RefusesADeliveryWhoseMessageIsGone) {
  Fill("node.fsa.", 3);
  RawSql("DELETE FROM messages WHERE message_id = '1'");
  const std::string error = OpenError();
  EXPECT_THAT(error, HasSubstr(path_));
  EXPECT_THAT(error, HasSubstr("stream node.fsa. delivery 2 refers to message"));
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
