// The journal on SQLite in WAL mode: the embedded default store (no server to run).
// One file holds every accepted message and its numbered deliveries; Append() returns only
// after the batch's transaction is durable, so the hub may then acknowledge and publish --
// unless DeferSyncs() moved the sync to a thread (the hub does): then written() and durable()
// say what a finished sync covers, and the hub answers only from that.
// Not thread-safe: the event-loop thread owns the journal (its statements and seq maps).
//
// One row per batch, not per message (schema version 6): Append() packs the batch's messages
// into one `batches` row -- a directory (v1::JournalBatch: keys, times, kinds, numbered
// deliveries) and the received envelopes concatenated -- plus one `stream_runs` row per
// stream the batch reaches (its deliveries to a stream are consecutive seqs). A row per
// message and per delivery, with their indexes, cost the hub's loop ~3.5 us per message; SQLite
// spends that per row, not per byte (docs/performance.md).
//
// A message's position (ScanMessages, the workflow snapshot) is its batch's first position
// plus its index in the batch; positions only grow, and are never reused after retention.
//
// Idempotency keys (sender, message_id) are indexed in memory, not in SQLite: loaded at open
// (one pass over the directories), ~50 bytes per stored message; Append refuses a key that is
// already stored or twice in the batch.
//
// Source files: sqlite_journal_open.cpp (opening: pragmas, schema migrations, damage checks),
// sqlite_journal.cpp (the hot path: Append, Find, Read), sqlite_journal_query.cpp (cursors,
// acknowledgements, relays, retention), sqlite_batches.h/.cpp (the packed rows),
// sqlite_support.h/.cpp (shared helpers).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/journal.h"
#include "core/result.h"
#include "renrakumo/v1/journal.pb.h"
#include "store/key_index.h"

struct sqlite3;
struct sqlite3_stmt;

namespace renrakumo::store {

class Checkpointer;
class WalSyncer;
struct PackedBatch;

// When the journal's background thread checkpoints the WAL (see sqlite_checkpointer.h).
struct CheckpointOptions {
  int64_t start_bytes = int64_t{16} << 20;   // WAL size that starts a PASSIVE checkpoint
  int64_t limit_bytes = int64_t{256} << 20;  // WAL size that forces a TRUNCATE checkpoint
};

// Where a new journal keeps its messages (an existing one keeps the store it was made with).
enum class JournalEngine {
  kSqlite,  // in the SQLite file, one row per batch (SqliteJournal)
  kLog,     // in a log beside it, <path>.log/ (LogJournal, docs/journal-log.md)
};

// The engine a configuration names ("sqlite" or "log"; anything else is kSqlite: the hub's
// configuration check refuses other names first).
inline JournalEngine EngineNamed(std::string_view name) {
  return name == "log" ? JournalEngine::kLog : JournalEngine::kSqlite;
}

struct JournalOptions {
  CheckpointOptions checkpoint;
  JournalEngine engine = JournalEngine::kSqlite;
  uint64_t log_segment_bytes = uint64_t{64} << 20;  // the log engine's segment files
  // The log engine checks every record's body hash at open, not only the last segment's (it
  // reads the whole log): what a backup's check does.
  bool log_verify_bodies = false;
};

// Walks the audit trail of the journal at path and checks every entry's hash and its link to
// the one before. Returns "N audit entries, chain intact", or an Error naming the first
// broken entry.
Result<std::string> VerifyAuditChain(const std::string& path);

// Opens (or creates) the journal at path, upgrading an older schema in place. Refuses, with a
// sentence naming the path, a file that is not a renrakumo journal, a journal written by a
// newer schema, and a damaged journal (integrity check, orphan deliveries, or a stream whose
// stored sequence numbers are not exactly floor+1..last).
// A second connection and a thread checkpoint the WAL (the loop's COMMITs never do).
// Refuses a journal whose messages are in a log (open those with OpenJournal).
Result<core::JournalPtr> OpenSqliteJournal(const std::string& path,
                                           const JournalOptions& options = {});

// Opens the journal at path with the store it was made with; a new journal gets
// options.engine's. What the hub and the tools call.
Result<core::JournalPtr> OpenJournal(const std::string& path, const JournalOptions& options = {});

class SqliteJournal;
// The SQLite file alone, whichever store keeps the messages (LogJournal opens its side so).
Result<std::unique_ptr<SqliteJournal>> OpenSqliteFile(const std::string& path,
                                                      const JournalOptions& options);

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
  using SeqMap = std::unordered_map<std::string, uint64_t>;
  using KeyIndex = store::KeyIndex;  // KeyHash(sender, message_id) -> position

  // Prepared once at open and reused for every row: the hot path never re-prepares.
  struct Statements {
    Statement begin;
    Statement commit;
    Statement rollback;
    Statement insert_batch;
    Statement insert_run;
    Statement insert_relay;
    Statement upsert_ack;
    Statement batch_holding;   // the batch whose first position is the greatest <= ?1
    Statement batch_directory;
    Statement runs_after;
    Statement upsert_cursor;
    Statement cursors_on;
    Statement acks_of;
    Statement relays_of;
    // Retention (Prune).
    Statement runs_upto;
    Statement delete_runs;
    Statement trim_run;
    Statement upsert_floor;
    Statement old_batches;
    Statement batch_envelopes;
    Statement rewrite_batch;
    Statement delete_batch;
    Statement delete_acks_of;
    Statement delete_relays_of;
  };

  // What OpenSqliteJournal() read from the file: per stream, the last seq and the floor (the
  // highest pruned seq; streams never pruned are absent), and the next message's position.
  struct Streams {
    SeqMap last_seq;
    SeqMap floor;
    int64_t next_position = 1;
  };

  // Use OpenSqliteJournal(); this takes the parts it has already opened and checked.
  SqliteJournal(std::string path, Db db, Statements statements, Streams streams, KeyIndex keys,
                std::unique_ptr<Checkpointer> checkpointer);

  // The in-memory index's hash of an idempotency key (stable within a process only).
  static uint64_t KeyHash(std::string_view sender, std::string_view message_id);

  Checkpointer& checkpointer() { return *checkpointer_; }
  ~SqliteJournal() override;
  SqliteJournal(const SqliteJournal&) = delete;
  SqliteJournal& operator=(const SqliteJournal&) = delete;

  // Also records Commit.relay_of (a relays row) and Commit.ack (an acknowledgements row,
  // kept only if its state is higher than the node's stored one) in the same transaction.
  Result<std::vector<std::vector<core::Position>>> Append(
      std::span<const core::Commit> batch, std::span<const core::AuditEntry> audit = {}) override;
  // Positions come back ordered by stream, then seq (not in the order they were planned);
  // deliveries already pruned are not listed. A read error is logged and reported as "not
  // found"; a resubmission then fails in Append (the key is in the in-memory index) instead
  // of being stored twice.
  std::optional<core::StoredMessage> Find(const std::string& sender,
                                          const std::string& message_id) override;
  // After pruning, an after_seq below the floor reads from FirstSeq() on.
  Result<std::vector<core::StoredDelivery>> Read(const std::string& stream, uint64_t after_seq,
                                                 uint32_t max_count) override;
  uint64_t LastSeq(const std::string& stream) const override;
  // floor + 1, where floor is the highest seq Prune() removed from the stream (0 if it never
  // removed any). Prune never goes past LastSeq(), so an empty stream answers LastSeq() + 1:
  // 1 for a stream never written, last + 1 for a stream pruned to the end.
  uint64_t FirstSeq(const std::string& stream) const override;

  // Refuses the whole call (nothing stored) if a cursor is beyond its stream's LastSeq():
  // a cursor there would let retention prune deliveries the node has never seen.
  Status SetCursors(std::span<const core::Cursor> cursors) override;
  // Ordered by node.
  Result<std::vector<core::Cursor>> CursorsOn(const std::string& stream) override;
  // Ordered by node. Of equal states the first recorded is kept (a retried ack changes nothing).
  Result<std::vector<core::Acknowledgement>> AcknowledgementsOf(
      const core::MessageRef& message) override;
  // Ordered by relaying sender, then message id.
  Result<std::vector<core::MessageRef>> RelaysOf(const core::MessageRef& message) override;
  Status ScanMessages(const std::function<void(const core::StoredMessage&)>& visit,
                      int64_t after) override;
  Status SaveWorkflowSnapshot(const std::string& state) override;
  Result<std::optional<core::WorkflowSnapshot>> LoadWorkflowSnapshot() override;
  // Per stream of safe_upto, removes the longest run floor+1..n with n <= min(safe_upto,
  // LastSeq()) whose messages were all accepted before accepted_before_ms: it stops at the
  // first delivery too young, so a stream never has a hole. Then deletes every message accepted
  // before the cutoff with no delivery left (including those that never had one, such as
  // acknowledgements), the acknowledgements OF those messages, and the relays rows in which
  // they are the relay or the original. Acknowledgements of messages still stored are kept
  // even when the acknowledgement message itself is deleted. One transaction.
  Result<uint64_t> Prune(int64_t accepted_before_ms,
                         const std::map<std::string, uint64_t>& safe_upto) override;

  // --- The SQLite side of a LogJournal (log_journal.h), which keeps the messages in its
  // log and everything else here. Its batches and stream_runs stay empty.
  struct LogState {
    int64_t materialized_upto = 0;  // the last log record copied into the tables below
    int64_t cutoff_ms = 0;          // the highest retention cutoff applied (0: none)
  };
  // What a log record adds to the acknowledgements, relays and audit tables.
  struct Materialized {
    std::vector<core::Acknowledgement> acks;
    std::vector<std::pair<core::MessageRef, core::MessageRef>> relays;  // relay, original
    std::vector<core::AuditEntry> audit;
  };
  // Set when the file belongs to a LogJournal.
  const std::optional<LogState>& log_state() const { return log_state_; }
  // Makes a journal that never stored a message a LogJournal's side (writes the log_state
  // row); refuses one that did.
  Status BecomeLogSide();
  const SeqMap& floors() const { return floor_; }
  // SetCursors, checked against the caller's streams (the log's are not known here).
  Status StoreCursors(std::span<const core::Cursor> cursors,
                      const std::function<uint64_t(const std::string&)>& last_seq);
  // SaveWorkflowSnapshot, covering the positions up to `upto`.
  Status SaveWorkflowSnapshotAt(const std::string& state, int64_t upto);
  // Writes the rows of the log records up to `upto_record`, and that number, in one
  // transaction. Acknowledgements keep the highest state, as Append's do.
  Status Materialize(const Materialized& rows, int64_t upto_record);
  // Retention on the log side: raises the streams' floors and the cutoff, and deletes the
  // acknowledgements of the messages retention removed and the relays they are part of.
  Status RecordPrune(const SeqMap& floors, std::span<const core::MessageRef> removed,
                     int64_t cutoff_ms);
  // Switches this connection to synchronous=NORMAL without a sync thread: the caller syncs
  // the returned WAL file before it trusts a write to be durable.
  Result<std::string> LeaveSyncsToCaller();

  // Switches this connection to synchronous=NORMAL and starts the WAL sync thread
  // (wal_syncer.h): from then on a write is durable once a StartSync() after it finished.
  // False (and every commit stays durable at once) if the thread cannot start.
  bool DeferSyncs() override;
  uint64_t written() const override { return written_.load(std::memory_order_acquire); }
  uint64_t durable() const override;
  void StartSync() override;
  int sync_fd() const override;
  std::optional<std::string> sync_failure() const override;

 private:
  // The connection's WAL hook, after every committed write transaction: counts it and tells
  // the checkpointer the WAL's size.
  static int OnWalCommit(void* self, sqlite3* db, const char* schema, int wal_pages);
  // Adds one message to the batch's directory and envelopes, numbers its deliveries (from
  // pending, this batch, or last_seq_), and writes its relays and acknowledgements rows;
  // returns SQLITE_DONE or the SQLite error code.
  int WriteCommit(const core::Commit& commit, uint32_t index, SeqMap& pending, PackedBatch& packed,
                  std::vector<core::Position>& positions);
  // Inserts the packed batch and its stream runs; SQLITE_DONE or the error code.
  int WriteBatch(int64_t first_position, const PackedBatch& packed);
  // The stored message with this key, read by rowid through keys_: nullopt if there is none,
  // or an Error if a candidate row could not be read.
  Result<std::optional<core::StoredMessage>> Lookup(std::string_view sender,
                                                    std::string_view message_id);
  // Prune's steps inside its transaction; SQLITE_DONE or the SQLite error code.
  int PruneStream(const std::string& stream, uint64_t upto, int64_t accepted_before_ms,
                  SeqMap& floors, std::set<int64_t>& touched, uint64_t& removed);
  int PruneBatches(int64_t accepted_before_ms, const SeqMap& floors,
                   const std::set<int64_t>& touched,
                   std::vector<std::pair<uint64_t, int64_t>>& keys_removed);
  // Starts a write transaction: SQLITE_DONE or the error code.
  int Begin();
  // Commits if rc is SQLITE_DONE; otherwise (or if COMMIT fails) rolls back and returns
  // "cannot <what>" with SQLite's error. Call it right after the step that failed.
  Status Finish(int rc, const std::string& what);
  // Reads SQLite's current error: call it before anything else touches the connection.
  Error Failure(const std::string& what) const;
  void Rollback();
  // The batch holding `position` and that message's entry, or nullopt if no batch holds it.
  Result<std::optional<std::pair<int64_t, v1::JournalEntry>>> EntryAt(int64_t position);
  // Why an envelope could not be read (rc from detail::EnvelopeReader::Read).
  Error EnvelopeError(int rc, int64_t batch, const v1::JournalEntry& entry) const;
  // The batch's directory; an Error if it cannot be read or parsed.
  Result<v1::JournalBatch> Directory(int64_t first_position);
  uint64_t Floor(const std::string& stream) const;

  // sqlite_audit.cpp: appends the entries to the hash chain; SQLITE_DONE or the error.
  int WriteAudit(std::span<const core::AuditEntry> audit);

  friend Result<std::unique_ptr<SqliteJournal>> OpenSqliteFile(const std::string&,
                                                               const JournalOptions&);
  std::optional<LogState> log_state_;
  std::string path_;
  Db db_;                  // declared before statements_: they are finalized first
  Statements statements_;
  Statement insert_audit_;          // prepared on first use (after db_: finalized before it)
  bool audit_tip_loaded_ = false;
  int64_t audit_seq_ = 0;           // last entry's seq and hash (the chain's tip)
  std::string audit_hash_;
  // Committed state per stream; changed only after COMMIT succeeds.
  SeqMap last_seq_;
  SeqMap floor_;
  KeyIndex keys_;  // every stored message's key; changed only after COMMIT succeeds
  int64_t next_position_ = 1;  // the next message's position; advanced after COMMIT
  std::string directory_buffer_;  // Append's encoded directory, reused (no allocation per batch)
  std::unique_ptr<PackedBatch> packed_;  // Append's batch being built, reused likewise
  // Declared after db_: stopped, and its connection closed, before db_ closes, so that the
  // last connection's close checkpoints the WAL and removes it.
  std::unique_ptr<Checkpointer> checkpointer_;
  // Deferred syncs (DeferSyncs()): write transactions committed so far (counted by the WAL
  // hook), how many of them were durable when syncs were deferred, and the sync thread.
  std::atomic<uint64_t> written_{0};  // atomic: StartSync() may come from any thread
  uint64_t durable_before_deferral_ = 0;
  std::unique_ptr<WalSyncer> syncer_;
};

}  // namespace renrakumo::store
