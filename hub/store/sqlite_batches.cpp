// The packed rows of schema version 6: reading envelopes back, and the upgrade from rows.
#include "store/sqlite_batches.h"

#include <sqlite3.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <tuple>


#include "store/sqlite_journal.h"
#include "store/sqlite_support.h"

namespace renrakumo::store::detail {

std::vector<core::Position> LiveDeliveries(
    const v1::JournalEntry& entry, const std::function<uint64_t(const std::string&)>& floor) {
  std::vector<core::Position> out;
  for (const auto& delivery : entry.deliveries())
    if (delivery.seq() > floor(delivery.stream()))
      out.push_back(core::Position{delivery.stream(), delivery.seq()});
  std::sort(out.begin(), out.end(), [](const core::Position& a, const core::Position& b) {
    return std::tie(a.stream, a.seq) < std::tie(b.stream, b.seq);
  });
  return out;
}

bool ParseDirectory(sqlite3_stmt* statement, int column, v1::JournalBatch& out) {
  const void* data = sqlite3_column_blob(statement, column);
  const int size = sqlite3_column_bytes(statement, column);
  return out.ParseFromArray(data, size);
}

EnvelopeReader::~EnvelopeReader() {
  if (blob_ != nullptr) sqlite3_blob_close(blob_);
}

int EnvelopeReader::Read(int64_t first_position, const v1::JournalEntry& entry, std::string& out) {
  int rc = SQLITE_OK;
  if (blob_ == nullptr) {
    rc = sqlite3_blob_open(db_, "main", "batches", "envelopes", first_position, 0, &blob_);
    if (rc != SQLITE_OK) {
      sqlite3_blob_close(blob_);  // SQLite may hand back a handle even on failure
      blob_ = nullptr;
      return rc;
    }
  } else if (row_ != first_position) {
    rc = sqlite3_blob_reopen(blob_, first_position);
    if (rc != SQLITE_OK) {
      sqlite3_blob_close(blob_);  // an aborted handle cannot be moved again
      blob_ = nullptr;
      return rc;
    }
  }
  row_ = first_position;
  const uint64_t stored = static_cast<uint64_t>(sqlite3_blob_bytes(blob_));
  if (!EnvelopeWithin(entry, stored)) return SQLITE_CORRUPT;
  out.resize(entry.envelope_size());
  if (out.empty()) return SQLITE_OK;
  return sqlite3_blob_read(blob_, out.data(), static_cast<int>(out.size()),
                           static_cast<int>(entry.envelope_offset()));
}

namespace {

SqliteJournal::Statement Prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* raw = nullptr;
  sqlite3_prepare_v2(db, sql, -1, &raw, nullptr);
  return SqliteJournal::Statement(raw);
}

}  // namespace

Result<Ok> ConvertRowsToBatches(sqlite3* db, const std::string& path) {
  auto messages = Prepare(db,
                          "SELECT rowid, sender, message_id, accepted_at_ms, kind, envelope"
                          " FROM messages ORDER BY rowid");
  auto deliveries = Prepare(db,
                            "SELECT stream, seq, note FROM deliveries WHERE message = ?1"
                            " ORDER BY stream, seq");
  auto batch = Prepare(db,
                       "INSERT INTO batches(first_position, oldest_ms, directory, envelopes)"
                       " VALUES(?1, ?2, ?3, ?4)");
  auto run = Prepare(db,
                     "INSERT INTO stream_runs(stream, last_seq, first_seq, batch)"
                     " VALUES(?1, ?2, ?2, ?3)");
  auto count = Prepare(db, "SELECT COUNT(*) FROM messages");
  if (!messages || !deliveries || !batch || !run || !count)
    return Describe(path, db, "cannot prepare the conversion to schema version 6");
  const int64_t total =
      sqlite3_step(count.get()) == SQLITE_ROW ? sqlite3_column_int64(count.get(), 0) : 0;
  if (total > 0) {
    Logger()->info("journal {}: packing {} messages into schema version 6's batches", path,
                   total);
  }
  int64_t done = 0;
  int rc;
  std::string directory;
  while ((rc = sqlite3_step(messages.get())) == SQLITE_ROW) {
    sqlite3_stmt* m = messages.get();
    const int64_t rowid = sqlite3_column_int64(m, 0);
    v1::JournalBatch packed;
    v1::JournalEntry& entry = *packed.add_entries();
    entry.set_index(0);
    entry.set_sender(ColumnBytes(m, 1));
    entry.set_message_id(ColumnBytes(m, 2));
    entry.set_accepted_at_ms(sqlite3_column_int64(m, 3));
    entry.set_kind(ColumnBytes(m, 4));
    entry.set_envelope_offset(0);
    entry.set_envelope_size(static_cast<uint64_t>(sqlite3_column_bytes(m, 5)));
    {
      sqlite3_stmt* d = deliveries.get();
      ResetOnExit reset(d);
      rc = EachRow(d, sqlite3_bind_int64(d, 1, rowid), [&] {
        v1::JournalDelivery& delivery = *entry.add_deliveries();
        delivery.set_stream(ColumnBytes(d, 0));
        delivery.set_seq(ColumnSeq(d, 1));
        delivery.set_note(ColumnBytes(d, 2));
      });
      if (rc != SQLITE_DONE) break;
    }
    packed.SerializeToString(&directory);
    const std::string envelope = ColumnBytes(m, 5);
    rc = Bind(batch.get(), rowid, entry.accepted_at_ms(), Blob{directory}, Blob{envelope});
    if (rc == SQLITE_OK) rc = StepOnce(batch.get());
    if (rc != SQLITE_DONE) break;
    for (const auto& delivery : entry.deliveries()) {
      rc = Bind(run.get(), delivery.stream(), SqlSeq(delivery.seq()), rowid);
      if (rc == SQLITE_OK) rc = StepOnce(run.get());
      if (rc != SQLITE_DONE) break;
    }
    if (rc != SQLITE_DONE) break;
    if (++done % 100000 == 0) {
      Logger()->info("journal {}: packed {} of {} messages", path, done, total);
    }
  }
  if (rc != SQLITE_DONE) {
    return Describe(path, db, "cannot convert message " + std::to_string(done + 1) + " of " +
                                  std::to_string(total) + " to schema version 6");
  }
  return Ok{};
}

}  // namespace renrakumo::store::detail
