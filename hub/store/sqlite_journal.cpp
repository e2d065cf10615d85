// SqliteJournal: the hot path — Append in one transaction per batch, Find for dedup, Read for
// replay — and the transaction helpers the other operations share.
#include "store/sqlite_journal.h"

#include <sqlite3.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <tuple>
#include <utility>

#include "store/sqlite_support.h"

namespace renrakumo::store {

using core::Position;
using detail::Bind;
using detail::Blob;
using detail::ColumnBytes;
using detail::ColumnSeq;
using detail::EachRow;
using detail::Logger;
using detail::ResetOnExit;
using detail::SqlSeq;
using detail::StepOnce;

SqliteJournal::SqliteJournal(std::string path, Db db, Statements statements, Streams streams)
    : path_(std::move(path)),
      db_(std::move(db)),
      statements_(std::move(statements)),
      last_seq_(std::move(streams.last_seq)),
      floor_(std::move(streams.floor)) {}

SqliteJournal::~SqliteJournal() = default;

Result<std::vector<std::vector<Position>>> SqliteJournal::Append(
    std::span<const core::Commit> batch, std::span<const core::AuditEntry> audit) {
  std::vector<std::vector<Position>> positions;
  if (batch.empty() && audit.empty()) return positions;
  auto of_batch = [&] {
    return " (nothing of the batch of " + std::to_string(batch.size()) + " messages was stored)";
  };
  if (Begin() != SQLITE_DONE) return Failure("cannot start a transaction" + of_batch());
  // The batch's sequence numbers live in `pending` until COMMIT succeeds: a failed batch
  // leaves last_seq_ as it was, so nothing of it is visible and no number is skipped.
  SeqMap pending;
  positions.reserve(batch.size());
  for (const auto& commit : batch) {
    if (WriteCommit(commit, pending, positions.emplace_back()) != SQLITE_DONE) {
      Error error = Failure("cannot store message " + commit.message_id + " from " +
                            commit.sender + of_batch());
      Rollback();
      return error;
    }
  }
  const auto tip = std::make_pair(audit_seq_, audit_hash_);
  if (WriteAudit(audit) != SQLITE_DONE) {
    Error error = Failure("cannot append to the audit trail" + of_batch());
    Rollback();
    std::tie(audit_seq_, audit_hash_) = tip;
    return error;
  }
  if (StepOnce(statements_.commit.get()) != SQLITE_DONE) {
    std::tie(audit_seq_, audit_hash_) = tip;
    Error error = Failure("cannot commit" + of_batch());
    Rollback();
    return error;
  }
  for (const auto& [stream, seq] : pending) last_seq_.insert_or_assign(stream, seq);
  return positions;
}

int SqliteJournal::WriteCommit(const core::Commit& commit, SeqMap& pending,
                               std::vector<Position>& positions) {
  sqlite3_stmt* message = statements_.insert_message.get();
  int rc = Bind(message, commit.sender, commit.message_id, commit.accepted_at_ms, commit.kind,
                Blob{commit.envelope});
  if (rc == SQLITE_OK) rc = StepOnce(message);
  if (rc != SQLITE_DONE) return rc;
  const int64_t rowid = sqlite3_last_insert_rowid(db_.get());
  sqlite3_stmt* delivery = statements_.insert_delivery.get();
  positions.reserve(commit.deliveries.size());
  for (const auto& planned : commit.deliveries) {
    uint64_t& last = pending.try_emplace(planned.stream, LastSeq(planned.stream)).first->second;
    rc = Bind(delivery, planned.stream, SqlSeq(last + 1), rowid, planned.note);
    if (rc == SQLITE_OK) rc = StepOnce(delivery);
    if (rc != SQLITE_DONE) return rc;
    positions.push_back(Position{planned.stream, ++last});
  }
  if (commit.relay_of) {
    sqlite3_stmt* relay = statements_.insert_relay.get();
    rc = Bind(relay, commit.relay_of->sender, commit.relay_of->message_id, commit.sender,
              commit.message_id);
    if (rc == SQLITE_OK) rc = StepOnce(relay);
    if (rc != SQLITE_DONE) return rc;
  }
  if (commit.ack) {
    const core::Acknowledgement& ack = *commit.ack;
    sqlite3_stmt* upsert = statements_.upsert_ack.get();
    rc = Bind(upsert, ack.message.sender, ack.message.message_id, ack.node,
              int64_t{ack.state}, ack.at_ms, ack.comment);
    if (rc == SQLITE_OK) rc = StepOnce(upsert);
    if (rc != SQLITE_DONE) return rc;
  }
  return SQLITE_DONE;
}

int SqliteJournal::Begin() { return StepOnce(statements_.begin.get()); }

Status SqliteJournal::Finish(int rc, const std::string& what) {
  if (rc == SQLITE_DONE) rc = StepOnce(statements_.commit.get());
  if (rc == SQLITE_DONE) return Ok{};
  Error error = Failure("cannot " + what);
  Rollback();
  return error;
}

void SqliteJournal::Rollback() {
  // On some errors (disk full, I/O) SQLite has already rolled back: ROLLBACK would then fail.
  if (sqlite3_get_autocommit(db_.get()) != 0) return;
  if (StepOnce(statements_.rollback.get()) != SQLITE_DONE) {
    Logger()->critical("{}", Failure("cannot roll back a failed transaction").message);
  }
}

Error SqliteJournal::Failure(const std::string& what) const {
  return detail::Describe(path_, db_.get(), what);
}

std::optional<core::StoredMessage> SqliteJournal::Find(const std::string& sender,
                                                       const std::string& message_id) {
  sqlite3_stmt* query = statements_.find_message.get();
  ResetOnExit reset(query);
  int rc = Bind(query, sender, message_id);
  if (rc == SQLITE_OK) rc = sqlite3_step(query);
  if (rc == SQLITE_DONE) return std::nullopt;
  if (rc != SQLITE_ROW) {
    Logger()->error("{}", Failure("cannot look up message " + message_id + " from " + sender)
                              .message);
    return std::nullopt;
  }
  core::StoredMessage found{sender, message_id, sqlite3_column_int64(query, 1),
                            ColumnBytes(query, 2), ColumnBytes(query, 3), {}};
  auto positions = FindPositions(sqlite3_column_int64(query, 0));
  if (!positions) return std::nullopt;
  found.deliveries = std::move(*positions);
  return found;
}

std::optional<std::vector<Position>> SqliteJournal::FindPositions(int64_t message_rowid) {
  sqlite3_stmt* query = statements_.find_positions.get();
  ResetOnExit reset(query);
  std::vector<Position> positions;
  const int rc = EachRow(query, Bind(query, message_rowid), [&] {
    positions.push_back(Position{ColumnBytes(query, 0), ColumnSeq(query, 1)});
  });
  if (rc != SQLITE_DONE) {
    Logger()->error("{}", Failure("cannot read the deliveries of message " +
                                  std::to_string(message_rowid)).message);
    return std::nullopt;
  }
  return positions;
}

Result<std::vector<core::StoredDelivery>> SqliteJournal::Read(const std::string& stream,
                                                              uint64_t after_seq,
                                                              uint32_t max_count) {
  std::vector<core::StoredDelivery> deliveries;
  const uint64_t last = LastSeq(stream);
  // A node that is up to date asks for nothing new: answer without touching the disk.
  if (max_count == 0 || after_seq >= last) return deliveries;
  // Below the floor nothing is stored: the reply starts at FirstSeq().
  const uint64_t from = std::max(after_seq, Floor(stream));
  deliveries.reserve(std::min<uint64_t>(max_count, last - from));
  sqlite3_stmt* query = statements_.read.get();
  ResetOnExit reset(query);
  const int bound = Bind(query, stream, SqlSeq(from), int64_t{max_count});
  const int rc = EachRow(query, bound, [&] {
    deliveries.push_back(core::StoredDelivery{
        stream, ColumnSeq(query, 0), ColumnBytes(query, 1), sqlite3_column_int64(query, 2),
        ColumnBytes(query, 3), ColumnBytes(query, 4), ColumnBytes(query, 5)});
  });
  if (rc != SQLITE_DONE) {
    return Failure("cannot read stream " + stream + " after sequence " +
                   std::to_string(after_seq));
  }
  return deliveries;
}

uint64_t SqliteJournal::LastSeq(const std::string& stream) const {
  const auto it = last_seq_.find(stream);
  return it == last_seq_.end() ? 0 : it->second;
}

uint64_t SqliteJournal::Floor(const std::string& stream) const {
  const auto it = floor_.find(stream);
  return it == floor_.end() ? 0 : it->second;
}

uint64_t SqliteJournal::FirstSeq(const std::string& stream) const { return Floor(stream) + 1; }

}  // namespace renrakumo::store
