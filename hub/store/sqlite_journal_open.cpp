// SqliteJournal: opening — pragmas, schema migrations, damage checks, prepared statements.
#include <sqlite3.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "store/sqlite_batches.h"
#include "store/sqlite_checkpointer.h"
#include "store/sqlite_journal.h"
#include "store/sqlite_support.h"

namespace renrakumo::store {
namespace {

using detail::Advice;
using detail::Describe;
using detail::kRestore;
using detail::Logger;
using Rows = std::vector<std::vector<std::string>>;

// "RKMO": marks the file as a renrakumo journal, so that we never add our tables to, or
// accept, some other program's SQLite database.
constexpr int32_t kApplicationId = 0x524B4D4F;
// Another process (a backup, an operator's sqlite3 shell) may hold a lock for a moment.
constexpr int kBusyTimeoutMs = 5000;
// Page size of a new journal (an existing one keeps its own; see docs/performance.md). A
// 1.6 KB message touches few pages either way, but SQLite writes each WAL frame with two
// pwrite calls and does per-page work in the pager: 16 KiB pages cut the journal's CPU per
// message by a quarter against 4 KiB (measured: 6.6 -> 4.9 us).
constexpr int kNewPageSize = 16384;

// Schema version N+1 is made by kMigrations[N], in one transaction with user_version = N+1.
// Append a step for each new table; never edit a shipped step (journals in the field ran it).
// Incidents and deadlines need no tables: the hub rebuilds them by replaying the messages.
constexpr std::array<const char*, 7> kMigrations = {
    // Version 1: messages and their numbered deliveries.
    R"sql(
CREATE TABLE messages(
  rowid INTEGER PRIMARY KEY,
  sender TEXT NOT NULL,
  message_id TEXT NOT NULL,
  accepted_at_ms INTEGER NOT NULL,
  kind TEXT NOT NULL,
  envelope BLOB NOT NULL,
  UNIQUE(sender, message_id));
-- seq >= 1 makes "COUNT(*) = MAX(seq)" at open prove that a stream is exactly 1..max.
CREATE TABLE deliveries(
  stream TEXT NOT NULL,
  seq INTEGER NOT NULL CHECK(seq >= 1),
  message INTEGER NOT NULL REFERENCES messages(rowid),
  note TEXT NOT NULL DEFAULT '',
  PRIMARY KEY(stream, seq)) WITHOUT ROWID;
CREATE INDEX deliveries_by_message ON deliveries(message);
)sql",
    // Version 2: acknowledgements, relays, stream cursors, retention.
    R"sql(
-- A node's human-level answer to a message (received, read, acted on), the highest state kept.
-- Keyed by the acknowledged message, not the acknowledgement's own message: it outlives that.
CREATE TABLE acknowledgements(
  message_sender TEXT NOT NULL,
  message_id TEXT NOT NULL,
  node TEXT NOT NULL,
  state INTEGER NOT NULL,
  at_ms INTEGER NOT NULL,
  comment TEXT NOT NULL DEFAULT '',
  PRIMARY KEY(message_sender, message_id, node)) WITHOUT ROWID;
-- Which message (the relay) passes on which (the original); a message relays at most one.
-- Every WITHOUT ROWID table lists its key columns first: SQLite 3.40 (Debian 12's) integrity
-- check reports "NULL value in" the columns before the key otherwise, and the hub would refuse
-- to open a sound journal.
CREATE TABLE relays(
  relay_sender TEXT NOT NULL,
  relay_message_id TEXT NOT NULL,
  original_sender TEXT NOT NULL,
  original_message_id TEXT NOT NULL,
  PRIMARY KEY(relay_sender, relay_message_id)) WITHOUT ROWID;
CREATE INDEX relays_by_original ON relays(original_sender, original_message_id);
-- "node has processed stream up to seq"; only ever raised.
CREATE TABLE cursors(
  node TEXT NOT NULL,
  stream TEXT NOT NULL,
  seq INTEGER NOT NULL CHECK(seq >= 0),
  PRIMARY KEY(node, stream)) WITHOUT ROWID;
CREATE INDEX cursors_by_stream ON cursors(stream);
-- The highest seq retention removed from a stream (absent: 0). A stream holds exactly
-- floor+1..max, which the open-time check proves as MIN(seq) = floor+1, COUNT(*) = max-floor.
CREATE TABLE stream_floors(
  stream TEXT PRIMARY KEY,
  floor INTEGER NOT NULL CHECK(floor >= 1)) WITHOUT ROWID;
-- Retention finds old messages without reading every envelope.
CREATE INDEX messages_by_time ON messages(accepted_at_ms);
)sql",
    // Version 3: the tamper-evident audit trail. Each entry's hash covers the previous hash
    // and its own fields (store/sqlite_audit.cpp), so an edit anywhere breaks the chain.
    R"sql(
CREATE TABLE audit(
  seq INTEGER PRIMARY KEY,
  at_ms INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  subject TEXT NOT NULL,
  detail TEXT NOT NULL,
  prev_hash BLOB NOT NULL,
  hash BLOB NOT NULL);
)sql",
    // Version 4: messages without UNIQUE(sender, message_id). Clients choose random ids, so
    // that index took one random page write per message per transaction, and again at each
    // checkpoint; the journal now keeps the keys in memory (SqliteJournal::keys_). SQLite
    // cannot drop a table constraint: the table is rebuilt under the same rowids (deliveries
    // refer to them), with foreign keys off for the step (Migrate).
    R"sql(
CREATE TABLE messages_v4(
  rowid INTEGER PRIMARY KEY,
  sender TEXT NOT NULL,
  message_id TEXT NOT NULL,
  accepted_at_ms INTEGER NOT NULL,
  kind TEXT NOT NULL,
  envelope BLOB NOT NULL);
INSERT INTO messages_v4(rowid, sender, message_id, accepted_at_ms, kind, envelope)
  SELECT rowid, sender, message_id, accepted_at_ms, kind, envelope FROM messages ORDER BY rowid;
DROP TABLE messages;
ALTER TABLE messages_v4 RENAME TO messages;
CREATE INDEX messages_by_time ON messages(accepted_at_ms);
)sql",
    // Version 5: the workflow's state, saved before each prune (Journal::SaveWorkflowSnapshot),
    // so that what retention deletes is never needed to rebuild it. One row: the latest.
    R"sql(
CREATE TABLE workflow_snapshot(
  id INTEGER PRIMARY KEY CHECK(id = 1),
  upto INTEGER NOT NULL,
  state BLOB NOT NULL);
)sql",
    // Version 6: a row per journal transaction instead of a row per message and per delivery
    // (sqlite_journal.h; the directory is a v1::JournalBatch). Migrate() then converts the
    // messages and deliveries rows (ConvertRowsToBatches) and drops those tables, in the same
    // transaction.
    R"sql(
CREATE TABLE batches(
  first_position INTEGER PRIMARY KEY,
  oldest_ms INTEGER NOT NULL,
  directory BLOB NOT NULL,
  envelopes BLOB NOT NULL);
-- Retention finds batches holding old messages without reading a directory.
CREATE INDEX batches_by_age ON batches(oldest_ms);
-- The batch's deliveries to `stream` are exactly first_seq..last_seq.
CREATE TABLE stream_runs(
  stream TEXT NOT NULL,
  last_seq INTEGER NOT NULL,
  first_seq INTEGER NOT NULL CHECK(first_seq >= 1 AND first_seq <= last_seq),
  batch INTEGER NOT NULL REFERENCES batches(first_position),
  PRIMARY KEY(stream, last_seq)) WITHOUT ROWID;
CREATE INDEX stream_runs_by_batch ON stream_runs(batch);
)sql",
    // Version 7: journals whose messages live in a log beside the file (LogJournal,
    // docs/journal-log.md). A row here makes the file such a journal's SQLite side: its
    // batches and stream_runs stay empty, and the acknowledgements, relays and audit entries
    // are copied from the log's records up to materialized_upto. cutoff_ms is the highest
    // retention cutoff applied, from which the log's pruned messages are known again at open.
    R"sql(
CREATE TABLE log_state(
  id INTEGER PRIMARY KEY CHECK(id = 1),
  materialized_upto INTEGER NOT NULL,
  cutoff_ms INTEGER NOT NULL);
)sql"};
// Version 6's second half, after the rows were converted.
constexpr const char* kDropRowTables = "DROP TABLE deliveries; DROP TABLE messages;";
constexpr int kSchemaVersion = static_cast<int>(kMigrations.size());

// Open-time queries, whose rows are few, as text.
Result<Rows> Query(sqlite3* db, const char* sql) {
  Rows rows;
  auto collect = [](void* out, int columns, char** values, char**) {
    auto& row = static_cast<Rows*>(out)->emplace_back();
    for (int i = 0; i < columns; ++i) row.emplace_back(values[i] ? values[i] : "");
    return 0;
  };
  if (sqlite3_exec(db, sql, collect, &rows, nullptr) != SQLITE_OK) return Error{""};
  return rows;
}

Result<SqliteJournal::Db> OpenFile(const std::string& path) {
  sqlite3* raw = nullptr;
  // NOMUTEX: one thread owns the journal. EXRESCODE: extended codes name the I/O failure.
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
                    SQLITE_OPEN_EXRESCODE;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  SqliteJournal::Db db(raw);  // SQLite allocates a handle even when open fails
  if (rc != SQLITE_OK) return Describe(path, raw, "cannot open the file");
  if (sqlite3_db_readonly(raw, "main") == 1) {
    return Error{"journal " + path + ": SQLite opened it read-only. " + Advice(SQLITE_READONLY)};
  }
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  return db;
}

struct Header {
  int version = 0;
  bool empty = false;  // a new file: nothing written yet
};

// Reads the header (the first read: a file that is not SQLite fails here) and returns the
// schema version, refusing newer schemas and other programs' databases before writing anything.
Result<Header> CheckHeader(sqlite3* db, const std::string& path) {
  auto rows = Query(db,
                    "SELECT (SELECT user_version FROM pragma_user_version),"
                    " (SELECT application_id FROM pragma_application_id),"
                    " (SELECT COUNT(*) FROM sqlite_schema)");
  if (!rows) return Describe(path, db, "cannot read the file");
  const int version = std::stoi(rows.value()[0][0]);
  const int32_t app_id = static_cast<int32_t>(std::stol(rows.value()[0][1]));
  const bool empty = version == 0 && app_id == 0 && rows.value()[0][2] == "0";
  if (version > kSchemaVersion) {
    return Error{"journal " + path + " has schema version " + std::to_string(version) +
                 ", but this hub knows versions up to " + std::to_string(kSchemaVersion) +
                 ": it was written by a newer renrakumo. Run that version, or restore a backup "
                 "made by this one (see docs/operations.md)"};
  }
  if (!empty && app_id != kApplicationId) {
    return Error{"journal " + path + " is an SQLite database but not a renrakumo journal. "
                 "Check the journal path in hub.yaml"};
  }
  return Header{version, empty};
}

// WAL: readers never block the writer, and a commit appends to one file.
// synchronous=FULL, not NORMAL: in WAL mode FULL fdatasyncs the WAL at every COMMIT; NORMAL
// syncs only at checkpoints, so a commit sits in the page cache until the next one and a power
// cut undoes it (the file stays consistent, but messages already acknowledged are gone, which
// breaks "nothing accepted is lost"). Measured (Debian 12 VM, ext4, 1 KiB, 1 delivery each):
// strace counts 1021 fdatasync for 1000 one-commit batches under FULL, 20 under NORMAL. At 1
// commit per batch FULL ran 0.26k-7k commits/s (one fdatasync each; it followed the disk's
// load), NORMAL ~25k; at 500 per batch both ran 91k-102k/s. Group commit makes the sync nearly
// free, so under load durability costs nothing.
// The hub then calls DeferSyncs(): its connection switches to NORMAL and the WAL is synced by
// a thread of its own (wal_syncer.h) before anything committed is answered, which keeps FULL's
// guarantee for everything a client was told while the loop goes on deciding the next batch.
// A journal opened by anything else (tools, tests) stays FULL.
Result<Ok> Configure(sqlite3* db, const std::string& path, bool empty) {
  // Only before the first write: switching to WAL writes the header, which fixes the size.
  const std::string page_size = "PRAGMA page_size=" + std::to_string(kNewPageSize);
  if (empty && !Query(db, page_size.c_str())) return Describe(path, db, "cannot set the page size");
  auto mode = Query(db, "PRAGMA journal_mode=WAL");
  if (!mode) return Describe(path, db, "cannot switch to WAL mode");
  if (mode.value().empty() || mode.value()[0][0] != "wal") {
    return Error{"journal " + path + ": SQLite refused WAL mode (the filesystem may not support "
                 "shared memory, e.g. a network share). Put the journal on a local disk"};
  }
  if (!Query(db, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON")) {
    return Describe(path, db, "cannot set the durability pragmas");
  }
  return Ok{};
}

// Each step in its own transaction: an upgrade interrupted between steps resumes at the next.
// Foreign keys are off meanwhile (a step may rebuild a referenced table; the pragma cannot
// change inside a transaction); CheckIntegrity then finds any delivery left without its message.
Result<Ok> Migrate(sqlite3* db, const std::string& path, int from_version) {
  if (from_version == kSchemaVersion) return Ok{};
  if (!Query(db, "PRAGMA foreign_keys=OFF")) return Describe(path, db, "cannot prepare the upgrade");
  for (int version = from_version; version < kSchemaVersion; ++version) {
    const std::string next = std::to_string(version + 1);
    const std::string create = std::string("BEGIN IMMEDIATE;") + kMigrations[version];
    const std::string finish = "PRAGMA application_id=" + std::to_string(kApplicationId) +
                               "; PRAGMA user_version=" + next + "; COMMIT;";
    Result<Ok> step = Ok{};
    if (!Query(db, create.c_str())) step = Describe(path, db, "cannot create schema version " + next);
    if (step && version + 1 == 6) {
      step = detail::ConvertRowsToBatches(db, path);
      if (step && !Query(db, kDropRowTables))
        step = Describe(path, db, "cannot drop the rows schema version 6 replaced");
    }
    if (step && !Query(db, finish.c_str())) step = Describe(path, db, "cannot create schema version " + next);
    if (!step) {
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      return Error{step.error()};
    }
    Logger()->info("journal {}: schema version {} created", path, next);
  }
  if (!Query(db, "PRAGMA foreign_keys=ON")) return Describe(path, db, "cannot finish the upgrade");
  return Ok{};
}

// quick_check finds damaged pages and indexes; the join finds runs whose batch was deleted
// (foreign keys are only enforced on connections that switch them on).
Result<Ok> CheckIntegrity(sqlite3* db, const std::string& path) {
  auto check = Query(db, "PRAGMA quick_check");
  if (!check) return Describe(path, db, "cannot run its integrity check");
  if (check.value().size() != 1 || check.value()[0][0] != "ok") {
    const std::string first = check.value().empty() ? "no answer" : check.value()[0][0];
    return Error{"journal " + path + " failed its integrity check (PRAGMA quick_check): " +
                 first + ". " + kRestore};
  }
  auto orphans = Query(db,
                       "SELECT r.stream, r.first_seq, r.last_seq, r.batch FROM stream_runs r"
                       " LEFT JOIN batches b ON b.first_position = r.batch"
                       " WHERE b.first_position IS NULL LIMIT 1");
  if (!orphans) return Describe(path, db, "cannot check its deliveries");
  if (!orphans.value().empty()) {
    const auto& row = orphans.value()[0];
    return Error{"journal " + path + ": stream " + row[0] + " deliveries " + row[1] + ".." +
                 row[2] + " refer to batch " + row[3] + ", which is missing. " + kRestore};
  }
  return Ok{};
}

// Loads each stream's floor and last seq, proving on the way that every stream holds exactly
// floor+1..max (runs do not overlap -- LoadBatches checks each against its directory -- so
// MIN = floor+1 and a total of max-floor mean no gap): a gap would make the hub skip a
// delivery forever, so a damaged journal is refused.
Result<SqliteJournal::Streams> LoadStreams(sqlite3* db, const std::string& path) {
  auto floors = Query(db, "SELECT stream, floor FROM stream_floors");
  auto rows = Query(db, "SELECT stream, SUM(last_seq - first_seq + 1), MIN(first_seq),"
                        " MAX(last_seq) FROM stream_runs GROUP BY stream");
  if (!floors || !rows) return Describe(path, db, "cannot read its streams");
  SqliteJournal::Streams streams;
  for (const auto& row : floors.value()) {
    const uint64_t floor = std::stoull(row[1]);
    streams.floor.emplace(row[0], floor);
    streams.last_seq.emplace(row[0], floor);  // a stream pruned to its end
  }
  for (const auto& row : rows.value()) {
    const std::string& stream = row[0];
    const uint64_t count = std::stoull(row[1]), first = std::stoull(row[2]),
                   last = std::stoull(row[3]);
    const auto it = streams.floor.find(stream);
    const uint64_t floor = it == streams.floor.end() ? 0 : it->second;
    const std::string from = std::to_string(floor + 1);
    if (first != floor + 1) {
      const std::string kept =
          floor == 0 ? "it was never pruned, so its first sequence must be 1"
                     : "it was pruned up to " + std::to_string(floor) +
                           ", so its first sequence must be " + from;
      return Error{"journal " + path + ": stream " + stream + " starts at sequence " + row[2] +
                   ", but " + kept + ": " +
                   (first > floor + 1 ? "a delivery is missing" : "its pruning floor is wrong") +
                   ". " + kRestore};
    }
    if (count != last - floor) {
      return Error{"journal " + path + ": stream " + stream + " has " + row[1] +
                   " deliveries but its sequences run from " + from + " to " + row[3] +
                   ": a delivery is missing. " + kRestore};
    }
    streams.last_seq.insert_or_assign(stream, last);
  }
  return streams;
}

Result<SqliteJournal::Statements> Prepare(sqlite3* db, const std::string& path) {
  SqliteJournal::Statements s;
  const std::pair<SqliteJournal::Statement*, const char*> table[] = {
      {&s.begin, "BEGIN IMMEDIATE"},
      {&s.commit, "COMMIT"},
      {&s.rollback, "ROLLBACK"},
      {&s.insert_batch,
       "INSERT INTO batches(first_position, oldest_ms, directory, envelopes)"
       " VALUES(?1, ?2, ?3, ?4)"},
      {&s.insert_run, "INSERT INTO stream_runs(stream, last_seq, first_seq, batch)"
                      " VALUES(?1, ?2, ?3, ?4)"},
      {&s.insert_relay,
       "INSERT INTO relays(original_sender, original_message_id, relay_sender, relay_message_id)"
       " VALUES(?1, ?2, ?3, ?4)"},
      {&s.upsert_ack,
       "INSERT INTO acknowledgements(message_sender, message_id, node, state, at_ms, comment)"
       " VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(message_sender, message_id, node)"
       " DO UPDATE SET state = excluded.state, at_ms = excluded.at_ms,"
       " comment = excluded.comment WHERE excluded.state > acknowledgements.state"},
      {&s.batch_holding, "SELECT first_position, directory FROM batches"
                         " WHERE first_position <= ?1 ORDER BY first_position DESC LIMIT 1"},
      {&s.batch_directory, "SELECT directory FROM batches WHERE first_position = ?1"},
      {&s.runs_after, "SELECT batch, first_seq, last_seq FROM stream_runs"
                      " WHERE stream = ?1 AND last_seq > ?2 ORDER BY last_seq"},
      {&s.upsert_cursor, "INSERT INTO cursors(node, stream, seq) VALUES(?1, ?2, ?3)"
                         " ON CONFLICT(node, stream) DO UPDATE SET seq = excluded.seq"
                         " WHERE excluded.seq > cursors.seq"},
      {&s.cursors_on, "SELECT node, seq FROM cursors WHERE stream = ?1 ORDER BY node"},
      {&s.acks_of, "SELECT node, state, at_ms, comment FROM acknowledgements"
                   " WHERE message_sender = ?1 AND message_id = ?2 ORDER BY node"},
      {&s.relays_of, "SELECT relay_sender, relay_message_id FROM relays"
                     " WHERE original_sender = ?1 AND original_message_id = ?2"
                     " ORDER BY relay_sender, relay_message_id"},
      // The runs of a stream that hold seqs in (?2, ?3], in seq order.
      {&s.runs_upto, "SELECT batch FROM stream_runs WHERE stream = ?1 AND last_seq > ?2"
                     " AND first_seq <= ?3 ORDER BY last_seq"},
      {&s.delete_runs, "DELETE FROM stream_runs WHERE stream = ?1 AND last_seq <= ?2"},
      {&s.trim_run, "UPDATE stream_runs SET first_seq = ?2 + 1"
                    " WHERE stream = ?1 AND first_seq <= ?2 AND last_seq > ?2"},
      {&s.upsert_floor, "INSERT INTO stream_floors(stream, floor) VALUES(?1, ?2)"
                        " ON CONFLICT(stream) DO UPDATE SET floor = excluded.floor"
                        " WHERE excluded.floor > stream_floors.floor"},
      {&s.old_batches, "SELECT first_position FROM batches WHERE oldest_ms < ?1"},
      {&s.batch_envelopes, "SELECT envelopes FROM batches WHERE first_position = ?1"},
      {&s.rewrite_batch, "UPDATE batches SET oldest_ms = ?2, directory = ?3, envelopes = ?4"
                         " WHERE first_position = ?1"},
      {&s.delete_batch, "DELETE FROM batches WHERE first_position = ?1"},
      {&s.delete_acks_of, "DELETE FROM acknowledgements"
                          " WHERE message_sender = ?1 AND message_id = ?2"},
      {&s.delete_relays_of,
       "DELETE FROM relays WHERE (relay_sender = ?1 AND relay_message_id = ?2)"
       " OR (original_sender = ?1 AND original_message_id = ?2)"},
  };
  for (const auto& [slot, sql] : table) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr) != SQLITE_OK) {
      return Describe(path, db, std::string("cannot prepare \"") + sql + "\"");
    }
    slot->reset(raw);
  }
  return s;
}

struct Batches {
  SqliteJournal::KeyIndex keys;
  int64_t next_position = 1;
};

// One pass over every batch's directory: reads each stored message's key into the in-memory
// index, finds the next position, and checks the directories against the stream runs (each
// run is exactly its batch's deliveries to that stream, and every delivery above the floor is
// in a run). Refuses a journal in which a key is stored twice or the two disagree (only
// possible if the file was edited behind the hub's back).
Result<Batches> LoadBatches(sqlite3* db, const std::string& path,
                            const SqliteJournal::Streams& streams) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT first_position, directory FROM batches ORDER BY first_position",
                         -1, &raw, nullptr) != SQLITE_OK)
    return Describe(path, db, "cannot read its message ids");
  SqliteJournal::Statement rows(raw);
  // A batch's runs, compared with its directory one batch at a time: memory for one batch,
  // not for every run (a journal upgraded from per-message rows has a run per delivery).
  sqlite3_stmt* runs_raw = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT stream, first_seq, last_seq FROM stream_runs WHERE batch = ?1",
                         -1, &runs_raw, nullptr) != SQLITE_OK)
    return Describe(path, db, "cannot read its streams");
  SqliteJournal::Statement runs_of(runs_raw);
  struct Span {
    uint64_t first = 0, last = 0, count = 0;
  };
  std::unordered_map<std::string, Span> runs, seen;  // stream -> span, of the current batch
  Batches out;
  struct Key {
    std::string sender, message_id;
  };
  std::unordered_map<int64_t, Key> colliding;  // positions whose hash another message has too
  // Rare (equal 64-bit hashes): the earlier message's key, read again from its batch.
  auto key_at = [&](int64_t position) -> std::optional<Key> {
    if (auto it = colliding.find(position); it != colliding.end()) return it->second;
    sqlite3_stmt* dir = nullptr;
    if (sqlite3_prepare_v2(db,
                           "SELECT first_position, directory FROM batches"
                           " WHERE first_position <= ?1 ORDER BY first_position DESC LIMIT 1",
                           -1, &dir, nullptr) != SQLITE_OK)
      return std::nullopt;
    SqliteJournal::Statement owned(dir);
    v1::JournalBatch earlier;
    if (sqlite3_bind_int64(dir, 1, position) != SQLITE_OK || sqlite3_step(dir) != SQLITE_ROW ||
        !detail::ParseDirectory(dir, 1, earlier))
      return std::nullopt;
    const int64_t first = sqlite3_column_int64(dir, 0);
    for (const auto& entry : earlier.entries()) {
      if (first + entry.index() == position)
        return colliding[position] = Key{entry.sender(), entry.message_id()};
    }
    return std::nullopt;
  };
  auto damaged = [&](const std::string& what) {
    return Error{"journal " + path + ": " + what + ". " + kRestore};
  };
  int rc;
  v1::JournalBatch directory;
  while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
    const int64_t first_position = sqlite3_column_int64(raw, 0);
    const std::string batch = "batch " + std::to_string(first_position);
    if (!detail::ParseDirectory(raw, 1, directory)) return damaged(batch + "'s directory cannot be read");
    for (const auto& entry : directory.entries()) {
      const int64_t position = first_position + entry.index();
      out.next_position = std::max(out.next_position, position + 1);
      const uint64_t hash = SqliteJournal::KeyHash(entry.sender(), entry.message_id());
      for (const int64_t earlier : out.keys.Positions(hash)) {
        const auto key = key_at(earlier);
        if (!key) return Describe(path, db, "cannot read its message ids");
        if (key->sender == entry.sender() && key->message_id == entry.message_id()) {
          return damaged("message " + entry.message_id() + " from " + entry.sender() +
                         " is stored twice (positions " + std::to_string(earlier) + " and " +
                         std::to_string(position) + ")");
        }
        colliding[position] = Key{entry.sender(), entry.message_id()};
      }
      out.keys.Insert(hash, position);
      for (const auto& delivery : entry.deliveries()) {
        const auto floor = streams.floor.find(delivery.stream());
        if (floor != streams.floor.end() && delivery.seq() <= floor->second) continue;
        Span& span = seen[delivery.stream()];
        if (span.count == 0 || delivery.seq() < span.first) span.first = delivery.seq();
        span.last = std::max(span.last, delivery.seq());
        ++span.count;
      }
    }
    // This batch's runs must be exactly the spans of its directory's deliveries. (Runs whose
    // batch is missing were refused by CheckIntegrity.)
    runs.clear();
    {
      sqlite3_stmt* r = runs_of.get();
      detail::ResetOnExit reset(r);
      const int run_rc = detail::EachRow(r, sqlite3_bind_int64(r, 1, first_position), [&] {
        const uint64_t first = detail::ColumnSeq(r, 1), last = detail::ColumnSeq(r, 2);
        runs[detail::ColumnBytes(r, 0)] = Span{first, last, last - first + 1};
      });
      if (run_rc != SQLITE_DONE) return Describe(path, db, "cannot read its streams");
    }
    for (const auto& [stream, span] : seen) {
      const auto run = runs.find(stream);
      const std::string where = "stream " + stream + " in " + batch;
      if (run == runs.end()) return damaged(where + " has deliveries that no stream run lists");
      if (run->second.first != span.first || run->second.last != span.last ||
          span.count != span.last - span.first + 1) {
        return damaged(where + ": the run says " + std::to_string(run->second.first) + ".." +
                       std::to_string(run->second.last) + ", the directory holds " +
                       std::to_string(span.count) + " deliveries in " +
                       std::to_string(span.first) + ".." + std::to_string(span.last));
      }
    }
    for (const auto& [stream, span] : runs) {
      if (!seen.count(stream)) {
        return damaged("stream " + stream + " deliveries " + std::to_string(span.first) + ".." +
                       std::to_string(span.last) + " are not in " + batch + "'s directory");
      }
    }
    seen.clear();
  }
  if (rc != SQLITE_DONE) return Describe(path, db, "cannot read its message ids");
  return out;
}

}  // namespace

Result<std::unique_ptr<SqliteJournal>> OpenSqliteFile(const std::string& path,
                                                      const JournalOptions& options) {
  auto db = OpenFile(path);
  if (!db) return Error{db.error()};
  sqlite3* raw = db->get();
  auto header = CheckHeader(raw, path);
  if (!header) return Error{header.error()};
  if (auto s = Configure(raw, path, header->empty); !s) return Error{s.error()};
  if (auto s = Migrate(raw, path, header->version); !s) return Error{s.error()};
  if (auto s = CheckIntegrity(raw, path); !s) return Error{s.error()};
  auto streams = LoadStreams(raw, path);
  if (!streams) return Error{streams.error()};
  auto batches = LoadBatches(raw, path, *streams);
  if (!batches) return Error{batches.error()};
  // Positions only grow: a workflow snapshot taken before retention emptied the journal still
  // covers everything up to its `upto`, and the next message must come after it.
  auto upto = Query(raw, "SELECT COALESCE(MAX(upto), 0) FROM workflow_snapshot");
  if (!upto || upto.value().empty()) return Describe(path, raw, "cannot read the workflow snapshot");
  streams->next_position = std::max<int64_t>(batches->next_position, std::stoll(upto.value()[0][0]) + 1);
  auto statements = Prepare(raw, path);
  if (!statements) return Error{statements.error()};
  auto page_size = Query(raw, "PRAGMA page_size");
  if (!page_size || page_size.value().empty()) return Describe(path, raw, "cannot read its page size");
  auto checkpointer = Checkpointer::Start(path, std::stoi(page_size.value()[0][0]), options.checkpoint);
  if (!checkpointer) return Error{checkpointer.error()};
  auto log_state = Query(raw, "SELECT materialized_upto, cutoff_ms FROM log_state WHERE id = 1");
  if (!log_state) return Describe(path, raw, "cannot read its log state");
  const bool log_side = !log_state.value().empty();
  if (log_side && batches->keys.size() > 0)
    return Error{"journal " + path + " keeps its messages in its log, yet holds batches: the " +
                 "file was changed behind the hub's back. " + kRestore};
  if (!log_side) {
    Logger()->info("journal {} open: schema version {}, {} messages, {} streams ({} pruned)",
                   path, kSchemaVersion, batches->keys.size(), streams->last_seq.size(),
                   streams->floor.size());
  }
  auto journal = std::make_unique<SqliteJournal>(
      path, std::move(*db), std::move(*statements), std::move(*streams), std::move(batches->keys),
      std::move(*checkpointer));
  if (log_side) {
    journal->log_state_ = SqliteJournal::LogState{std::stoll(log_state.value()[0][0]),
                                                  std::stoll(log_state.value()[0][1])};
  }
  return journal;
}

Result<core::JournalPtr> OpenSqliteJournal(const std::string& path, const JournalOptions& options) {
  auto journal = OpenSqliteFile(path, options);
  if (!journal) return Error{journal.error()};
  if ((*journal)->log_state())
    return Error{"journal " + path + " keeps its messages in " + path + ".log (the log engine): " +
                 "it is opened through OpenJournal, not as an SQLite-only journal"};
  return core::JournalPtr(std::move(*journal));
}

void SqliteJournal::CloseDb::operator()(sqlite3* db) const { sqlite3_close(db); }
void SqliteJournal::FinalizeStatement::operator()(sqlite3_stmt* statement) const {
  sqlite3_finalize(statement);
}

}  // namespace renrakumo::store
