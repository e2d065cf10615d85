// SqliteJournal as the SQLite side of a LogJournal (log_journal.h): the log state, the bulk copy
// of the log's acknowledgements, relays and audit entries, and retention's rows.
#include <sqlite3.h>

#include <tuple>
#include <utility>

#include "store/sqlite_journal.h"
#include "store/sqlite_support.h"

namespace renrakumo::store {

using detail::Bind;
using detail::SqlSeq;
using detail::StepOnce;

namespace {

// Prepares, binds and steps a statement run once per call (none of these is on a hot path).
int RunOnce(sqlite3* db, const char* sql, int64_t a) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &raw, nullptr);
  SqliteJournal::Statement owned(raw);
  if (rc != SQLITE_OK) return rc;
  rc = Bind(raw, a);
  if (rc != SQLITE_OK) return rc;
  return sqlite3_step(raw);
}

}  // namespace

Status SqliteJournal::BecomeLogSide() {
  if (log_state_) return Ok{};
  if (keys_.size() > 0 || next_position_ > 1)
    return Error{"journal " + path_ + " already holds messages in its SQLite file: it stays an " +
                 "SQLite-only journal (the log engine is for new journals)"};
  if (RunOnce(db_.get(), "INSERT INTO log_state(id, materialized_upto, cutoff_ms) VALUES(1, ?1, 0)",
              0) != SQLITE_DONE)
    return Failure("cannot mark the file as a log journal's");
  log_state_ = LogState{};
  return Ok{};
}

Status SqliteJournal::Materialize(const Materialized& rows, int64_t upto_record) {
  if (!log_state_) return Error{"journal " + path_ + " is not a log journal's SQLite side"};
  const auto tip = std::make_pair(audit_seq_, audit_hash_);
  int rc = Begin();
  for (const auto& ack : rows.acks) {
    if (rc != SQLITE_DONE) break;
    sqlite3_stmt* upsert = statements_.upsert_ack.get();
    rc = Bind(upsert, ack.message.sender, ack.message.message_id, ack.node, int64_t{ack.state},
              ack.at_ms, ack.comment);
    if (rc == SQLITE_OK) rc = StepOnce(upsert);
  }
  for (const auto& [relay, original] : rows.relays) {
    if (rc != SQLITE_DONE) break;
    sqlite3_stmt* insert = statements_.insert_relay.get();
    rc = Bind(insert, original.sender, original.message_id, relay.sender, relay.message_id);
    if (rc == SQLITE_OK) rc = StepOnce(insert);
  }
  if (rc == SQLITE_DONE) rc = WriteAudit(rows.audit);
  if (rc == SQLITE_DONE)
    rc = RunOnce(db_.get(), "UPDATE log_state SET materialized_upto = ?1 WHERE id = 1", upto_record);
  auto finished = Finish(rc, "copy the log's acknowledgements, relays and audit entries up to "
                             "record " + std::to_string(upto_record));
  if (!finished) {
    std::tie(audit_seq_, audit_hash_) = tip;
    return finished;
  }
  log_state_->materialized_upto = upto_record;
  return Ok{};
}

Status SqliteJournal::RecordPrune(const SeqMap& floors, std::span<const core::MessageRef> removed,
                                  int64_t cutoff_ms) {
  if (!log_state_) return Error{"journal " + path_ + " is not a log journal's SQLite side"};
  int rc = Begin();
  for (const auto& [stream, floor] : floors) {
    if (rc != SQLITE_DONE) break;
    sqlite3_stmt* upsert = statements_.upsert_floor.get();
    rc = Bind(upsert, stream, SqlSeq(floor));
    if (rc == SQLITE_OK) rc = StepOnce(upsert);
  }
  for (const auto& message : removed) {
    if (rc != SQLITE_DONE) break;
    sqlite3_stmt* acks = statements_.delete_acks_of.get();
    rc = Bind(acks, message.sender, message.message_id);
    if (rc == SQLITE_OK) rc = StepOnce(acks);
    if (rc != SQLITE_DONE) break;
    sqlite3_stmt* relays = statements_.delete_relays_of.get();
    rc = Bind(relays, message.sender, message.message_id);
    if (rc == SQLITE_OK) rc = StepOnce(relays);
  }
  if (rc == SQLITE_DONE)
    rc = RunOnce(db_.get(), "UPDATE log_state SET cutoff_ms = MAX(cutoff_ms, ?1) WHERE id = 1",
                 cutoff_ms);
  auto finished = Finish(rc, "record what retention removed from the log (nothing was removed)");
  if (!finished) return finished;
  for (const auto& [stream, floor] : floors) {
    uint64_t& kept = floor_[stream];
    kept = std::max(kept, floor);
  }
  log_state_->cutoff_ms = std::max(log_state_->cutoff_ms, cutoff_ms);
  return Ok{};
}

Result<std::string> SqliteJournal::LeaveSyncsToCaller() {
  const char* wal = sqlite3_filename_wal(sqlite3_db_filename(db_.get(), "main"));
  if (wal == nullptr || *wal == '\0')
    return Error{"journal " + path_ + ": SQLite names no WAL file, so its writes cannot be " +
                 "synced by the journal's thread"};
  if (sqlite3_exec(db_.get(), "PRAGMA synchronous=NORMAL", nullptr, nullptr, nullptr) != SQLITE_OK)
    return Failure("cannot defer WAL syncs");
  return std::string(wal);
}

}  // namespace renrakumo::store
