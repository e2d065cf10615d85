// SqliteJournal: stream cursors, acknowledgements, relays, and retention (Prune).
#include <sqlite3.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>
#include <utility>

#include "store/sqlite_batches.h"
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
  return StoreCursors(cursors, [this](const std::string& stream) { return LastSeq(stream); });
}

Status SqliteJournal::StoreCursors(std::span<const core::Cursor> cursors,
                                   const std::function<uint64_t(const std::string&)>& last_seq) {
  if (cursors.empty()) return Ok{};
  const std::string count = std::to_string(cursors.size());
  for (const auto& cursor : cursors) {
    const uint64_t last = last_seq(cursor.stream);
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
                         "SELECT first_position, directory, envelopes FROM batches"
                         " WHERE first_position >= (SELECT COALESCE(MAX(first_position), 0)"
                         " FROM batches WHERE first_position <= ?1) ORDER BY first_position",
                         -1, &raw, nullptr) != SQLITE_OK)
    return Failure("cannot read the messages back");
  Statement query(raw);
  v1::JournalBatch directory;
  bool parsed = true;
  const int rc = EachRow(query.get(), sqlite3_bind_int64(query.get(), 1, after), [&] {
    if (!parsed) return;
    const int64_t first = sqlite3_column_int64(raw, 0);
    if (!detail::ParseDirectory(raw, 1, directory)) {
      parsed = false;
      return;
    }
    const auto* bytes = static_cast<const char*>(sqlite3_column_blob(raw, 2));
    const auto size = static_cast<uint64_t>(sqlite3_column_bytes(raw, 2));
    for (const auto& entry : directory.entries()) {
      if (first + entry.index() <= after) continue;
      if (!detail::EnvelopeWithin(entry, size)) {
        parsed = false;
        return;
      }
      core::StoredMessage m;
      m.sender = entry.sender();
      m.message_id = entry.message_id();
      m.accepted_at_ms = entry.accepted_at_ms();
      m.kind = entry.kind();
      m.envelope.assign(bytes + entry.envelope_offset(), entry.envelope_size());
      visit(m);
    }
  });
  if (rc != SQLITE_DONE) return Failure("cannot read the messages back");
  if (!parsed) {
    return Error{"journal " + path_ + ": a batch's directory or envelopes cannot be read. " +
                 detail::kRestore};
  }
  return Ok{};
}

Status SqliteJournal::SaveWorkflowSnapshot(const std::string& state) {
  return SaveWorkflowSnapshotAt(state, next_position_ - 1);
}

Status SqliteJournal::SaveWorkflowSnapshotAt(const std::string& state, int64_t upto) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_.get(),
                         "INSERT OR REPLACE INTO workflow_snapshot(id, upto, state) "
                         "VALUES (1, ?1, ?2)",
                         -1, &raw, nullptr) != SQLITE_OK)
    return Failure("cannot store the workflow snapshot");
  Statement save(raw);
  int rc = sqlite3_bind_int64(save.get(), 1, upto);
  if (rc == SQLITE_OK) rc = sqlite3_bind_blob64(save.get(), 2, state.data(), state.size(), SQLITE_STATIC);
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
  SeqMap floors;               // the streams' new floors, applied to floor_ after COMMIT
  std::set<int64_t> touched;   // batches holding a delivery at or below a new floor
  std::vector<std::pair<uint64_t, int64_t>> gone;  // keys_ entries, removed after COMMIT
  int rc = Begin();
  for (const auto& [stream, upto] : safe_upto) {
    if (rc != SQLITE_DONE) break;
    rc = PruneStream(stream, upto, accepted_before_ms, floors, touched, deliveries);
  }
  if (rc == SQLITE_DONE) rc = PruneBatches(accepted_before_ms, floors, touched, gone);
  if (auto done = Finish(rc, "prune what was accepted before " +
                                 std::to_string(accepted_before_ms) + " ms (nothing was pruned)");
      !done) {
    return Error{done.error()};
  }
  for (const auto& [stream, floor] : floors) floor_.insert_or_assign(stream, floor);
  for (const auto& [hash, position] : gone) keys_.Erase(hash, position);
  if (deliveries > 0 || !gone.empty()) {
    Logger()->info("journal {}: pruned {} deliveries on {} streams and {} messages", path_,
                   deliveries, floors.size(), gone.size());
  }
  return deliveries;
}

int SqliteJournal::PruneStream(const std::string& stream, uint64_t upto,
                               int64_t accepted_before_ms, SeqMap& floors,
                               std::set<int64_t>& touched, uint64_t& removed) {
  const uint64_t floor = Floor(stream);
  const uint64_t limit = std::min(upto, LastSeq(stream));
  if (limit <= floor) return SQLITE_DONE;
  // Walk the stream from the floor in seq order and stop before the first delivery too young
  // to prune: the stream keeps no hole.
  std::vector<int64_t> batches;
  {
    sqlite3_stmt* runs = statements_.runs_upto.get();
    ResetOnExit reset(runs);
    const int rc = EachRow(runs, Bind(runs, stream, SqlSeq(floor), SqlSeq(limit)),
                           [&] { batches.push_back(sqlite3_column_int64(runs, 0)); });
    if (rc != SQLITE_DONE) return rc;
  }
  uint64_t new_floor = floor;
  bool young = false;
  for (const int64_t batch : batches) {
    auto directory = Directory(batch);
    if (!directory) {
      Logger()->error("{}", directory.error());
      return SQLITE_CORRUPT;
    }
    bool holds = false;
    for (const auto& entry : directory->entries()) {
      for (const auto& delivery : entry.deliveries()) {
        if (delivery.stream() != stream || delivery.seq() <= new_floor || delivery.seq() > limit)
          continue;
        if (entry.accepted_at_ms() >= accepted_before_ms) {
          young = true;
          break;
        }
        new_floor = delivery.seq();
        holds = true;
      }
      if (young) break;
    }
    if (holds) touched.insert(batch);
    if (young) break;
  }
  if (new_floor <= floor) return SQLITE_DONE;
  int rc = SQLITE_DONE;
  for (sqlite3_stmt* change : {statements_.delete_runs.get(), statements_.trim_run.get(),
                               statements_.upsert_floor.get()}) {
    rc = Bind(change, stream, SqlSeq(new_floor));
    if (rc == SQLITE_OK) rc = StepOnce(change);
    if (rc != SQLITE_DONE) return rc;
  }
  removed += new_floor - floor;
  floors.insert_or_assign(stream, new_floor);
  return SQLITE_DONE;
}

int SqliteJournal::PruneBatches(int64_t accepted_before_ms, const SeqMap& floors,
                                const std::set<int64_t>& touched,
                                std::vector<std::pair<uint64_t, int64_t>>& keys_removed) {
  // Every batch that may change: those a stream was pruned in, and those holding a message
  // accepted before the cutoff (it may have no delivery left, or never have had one).
  std::set<int64_t> batches = touched;
  {
    sqlite3_stmt* old = statements_.old_batches.get();
    ResetOnExit reset(old);
    const int rc = EachRow(old, Bind(old, accepted_before_ms),
                           [&] { batches.insert(sqlite3_column_int64(old, 0)); });
    if (rc != SQLITE_DONE) return rc;
  }
  auto floor_of = [&](const std::string& stream) {
    const auto it = floors.find(stream);
    return it != floors.end() ? it->second : Floor(stream);
  };
  std::vector<core::MessageRef> gone;
  for (const int64_t batch : batches) {
    auto directory = Directory(batch);
    if (!directory) {
      Logger()->error("{}", directory.error());
      return SQLITE_CORRUPT;
    }
    v1::JournalBatch kept;
    bool changed = false;
    for (const auto& entry : directory->entries()) {
      v1::JournalEntry copy = entry;
      copy.clear_deliveries();
      for (const auto& delivery : entry.deliveries()) {
        if (delivery.seq() > floor_of(delivery.stream())) *copy.add_deliveries() = delivery;
      }
      changed = changed || copy.deliveries_size() != entry.deliveries_size();
      if (copy.deliveries_size() == 0 && entry.accepted_at_ms() < accepted_before_ms) {
        gone.push_back(core::MessageRef{entry.sender(), entry.message_id()});
        keys_removed.emplace_back(KeyHash(entry.sender(), entry.message_id()),
                                  batch + entry.index());
        changed = true;
        continue;
      }
      *kept.add_entries() = std::move(copy);
    }
    if (!changed) continue;
    if (kept.entries_size() == 0) {
      sqlite3_stmt* remove = statements_.delete_batch.get();
      int rc = Bind(remove, batch);
      if (rc == SQLITE_OK) rc = StepOnce(remove);
      if (rc != SQLITE_DONE) return rc;
      continue;
    }
    // Rewrite the batch with only the envelopes still needed.
    std::string envelopes;
    {
      sqlite3_stmt* read = statements_.batch_envelopes.get();
      ResetOnExit reset(read);
      int rc = Bind(read, batch);
      if (rc == SQLITE_OK) rc = sqlite3_step(read);
      if (rc != SQLITE_ROW) return rc == SQLITE_DONE ? SQLITE_CORRUPT : rc;
      const auto* bytes = static_cast<const char*>(sqlite3_column_blob(read, 0));
      const auto size = static_cast<uint64_t>(sqlite3_column_bytes(read, 0));
      for (auto& entry : *kept.mutable_entries()) {
        if (!detail::EnvelopeWithin(entry, size)) return SQLITE_CORRUPT;
        const uint64_t offset = envelopes.size();
        envelopes.append(bytes + entry.envelope_offset(), entry.envelope_size());
        entry.set_envelope_offset(offset);
      }
    }
    int64_t oldest = kept.entries(0).accepted_at_ms();
    for (const auto& entry : kept.entries()) oldest = std::min(oldest, entry.accepted_at_ms());
    const std::string directory_bytes = kept.SerializeAsString();
    sqlite3_stmt* rewrite = statements_.rewrite_batch.get();
    int rc = Bind(rewrite, batch, oldest, detail::Blob{directory_bytes}, detail::Blob{envelopes});
    if (rc == SQLITE_OK) rc = StepOnce(rewrite);
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
