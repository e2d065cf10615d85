// The log-structured journal (docs/journal-log.md): accepted messages in a record log beside
// the SQLite file (<path>.log/, store::SegmentLog), everything else in the SQLite file.
//
// Append() writes one log record per batch -- a head (v1::JournalRecord: the directory, the
// batch's acknowledgements, relays and audit entries) and the envelopes as received -- with one
// pwritev, and touches SQLite not at all. What SQLite answers (acknowledgements, relays, the
// audit trail) is copied from the log's records once they are durable -- in bulk under load,
// at once when the hub is idle after a sync (OnDurable) -- with the last
// record copied (log_state.materialized_upto) in the same transaction; until then the queries
// add the records not yet copied from memory. At open the records after that number are copied
// again, so a crash between the two loses nothing.
//
// In memory, rebuilt from the records' heads at open: the key index (as SqliteJournal's), every
// stream's runs (which record holds seqs first..last), and each record's place. Retention
// raises the streams' floors and the cutoff in SQLite; a message is gone once it was accepted
// before the highest cutoff and none of its deliveries is above its stream's floor, which is
// how open knows the pruned messages again. A segment file goes once every message in it is.
//
// Durability: as SqliteJournal's. Until DeferSyncs() each Append syncs the log before it
// returns; after it, a thread syncs the log and then the SQLite WAL (the SQLite side runs
// synchronous=NORMAL), and written()/durable() count both (but not the bulk copy's commits,
// which need no sync before anything is answered: they are made again at open).
// Not thread-safe: the event loop owns it.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/journal.h"
#include "renrakumo/v1/journal.pb.h"
#include "store/key_index.h"
#include "store/segment_log.h"
#include "store/sqlite_journal.h"

namespace renrakumo::store {

class WalSyncer;

class LogJournal final : public core::Journal {
 public:
  // Takes the SQLite side (already marked as a log journal's) and opens the log beside it.
  static Result<std::unique_ptr<LogJournal>> Open(std::unique_ptr<SqliteJournal> sql,
                                                  const std::string& path,
                                                  const JournalOptions& options);
  ~LogJournal() override;
  LogJournal(const LogJournal&) = delete;
  LogJournal& operator=(const LogJournal&) = delete;

  Result<std::vector<std::vector<core::Position>>> Append(
      std::span<const core::Commit> batch, std::span<const core::AuditEntry> audit = {}) override;
  std::optional<core::StoredMessage> Find(const std::string& sender,
                                          const std::string& message_id) override;
  Result<std::vector<core::StoredDelivery>> Read(const std::string& stream, uint64_t after_seq,
                                                 uint32_t max_count) override;
  uint64_t LastSeq(const std::string& stream) const override;
  uint64_t FirstSeq(const std::string& stream) const override;
  Status SetCursors(std::span<const core::Cursor> cursors) override;
  Result<std::vector<core::Cursor>> CursorsOn(const std::string& stream) override;
  Result<std::vector<core::Acknowledgement>> AcknowledgementsOf(
      const core::MessageRef& message) override;
  Result<std::vector<core::MessageRef>> RelaysOf(const core::MessageRef& message) override;
  Status ScanMessages(const std::function<void(const core::StoredMessage&)>& visit,
                      int64_t after) override;
  Status SaveWorkflowSnapshot(const std::string& state) override;
  Result<std::optional<core::WorkflowSnapshot>> LoadWorkflowSnapshot() override;
  Result<uint64_t> Prune(int64_t accepted_before_ms,
                         const std::map<std::string, uint64_t>& safe_upto) override;

  bool DeferSyncs() override;
  uint64_t written() const override;
  uint64_t durable() const override;
  void StartSync() override;
  int sync_fd() const override;
  std::optional<std::string> sync_failure() const override;
  // Copies the rows of durable records into SQLite: all of them when idle, else in bulk.
  void OnDurable(bool idle) override;

  // Deferred syncs that flushed the log's segment, and the WAL (each skips a file with
  // nothing new since its last flush).
  struct Flushes {
    uint64_t log = 0, wal = 0;
  };
  Flushes flushes() const {
    return {log_flushes_.load(std::memory_order_relaxed),
            wal_flushes_.load(std::memory_order_relaxed)};
  }

  // Records copied into SQLite so far (tests).
  int64_t materialized_upto() const { return sql_->log_state()->materialized_upto; }
  const SegmentLog& log() const { return *log_; }

 private:
  using SeqMap = SqliteJournal::SeqMap;
  // A log record holding messages (records with only audit entries are not listed).
  struct Record {
    RecordRef ref;
    int64_t first_position = 0;
    uint32_t count = 0;        // its messages: positions first_position .. + count - 1
    int64_t oldest_ms = 0;     // the earliest accepted_at_ms among them
    uint32_t live = 0;         // those retention has not removed
    std::vector<bool> gone;    // by index; empty until retention removes one
  };
  // Seqs first..last of a stream are deliveries in record `record` (a record's deliveries to a
  // stream are consecutive).
  struct Run {
    uint64_t first = 0;
    uint64_t last = 0;
    uint64_t record = 0;
  };
  // A record's rows for SQLite, not yet copied.
  struct Pending {
    uint64_t record = 0;
    uint64_t segment = 0;  // kept until the rows are copied, whatever retention says
    SqliteJournal::Materialized rows;
  };

  LogJournal(std::string path, std::unique_ptr<SqliteJournal> sql);
  // The record holding `position`, or nullptr.
  Record* RecordAt(int64_t position);
  Record* RecordNumbered(uint64_t record);
  // The record's head, parsed (the last one read is kept: reads go record after record).
  Result<const v1::JournalRecord*> Head(const Record& record);
  Result<std::optional<core::StoredMessage>> Lookup(std::string_view sender,
                                                    std::string_view message_id);
  // At open: adds a record's messages to the in-memory indexes (Append does the same from
  // what it built); an Error if the record contradicts what came before it (only possible if
  // the files were edited).
  Status Index(const RecordRef& ref, const v1::JournalRecord& record);
  // Copies the pending rows of durable records into SQLite when enough have gathered (or
  // `all`, when closing or pruning).
  Status Materialize(bool all);
  uint64_t DurableRecord();
  uint64_t Floor(const std::string& stream) const;
  Error Damaged(const std::string& what) const;

  std::string path_;
  std::unique_ptr<SqliteJournal> sql_;  // before log_: closed after it
  std::unique_ptr<SegmentLog> log_;
  std::deque<Record> records_;  // in order of record number and of position
  std::unordered_map<std::string, std::deque<Run>> runs_;
  SeqMap last_seq_;
  KeyIndex keys_;
  int64_t next_position_ = 1;
  std::map<uint64_t, uint64_t> segment_live_;  // live messages per segment
  std::deque<Pending> pending_;
  // Reused by Append: the head being built and its encoding.
  v1::JournalRecord building_;
  std::string head_buffer_;
  // The last head read back, by record number.
  uint64_t cached_record_ = 0;
  v1::JournalRecord cached_head_;

  // Deferred syncs.
  std::unique_ptr<WalSyncer> syncer_;
  std::string wal_path_;
  uint64_t wal_inode_ = 0;     // used by the sync thread only
  // Appends to the log and SQLite commits when the last sync was asked for (set by the loop),
  // and when each file was last synced (the sync thread's): a file with nothing new skips its
  // fdatasync, a disk flush of its own. Under a storm the WAL has nothing new in 63 syncs of
  // 64; while a node catches up, its stream acks commit to SQLite and append nothing.
  std::atomic<uint64_t> log_appends_asked_{0};
  std::atomic<uint64_t> sql_written_asked_{0};
  uint64_t log_appends_synced_ = 0;
  uint64_t sql_written_synced_ = 0;
  std::atomic<uint64_t> log_flushes_{0}, wal_flushes_{0};
  uint64_t log_appends_ = 0;
  uint64_t uncounted_writes_ = 0;  // SQLite commits of the bulk copy: not waited for
  uint64_t durable_before_deferral_ = 0;
  std::deque<std::pair<uint64_t, uint64_t>> sync_marks_;  // (generation, last record) asked
  uint64_t durable_record_ = 0;
  std::optional<std::string> failed_;  // set when the log can no longer be trusted
  // During Open: (earlier, later) positions whose keys share a 64-bit hash.
  std::vector<std::pair<int64_t, int64_t>> open_collisions_;
};

}  // namespace renrakumo::store
