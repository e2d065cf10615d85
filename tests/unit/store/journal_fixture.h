// Test support for the journal: a fresh directory per test (removed afterwards), commit
// builders, and raw SQL on the journal file for the tests that damage it on purpose.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdint>
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

  // The journal tests run twice (tests/unit/store/CMakeLists.txt): on the SQLite engine, and
  // with RENRAKUMO_TEST_JOURNAL_ENGINE=log on the log engine (LogJournal). A test of what only
  // one engine has checks this.
  static bool LogEngine() {
    const char* engine = std::getenv("RENRAKUMO_TEST_JOURNAL_ENGINE");
    return engine != nullptr && std::string(engine) == "log";
  }
  static JournalOptions Options() {
    JournalOptions options;
    if (LogEngine()) options.engine = JournalEngine::kLog;
    return options;
  }

  core::JournalPtr Open() {
    auto journal = OpenJournal(path_, Options());
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

  // How many messages the (closed) journal holds, read back by the journal itself.
  int64_t StoredMessages() {
    auto journal = OpenJournal(path_, Options());
    EXPECT_TRUE(journal.ok()) << (journal.ok() ? "" : journal.error());
    if (!journal) return -1;
    int64_t count = 0;
    EXPECT_TRUE((*journal)->ScanMessages([&](const core::StoredMessage&) { ++count; }, 0).ok());
    return count;
  }

  // The first number of the first row of a query on the journal file (the journal closed).
  int64_t RawNumber(const std::string& sql) {
    sqlite3* db = nullptr;
    sqlite3_stmt* statement = nullptr;
    int64_t value = -1;
    EXPECT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    if (sqlite3_step(statement) == SQLITE_ROW) value = sqlite3_column_int64(statement, 0);
    sqlite3_finalize(statement);
    sqlite3_close(db);
    return value;
  }

  // Creates the file as a journal of schema version 1 (hub/store's first release) would have
  // left it: a frozen copy of that version's DDL, which later versions must upgrade in place.
  void WriteVersionOneJournal() {
    RawSql(R"sql(
PRAGMA journal_mode=WAL;
BEGIN;
CREATE TABLE messages(
  rowid INTEGER PRIMARY KEY,
  sender TEXT NOT NULL,
  message_id TEXT NOT NULL,
  accepted_at_ms INTEGER NOT NULL,
  kind TEXT NOT NULL,
  envelope BLOB NOT NULL,
  UNIQUE(sender, message_id));
CREATE TABLE deliveries(
  stream TEXT NOT NULL,
  seq INTEGER NOT NULL CHECK(seq >= 1),
  message INTEGER NOT NULL REFERENCES messages(rowid),
  note TEXT NOT NULL DEFAULT '',
  PRIMARY KEY(stream, seq)) WITHOUT ROWID;
CREATE INDEX deliveries_by_message ON deliveries(message);
PRAGMA application_id=1380666703;
PRAGMA user_version=1;
COMMIT;
)sql");
  }

  std::filesystem::path dir_;
  std::string path_;
};

inline core::Commit MakeCommit(std::string sender, std::string message_id,
                               std::vector<std::string> streams, std::string envelope = "env") {
  core::Commit commit;
  commit.sender = std::move(sender);
  commit.message_id = std::move(message_id);
  commit.accepted_at_ms = 1700000000000;
  commit.kind = "report";
  commit.envelope = std::move(envelope);
  for (auto& stream : streams) commit.deliveries.push_back({std::move(stream), ""});
  return commit;
}

}  // namespace renrakumo::store::testing
