// SqliteJournal: stream cursors, acknowledgements, relays, and retention (Prune).
#include <sqlite3.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "store/sqlite_journal.h"
#include "store/sqlite_support.h"

namespace renrakumo::store {

using detail::Bind;
using detail::ColumnBytes;
using detail::ColumnSeq;
using detail::EachRow;
using detail::Logger;
using detail::ResetOnExit;
using detail::SqlSeq;
using detail::StepOnce;

Status SqliteJournal::SetCursors(std::span<const core::Cursor> cursors) {
  if (cursors.empty()) return Ok{};
  const std::string count = std::to_string(cursors.size());
  for (const auto& cursor : cursors) {
    const uint64_t last = LastSeq(cursor.stream);
    if (cursor.seq > last) {
      return Error{"journal " + path_ + ": cannot record that node " + cursor.node +
                   " processed stream " + cursor.stream + " up to sequence " +
                   std::to_string(cursor.seq) + ": the stream ends at " + std::to_string(last) +
                   " (none of the " + count + " cursors was stored)"};
    }
  }
  sqlite3_stmt* upsert = statements_.upsert_cursor.get();
  int rc = Begin();
  for (const auto& cursor : cursors) {
    if (rc != SQLITE_DONE) break;
    rc = Bind(upsert, cursor.node, cursor.stream, SqlSeq(cursor.seq));
    if (rc == SQLITE_OK) rc = StepOnce(upsert);
  }
  return Finish(rc, "record " + count + " stream cursors (none was stored)");
}

Result<std::vector<core::Cursor>> SqliteJournal::CursorsOn(const std::string& stream) {
  std::vector<core::Cursor> cursors;
  sqlite3_stmt* query = statements_.cursors_on.get();
  ResetOnExit reset(query);
  const int rc = EachRow(query, Bind(query, stream), [&] {
    cursors.push_back(core::Cursor{ColumnBytes(query, 0), stream, ColumnSeq(query, 1)});
  });
  if (rc != SQLITE_DONE) return Failure("cannot read the cursors on stream " + stream);
  return cursors;
}

Result<std::vector<core::Acknowledgement>> SqliteJournal::AcknowledgementsOf(
    const core::MessageRef& message) {
  std::vector<core::Acknowledgement> acks;
  sqlite3_stmt* query = statements_.acks_of.get();
  ResetOnExit reset(query);
  const int rc = EachRow(query, Bind(query, message.sender, message.message_id), [&] {
    acks.push_back(core::Acknowledgement{message, ColumnBytes(query, 0),
                                         sqlite3_column_int(query, 1),
                                         sqlite3_column_int64(query, 2), ColumnBytes(query, 3)});
  });
  if (rc != SQLITE_DONE) {
    return Failure("cannot read the acknowledgements of message " + message.message_id +
                   " from " + message.sender);
  }
  return acks;
}

Result<std::vector<core::MessageRef>> SqliteJournal::RelaysOf(const core::MessageRef& message) {
  std::vector<core::MessageRef> relays;
  sqlite3_stmt* query = statements_.relays_of.get();
  ResetOnExit reset(query);
  const int rc = EachRow(query, Bind(query, message.sender, message.message_id), [&] {
    relays.push_back(core::MessageRef{ColumnBytes(query, 0), ColumnBytes(query, 1)});
  });
  if (rc != SQLITE_DONE) {
    return Failure("cannot read the relays of message " + message.message_id + " from " +
                   message.sender);
  }
  return relays;
}

// Prepared per call: it runs once, at start-up, so it need not hold a statement open.
Status SqliteJournal::ScanMessages(const std::function<void(const core::StoredMessage&)>& visit,
                                   int64_t after) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_.get(),
                         "SELECT sender, message_id, accepted_at_ms, kind, envelope FROM messages "
                         "WHERE rowid > ?1 ORDER BY rowid",
                         -1, &raw, nullptr) != SQLITE_OK)
    return Failure("cannot read the messages back");
  Statement query(raw);
  const int rc = EachRow(query.get(), sqlite3_bind_int64(query.get(), 1, after), [&] {
    core::StoredMessage m;
    m.sender = ColumnBytes(query.get(), 0);
    m.message_id = ColumnBytes(query.get(), 1);
    m.accepted_at_ms = sqlite3_column_int64(query.get(), 2);
    m.kind = ColumnBytes(query.get(), 3);
    m.envelope = ColumnBytes(query.get(), 4);
    visit(m);
  });
  if (rc != SQLITE_DONE) return Failure("cannot read the messages back");
  return Ok{};
}

Status SqliteJournal::SaveWorkflowSnapshot(const std::string& state) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_.get(),
                         "INSERT OR REPLACE INTO workflow_snapshot(id, upto, state) "
                         "VALUES (1, (SELECT COALESCE(MAX(rowid), 0) FROM messages), ?1)",
                         -1, &raw, nullptr) != SQLITE_OK)
    return Failure("cannot store the workflow snapshot");
  Statement save(raw);
  int rc = sqlite3_bind_blob64(save.get(), 1, state.data(), state.size(), SQLITE_STATIC);
  if (rc == SQLITE_OK) rc = StepOnce(save.get());  // autocommit: one durable transaction
  if (rc != SQLITE_DONE) return Failure("cannot store the workflow snapshot");
  return Ok{};
}

Result<std::optional<core::WorkflowSnapshot>> SqliteJournal::LoadWorkflowSnapshot() {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_.get(), "SELECT upto, state FROM workflow_snapshot WHERE id = 1", -1,
                         &raw, nullptr) != SQLITE_OK)
    return Failure("cannot read the workflow snapshot");
  Statement load(raw);
  std::optional<core::WorkflowSnapshot> out;
  const int rc = EachRow(load.get(), SQLITE_OK, [&] {
    out = core::WorkflowSnapshot{sqlite3_column_int64(load.get(), 0), ColumnBytes(load.get(), 1)};
  });
  if (rc != SQLITE_DONE) return Failure("cannot read the workflow snapshot");
  return out;
}

Result<uint64_t> SqliteJournal::Prune(int64_t accepted_before_ms,
                                      const std::map<std::string, uint64_t>& safe_upto) {
  uint64_t deliveries = 0;
  SeqMap floors;  // the streams' new floors, applied to floor_ after COMMIT
  std::vector<std::pair<uint64_t, int64_t>> gone;  // keys_ entries, removed after COMMIT
  int rc = Begin();
  for (const auto& [stream, upto] : safe_upto) {
    if (rc != SQLITE_DONE) break;
    rc = PruneStream(stream, upto, accepted_before_ms, floors, deliveries);
  }
  if (rc == SQLITE_DONE) rc = PruneMessages(accepted_before_ms, gone);
  if (auto done = Finish(rc, "prune what was accepted before " +
                                 std::to_string(accepted_before_ms) + " ms (nothing was pruned)");
      !done) {
    return Error{done.error()};
  }
  for (const auto& [stream, floor] : floors) floor_.insert_or_assign(stream, floor);
  for (const auto& [hash, rowid] : gone) {
    auto [first, last] = keys_.equal_range(hash);
    for (auto it = first; it != last; ++it) {
      if (it->second == rowid) {
        keys_.erase(it);
        break;
      }
    }
  }
  if (deliveries > 0 || !gone.empty()) {
    Logger()->info("journal {}: pruned {} deliveries on {} streams and {} messages", path_,
                   deliveries, floors.size(), gone.size());
  }
  return deliveries;
}

int SqliteJournal::PruneStream(const std::string& stream, uint64_t upto,
                               int64_t accepted_before_ms, SeqMap& floors, uint64_t& removed) {
  const uint64_t floor = Floor(stream);
  const uint64_t limit = std::min(upto, LastSeq(stream));
  if (limit <= floor) return SQLITE_DONE;
  // Stop before the first delivery too young to prune: the stream keeps no hole.
  uint64_t new_floor = limit;
  {
    sqlite3_stmt* young = statements_.first_young_delivery.get();
    ResetOnExit reset(young);
    int rc = Bind(young, stream, SqlSeq(floor), SqlSeq(limit), accepted_before_ms);
    if (rc == SQLITE_OK) rc = sqlite3_step(young);
    if (rc == SQLITE_ROW) {
      new_floor = ColumnSeq(young, 0) - 1;
    } else if (rc != SQLITE_DONE) {
      return rc;
    }
  }
  if (new_floor <= floor) return SQLITE_DONE;
  sqlite3_stmt* remove = statements_.delete_deliveries.get();
  int rc = Bind(remove, stream, SqlSeq(floor), SqlSeq(new_floor));
  if (rc == SQLITE_OK) rc = StepOnce(remove);
  if (rc != SQLITE_DONE) return rc;
  removed += static_cast<uint64_t>(sqlite3_changes64(db_.get()));
  sqlite3_stmt* upsert = statements_.upsert_floor.get();
  rc = Bind(upsert, stream, SqlSeq(new_floor));
  if (rc == SQLITE_OK) rc = StepOnce(upsert);
  if (rc != SQLITE_DONE) return rc;
  floors.insert_or_assign(stream, new_floor);
  return SQLITE_DONE;
}

int SqliteJournal::PruneMessages(int64_t accepted_before_ms,
                                 std::vector<std::pair<uint64_t, int64_t>>& keys_removed) {
  std::vector<core::MessageRef> gone;
  {
    sqlite3_stmt* remove = statements_.delete_old_messages.get();
    ResetOnExit reset(remove);
    const int rc = EachRow(remove, Bind(remove, accepted_before_ms), [&] {
      gone.push_back(core::MessageRef{ColumnBytes(remove, 0), ColumnBytes(remove, 1)});
      keys_removed.emplace_back(KeyHash(gone.back().sender, gone.back().message_id),
                                sqlite3_column_int64(remove, 2));
    });
    if (rc != SQLITE_DONE) return rc;
  }
  // Acknowledgements OF a deleted message go with it; those a deleted acknowledgement message
  // recorded about a message still stored stay (they are keyed by the acknowledged message).
  for (const auto& message : gone) {
    for (sqlite3_stmt* remove :
         {statements_.delete_acks_of.get(), statements_.delete_relays_of.get()}) {
      int rc = Bind(remove, message.sender, message.message_id);
      if (rc == SQLITE_OK) rc = StepOnce(remove);
      if (rc != SQLITE_DONE) return rc;
    }
  }
  return SQLITE_DONE;
}

}  // namespace renrakumo::store
