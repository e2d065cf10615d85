// SqliteJournal: opening — pragmas, schema migrations, damage checks, prepared statements.
#include <sqlite3.h>
#include <spdlog/spdlog.h>

#include <array>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

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
constexpr std::array<const char*, 5> kMigrations = {
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
)sql"};
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
    const std::string sql = std::string("BEGIN IMMEDIATE;") + kMigrations[version] +
                            "PRAGMA application_id=" + std::to_string(kApplicationId) +
                            "; PRAGMA user_version=" + next + "; COMMIT;";
    if (!Query(db, sql.c_str())) {
      Error error = Describe(path, db, "cannot create schema version " + next);
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      return error;
    }
    Logger()->info("journal {}: schema version {} created", path, next);
  }
  if (!Query(db, "PRAGMA foreign_keys=ON")) return Describe(path, db, "cannot finish the upgrade");
  return Ok{};
}

// quick_check finds damaged pages and indexes; the join finds deliveries whose message was
// deleted (foreign keys are only enforced on connections that switch them on).
Result<Ok> CheckIntegrity(sqlite3* db, const std::string& path) {
  auto check = Query(db, "PRAGMA quick_check");
  if (!check) return Describe(path, db, "cannot run its integrity check");
  if (check.value().size() != 1 || check.value()[0][0] != "ok") {
    const std::string first = check.value().empty() ? "no answer" : check.value()[0][0];
    return Error{"journal " + path + " failed its integrity check (PRAGMA quick_check): " +
                 first + ". " + kRestore};
  }
  auto orphans = Query(db,
                       "SELECT d.stream, d.seq, d.message FROM deliveries d"
                       " LEFT JOIN messages m ON m.rowid = d.message"
                       " WHERE m.rowid IS NULL LIMIT 1");
  if (!orphans) return Describe(path, db, "cannot check its deliveries");
  if (!orphans.value().empty()) {
    const auto& row = orphans.value()[0];
    return Error{"journal " + path + ": stream " + row[0] + " delivery " + row[1] +
                 " refers to message " + row[2] + ", which is missing. " + kRestore};
  }
  return Ok{};
}

// Loads each stream's floor and last seq, proving on the way that every stream holds exactly
// floor+1..max (seqs are unique, so MIN = floor+1 and COUNT = max-floor mean no gap): a gap
// would make the hub skip a delivery forever, so a damaged journal is refused.
Result<SqliteJournal::Streams> LoadStreams(sqlite3* db, const std::string& path) {
  auto floors = Query(db, "SELECT stream, floor FROM stream_floors");
  auto rows = Query(db, "SELECT stream, COUNT(*), MIN(seq), MAX(seq) FROM deliveries"
                        " GROUP BY stream");
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
      {&s.insert_message,
       "INSERT INTO messages(sender, message_id, accepted_at_ms, kind, envelope)"
       " VALUES(?1, ?2, ?3, ?4, ?5)"},
      {&s.insert_delivery, "INSERT INTO deliveries(stream, seq, message, note)"
                           " VALUES(?1, ?2, ?3, ?4)"},
      {&s.insert_relay,
       "INSERT INTO relays(original_sender, original_message_id, relay_sender, relay_message_id)"
       " VALUES(?1, ?2, ?3, ?4)"},
      {&s.upsert_ack,
       "INSERT INTO acknowledgements(message_sender, message_id, node, state, at_ms, comment)"
       " VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(message_sender, message_id, node)"
       " DO UPDATE SET state = excluded.state, at_ms = excluded.at_ms,"
       " comment = excluded.comment WHERE excluded.state > acknowledgements.state"},
      {&s.message_by_rowid, "SELECT sender, message_id, accepted_at_ms, kind, envelope"
                            " FROM messages WHERE rowid = ?1"},
      {&s.find_positions, "SELECT stream, seq FROM deliveries WHERE message = ?1"
                          " ORDER BY stream, seq"},
      {&s.read, "SELECT d.seq, m.sender, m.accepted_at_ms, m.kind, m.envelope, d.note"
                " FROM deliveries d JOIN messages m ON m.rowid = d.message"
                " WHERE d.stream = ?1 AND d.seq > ?2 ORDER BY d.seq LIMIT ?3"},
      {&s.upsert_cursor, "INSERT INTO cursors(node, stream, seq) VALUES(?1, ?2, ?3)"
                         " ON CONFLICT(node, stream) DO UPDATE SET seq = excluded.seq"
                         " WHERE excluded.seq > cursors.seq"},
      {&s.cursors_on, "SELECT node, seq FROM cursors WHERE stream = ?1 ORDER BY node"},
      {&s.acks_of, "SELECT node, state, at_ms, comment FROM acknowledgements"
                   " WHERE message_sender = ?1 AND message_id = ?2 ORDER BY node"},
      {&s.relays_of, "SELECT relay_sender, relay_message_id FROM relays"
                     " WHERE original_sender = ?1 AND original_message_id = ?2"
                     " ORDER BY relay_sender, relay_message_id"},
      // Walks the stream from the floor in seq order and stops at the first young message.
      {&s.first_young_delivery,
       "SELECT d.seq FROM deliveries d JOIN messages m ON m.rowid = d.message"
       " WHERE d.stream = ?1 AND d.seq > ?2 AND d.seq <= ?3 AND m.accepted_at_ms >= ?4"
       " ORDER BY d.seq LIMIT 1"},
      {&s.delete_deliveries, "DELETE FROM deliveries WHERE stream = ?1 AND seq > ?2"
                             " AND seq <= ?3"},
      {&s.upsert_floor, "INSERT INTO stream_floors(stream, floor) VALUES(?1, ?2)"
                        " ON CONFLICT(stream) DO UPDATE SET floor = excluded.floor"
                        " WHERE excluded.floor > stream_floors.floor"},
      {&s.delete_old_messages,
       "DELETE FROM messages WHERE accepted_at_ms < ?1"
       " AND NOT EXISTS(SELECT 1 FROM deliveries d WHERE d.message = messages.rowid)"
       " RETURNING sender, message_id, rowid"},
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

// Reads every stored message's key into the in-memory index, refusing a journal in which a
// key is stored twice (only possible if the file was edited behind the hub's back).
Result<SqliteJournal::KeyIndex> LoadKeys(sqlite3* db, const std::string& path) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT rowid, sender, message_id FROM messages", -1, &raw,
                         nullptr) != SQLITE_OK)
    return Describe(path, db, "cannot read its message ids");
  SqliteJournal::Statement rows(raw);
  SqliteJournal::KeyIndex keys;
  struct Key {
    std::string sender, message_id;
  };
  std::unordered_map<int64_t, Key> colliding;  // rows whose hash another row has too
  int rc;
  while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
    const int64_t rowid = sqlite3_column_int64(raw, 0);
    std::string sender = detail::ColumnBytes(raw, 1), message_id = detail::ColumnBytes(raw, 2);
    const uint64_t hash = SqliteJournal::KeyHash(sender, message_id);
    if (keys.count(hash) != 0) {
      // Rare (equal 64-bit hashes): compare with the earlier rows of that hash, read again.
      auto [first, last] = keys.equal_range(hash);
      for (auto it = first; it != last; ++it) {
        if (!colliding.count(it->second)) {
          auto earlier = Query(db, ("SELECT sender, message_id FROM messages WHERE rowid = " +
                                    std::to_string(it->second)).c_str());
          if (!earlier || earlier.value().empty()) return Describe(path, db, "cannot read its message ids");
          colliding[it->second] = Key{earlier.value()[0][0], earlier.value()[0][1]};
        }
        const Key& other = colliding[it->second];
        if (other.sender == sender && other.message_id == message_id) {
          return Error{"journal " + path + ": message " + message_id + " from " + sender +
                       " is stored twice (rows " + std::to_string(it->second) + " and " +
                       std::to_string(rowid) + "). " + kRestore};
        }
      }
      colliding[rowid] = Key{sender, message_id};
    }
    keys.emplace(hash, rowid);
  }
  if (rc != SQLITE_DONE) return Describe(path, db, "cannot read its message ids");
  return keys;
}

}  // namespace

Result<core::JournalPtr> OpenSqliteJournal(const std::string& path, const JournalOptions& options) {
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
  auto keys = LoadKeys(raw, path);
  if (!keys) return Error{keys.error()};
  auto statements = Prepare(raw, path);
  if (!statements) return Error{statements.error()};
  auto page_size = Query(raw, "PRAGMA page_size");
  if (!page_size || page_size.value().empty()) return Describe(path, raw, "cannot read its page size");
  auto checkpointer = Checkpointer::Start(path, std::stoi(page_size.value()[0][0]), options.checkpoint);
  if (!checkpointer) return Error{checkpointer.error()};
  Logger()->info("journal {} open: schema version {}, {} messages, {} streams ({} pruned)", path,
                 kSchemaVersion, keys->size(), streams->last_seq.size(), streams->floor.size());
  return core::JournalPtr(std::make_unique<SqliteJournal>(
      path, std::move(*db), std::move(*statements), std::move(*streams), std::move(*keys),
      std::move(*checkpointer)));
}

void SqliteJournal::CloseDb::operator()(sqlite3* db) const { sqlite3_close(db); }
void SqliteJournal::FinalizeStatement::operator()(sqlite3_stmt* statement) const {
  sqlite3_finalize(statement);
}

}  // namespace renrakumo::store
