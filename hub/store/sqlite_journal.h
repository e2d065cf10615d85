// The journal on SQLite in WAL mode: the embedded default store (no server to run).
// One file holds every accepted message and its numbered deliveries; Append() returns only
// after the batch's transaction is durable, so the hub may then acknowledge and publish.
// Not thread-safe: the event-loop thread owns the journal (its statements and last_seq_ map).
#pragma once

#include <memory>
#include <string>
#include <unordered_map>

#include "core/journal.h"
#include "core/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace renrakumo::store {

// Opens (or creates) the journal at path. Refuses, with a sentence naming the path, a file that
// is not a renrakumo journal, a journal written by a newer schema, and a damaged journal
// (integrity check, orphan deliveries, or a gap in a stream's sequence numbers).
Result<core::JournalPtr> OpenSqliteJournal(const std::string& path);

class SqliteJournal final : public core::Journal {
 public:
  struct CloseDb {
    void operator()(sqlite3* db) const;
  };
  struct FinalizeStatement {
    void operator()(sqlite3_stmt* statement) const;
  };
  using Db = std::unique_ptr<sqlite3, CloseDb>;
  using Statement = std::unique_ptr<sqlite3_stmt, FinalizeStatement>;
  using LastSeqMap = std::unordered_map<std::string, uint64_t>;

  // Prepared once at open and reused for every row: the hot path never re-prepares.
  struct Statements {
    Statement begin;
    Statement commit;
    Statement rollback;
    Statement insert_message;
    Statement insert_delivery;
    Statement find_message;
    Statement find_positions;
    Statement read;
  };

  // Use OpenSqliteJournal(); this takes the parts it has already opened and checked.
  SqliteJournal(std::string path, Db db, Statements statements, LastSeqMap last_seq);
  ~SqliteJournal() override;
  SqliteJournal(const SqliteJournal&) = delete;
  SqliteJournal& operator=(const SqliteJournal&) = delete;

  Result<std::vector<std::vector<core::Position>>> Append(
      std::span<const core::Commit> batch) override;
  // Positions come back ordered by stream, then seq (not in the order they were planned).
  // A read error is logged and reported as "not found"; a resubmission then fails in Append
  // on the UNIQUE constraint instead of being stored twice.
  std::optional<core::StoredMessage> Find(const std::string& sender,
                                          const std::string& message_id) override;
  Result<std::vector<core::StoredDelivery>> Read(const std::string& stream, uint64_t after_seq,
                                                 uint32_t max_count) override;
  uint64_t LastSeq(const std::string& stream) const override;

 private:
  // Inserts one message and its deliveries, numbering them from pending (this batch) or
  // last_seq_; returns SQLITE_DONE or the SQLite error code.
  int WriteCommit(const core::Commit& commit, LastSeqMap& pending,
                  std::vector<core::Position>& positions);
  // Reads SQLite's current error: call it before anything else touches the connection.
  Error Failure(const std::string& what) const;
  void Rollback();
  std::optional<std::vector<core::Position>> FindPositions(int64_t message_rowid);

  std::string path_;
  Db db_;                  // declared before statements_: they are finalized first
  Statements statements_;
  LastSeqMap last_seq_;    // committed last seq per stream; changed only after COMMIT succeeds
};

}  // namespace renrakumo::store
