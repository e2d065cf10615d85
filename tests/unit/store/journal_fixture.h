// Test support for the journal: a fresh directory per test (removed afterwards), commit
// builders, and raw SQL on the journal file for the tests that damage it on purpose.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "core/journal.h"
#include "store/sqlite_journal.h"

namespace renrakumo::store::testing {

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "journal-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr) << "cannot create a temp dir";
    dir_ = pattern;
    path_ = (dir_ / "journal.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  core::JournalPtr Open() {
    auto journal = OpenSqliteJournal(path_);
    EXPECT_TRUE(journal.ok()) << journal.error();
    return journal.ok() ? std::move(journal).value() : nullptr;
  }

  // Runs SQL on the journal file through a separate connection (foreign keys off, as in a
  // careless sqlite3 shell). The journal must be closed.
  void RawSql(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    char* error = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
    EXPECT_EQ(rc, SQLITE_OK) << (error ? error : "");
    sqlite3_free(error);
    sqlite3_close(db);
  }

  std::filesystem::path dir_;
  std::string path_;
};

inline core::Commit MakeCommit(std::string sender, std::string message_id,
                               std::vector<std::string> streams, std::string envelope = "env") {
  core::Commit commit{std::move(sender), std::move(message_id), 1700000000000, "report",
                      std::move(envelope), {}};
  for (auto& stream : streams) commit.deliveries.push_back({std::move(stream), ""});
  return commit;
}

}  // namespace renrakumo::store::testing
