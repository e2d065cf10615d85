// SqliteJournal: the hot path — Append in one transaction per batch, Find for dedup, Read for
// replay — and the transaction helpers the other operations share.
#include "store/sqlite_journal.h"

#include <sqlite3.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <tuple>
#include <utility>

#include "store/sqlite_batches.h"
#include "store/sqlite_checkpointer.h"
#include "store/sqlite_support.h"
#include "store/wal_syncer.h"

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

SqliteJournal::SqliteJournal(std::string path, Db db, Statements statements, Streams streams,
                             KeyIndex keys, std::unique_ptr<Checkpointer> checkpointer)
    : path_(std::move(path)),
      db_(std::move(db)),
      statements_(std::move(statements)),
      last_seq_(std::move(streams.last_seq)),
      floor_(std::move(streams.floor)),
      keys_(std::move(keys)),
      next_position_(streams.next_position),
      checkpointer_(std::move(checkpointer)) {
  packed_ = std::make_unique<PackedBatch>();
  sqlite3_wal_autocheckpoint(db_.get(), 0);  // the checkpointer's thread does it instead
  sqlite3_wal_hook(db_.get(), &SqliteJournal::OnWalCommit, this);
}

SqliteJournal::~SqliteJournal() {
  // Whatever was committed but not yet synced is made durable before the journal closes.
  if (syncer_ && !syncer_->failure() && syncer_->durable() < written()) {
    syncer_->Request(written());
    (void)syncer_->Wait(written());
  }
  // The hook points at this journal and its checkpointer, which is stopped before db_ closes.
  sqlite3_wal_hook(db_.get(), nullptr, nullptr);
}

int SqliteJournal::OnWalCommit(void* self, sqlite3*, const char*, int wal_pages) {
  auto* journal = static_cast<SqliteJournal*>(self);
  journal->written_.fetch_add(1, std::memory_order_release);
  journal->checkpointer_->NoteCommit(wal_pages);
  return SQLITE_OK;
}

bool SqliteJournal::DeferSyncs() {
  if (syncer_) return true;
  const char* wal = sqlite3_filename_wal(sqlite3_db_filename(db_.get(), "main"));
  if (wal == nullptr || *wal == '\0') {
    Logger()->warn("journal {}: SQLite names no WAL file; every commit syncs the disk itself",
                   path_);
    return false;
  }
  auto syncer = WalSyncer::Start(wal);
  if (!syncer) {
    Logger()->warn("{}; every commit syncs the disk itself instead", syncer.error());
    return false;
  }
  // Everything committed so far was synced by its own COMMIT (the connection opened FULL).
  if (sqlite3_exec(db_.get(), "PRAGMA synchronous=NORMAL", nullptr, nullptr, nullptr) != SQLITE_OK) {
    Logger()->warn("{}; every commit syncs the disk itself instead",
                   Failure("cannot defer WAL syncs").message);
    return false;
  }
  durable_before_deferral_ = written();
  syncer_ = std::move(*syncer);
  return true;
}

uint64_t SqliteJournal::durable() const {
  if (!syncer_) return written();
  return std::max(durable_before_deferral_, syncer_->durable());
}

void SqliteJournal::StartSync() {
  if (syncer_) syncer_->Request(written());
}

int SqliteJournal::sync_fd() const { return syncer_ ? syncer_->notify_fd() : -1; }

std::optional<std::string> SqliteJournal::sync_failure() const {
  if (!syncer_) return std::nullopt;
  auto failed = syncer_->failure();
  if (failed) return "journal " + path_ + ": " + *failed;
  return std::nullopt;
}

// FNV-1a over sender, a separator byte no text contains (0xff is not UTF-8), and message_id,
// then a final avalanche so that the map's buckets see every bit.
uint64_t SqliteJournal::KeyHash(std::string_view sender, std::string_view message_id) {
  uint64_t h = 0xcbf29ce484222325ULL;
  auto add = [&h](unsigned char byte) { h = (h ^ byte) * 0x100000001b3ULL; };
  for (const char c : sender) add(static_cast<unsigned char>(c));
  add(0xff);
  for (const char c : message_id) add(static_cast<unsigned char>(c));
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return h;
}

Result<std::vector<std::vector<Position>>> SqliteJournal::Append(
    std::span<const core::Commit> batch, std::span<const core::AuditEntry> audit) {
  std::vector<std::vector<Position>> positions;
  if (batch.empty() && audit.empty()) return positions;
  auto of_batch = [&] {
    return " (nothing of the batch of " + std::to_string(batch.size()) + " messages was stored)";
  };
  std::vector<uint64_t> hashes;
  hashes.reserve(batch.size());
  for (const auto& commit : batch) hashes.push_back(KeyHash(commit.sender, commit.message_id));
  if (auto duplicate = RefuseDuplicateKeys(
          batch, hashes, keys_,
          [this](std::string_view sender, std::string_view id) { return Lookup(sender, id); },
          path_, of_batch))
    return *duplicate;
  if (Begin() != SQLITE_DONE) return Failure("cannot start a transaction" + of_batch());
  // The batch's sequence numbers live in `pending`, and its keys in `hashes`, until COMMIT
  // succeeds: a failed batch leaves last_seq_, keys_ and next_position_ as they were, so
  // nothing of it is visible and no number is skipped.
  SeqMap pending;
  PackedBatch& packed = *packed_;
  packed.Clear();
  size_t envelope_bytes = 0;
  for (const auto& commit : batch) envelope_bytes += commit.envelope.size();
  packed.envelopes.reserve(envelope_bytes);
  positions.reserve(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    const auto& commit = batch[i];
    if (WriteCommit(commit, static_cast<uint32_t>(i), pending, packed, positions.emplace_back()) !=
        SQLITE_DONE) {
      Error error = Failure("cannot store message " + commit.message_id + " from " +
                            commit.sender + of_batch());
      Rollback();
      return error;
    }
  }
  if (!batch.empty() && WriteBatch(next_position_, packed) != SQLITE_DONE) {
    Error error = Failure("cannot store the batch of " + std::to_string(batch.size()) +
                          " messages" + of_batch());
    Rollback();
    return error;
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
  for (size_t i = 0; i < batch.size(); ++i)
    keys_.Insert(hashes[i], next_position_ + static_cast<int64_t>(i));
  next_position_ += static_cast<int64_t>(batch.size());
  return positions;
}

int SqliteJournal::WriteCommit(const core::Commit& commit, uint32_t index, SeqMap& pending,
                               PackedBatch& packed, std::vector<Position>& positions) {
  v1::JournalEntry& entry = *packed.directory.add_entries();
  entry.set_index(index);
  entry.set_sender(commit.sender);
  entry.set_message_id(commit.message_id);
  entry.set_accepted_at_ms(commit.accepted_at_ms);
  entry.set_kind(commit.kind);
  entry.set_envelope_offset(packed.envelopes.size());
  entry.set_envelope_size(commit.envelope.size());
  packed.envelopes.append(commit.envelope);
  for (const auto& warning : commit.warnings) entry.add_warnings(warning);
  if (index == 0 || commit.accepted_at_ms < packed.oldest_ms) packed.oldest_ms = commit.accepted_at_ms;
  positions.reserve(commit.deliveries.size());
  for (const auto& planned : commit.deliveries) {
    uint64_t& last = pending.try_emplace(planned.stream, LastSeq(planned.stream)).first->second;
    const uint64_t seq = ++last;
    v1::JournalDelivery& delivery = *entry.add_deliveries();
    delivery.set_stream(planned.stream);
    delivery.set_seq(seq);
    delivery.set_note(planned.note);
    auto [run, added] = packed.runs.try_emplace(planned.stream, seq, seq);
    if (!added) run->second.second = seq;
    positions.push_back(Position{planned.stream, seq});
  }
  int rc = SQLITE_DONE;
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

int SqliteJournal::WriteBatch(int64_t first_position, const PackedBatch& packed) {
  if (!packed.directory.SerializeToString(&directory_buffer_)) return SQLITE_MISUSE;
  sqlite3_stmt* insert = statements_.insert_batch.get();
  int rc = Bind(insert, first_position, packed.oldest_ms, Blob{directory_buffer_},
                Blob{packed.envelopes});
  if (rc == SQLITE_OK) rc = StepOnce(insert);
  if (rc != SQLITE_DONE) return rc;
  sqlite3_stmt* run = statements_.insert_run.get();
  for (const auto& [stream, seqs] : packed.runs) {
    rc = Bind(run, stream, SqlSeq(seqs.second), SqlSeq(seqs.first), first_position);
    if (rc == SQLITE_OK) rc = StepOnce(run);
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
  auto found = Lookup(sender, message_id);
  if (!found) {
    Logger()->error("{}", found.error());
    return std::nullopt;
  }
  return std::move(found).value();
}

Result<v1::JournalBatch> SqliteJournal::Directory(int64_t first_position) {
  sqlite3_stmt* query = statements_.batch_directory.get();
  ResetOnExit reset(query);
  int rc = Bind(query, first_position);
  if (rc == SQLITE_OK) rc = sqlite3_step(query);
  const std::string batch = "batch " + std::to_string(first_position);
  if (rc == SQLITE_DONE) {
    return Error{"journal " + path_ + ": " + batch + " is no longer in the file, which was " +
                 "changed behind the hub's back. " + detail::kRestore};
  }
  if (rc != SQLITE_ROW) return Failure("cannot read " + batch);
  v1::JournalBatch directory;
  if (!detail::ParseDirectory(query, 0, directory)) {
    return Error{"journal " + path_ + ": " + batch + "'s directory cannot be read. " +
                 detail::kRestore};
  }
  return directory;
}

Error SqliteJournal::EnvelopeError(int rc, int64_t batch, const v1::JournalEntry& entry) const {
  const std::string what = "the envelope of message " + entry.message_id() + " from " +
                           entry.sender() + " (batch " + std::to_string(batch) + ")";
  if (rc == SQLITE_CORRUPT) {
    return Error{"journal " + path_ + ": " + what + " lies outside the bytes stored for its " +
                 "batch: the file was changed behind the hub's back. " + detail::kRestore};
  }
  return Failure("cannot read " + what);
}

Result<std::optional<std::pair<int64_t, v1::JournalEntry>>> SqliteJournal::EntryAt(
    int64_t position) {
  using Found = std::optional<std::pair<int64_t, v1::JournalEntry>>;
  sqlite3_stmt* query = statements_.batch_holding.get();
  ResetOnExit reset(query);
  int rc = Bind(query, position);
  if (rc == SQLITE_OK) rc = sqlite3_step(query);
  if (rc == SQLITE_DONE) return Found();
  if (rc != SQLITE_ROW) return Failure("cannot read the message at position " + std::to_string(position));
  const int64_t first = sqlite3_column_int64(query, 0);
  v1::JournalBatch directory;
  if (!detail::ParseDirectory(query, 1, directory)) {
    return Error{"journal " + path_ + ": batch " + std::to_string(first) +
                 "'s directory cannot be read. " + detail::kRestore};
  }
  // Entries are in index order; retention removes some, never renumbers the rest.
  const auto& entries = directory.entries();
  const auto it = std::lower_bound(
      entries.begin(), entries.end(), position - first,
      [](const v1::JournalEntry& e, int64_t index) { return int64_t{e.index()} < index; });
  if (it == entries.end() || first + it->index() != position) return Found();
  return Found(std::make_pair(first, *it));
}

Result<std::optional<core::StoredMessage>> SqliteJournal::Lookup(std::string_view sender,
                                                                 std::string_view message_id) {
  for (const int64_t position : keys_.Positions(KeyHash(sender, message_id))) {
    const std::string what = "message " + std::string(message_id) + " from " +
                             std::string(sender) + " (position " + std::to_string(position) + ")";
    auto found = EntryAt(position);
    if (!found) return Error{found.error()};
    if (!found.value()) {  // keys_ lists only committed messages: someone else deleted it
      return Error{"journal " + path_ + ": " + what + " is no longer in the file, which was " +
                   "changed behind the hub's back. " + detail::kRestore};
    }
    const auto& [batch, entry] = *found.value();
    if (entry.sender() != sender || entry.message_id() != message_id) continue;
    core::StoredMessage stored{entry.sender(), entry.message_id(), entry.accepted_at_ms(),
                               entry.kind(), {}, {}, {entry.warnings().begin(),
                                                      entry.warnings().end()}};
    detail::EnvelopeReader envelopes(db_.get());
    if (const int rc = envelopes.Read(batch, entry, stored.envelope); rc != SQLITE_OK)
      return EnvelopeError(rc, batch, entry);
    stored.deliveries = detail::LiveDeliveries(
        entry, [this](const std::string& stream) { return Floor(stream); });
    return std::optional<core::StoredMessage>(std::move(stored));
  }
  return std::optional<core::StoredMessage>();
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
  const uint64_t wanted = std::min<uint64_t>(max_count, last - from);
  deliveries.reserve(wanted);
  auto failed = [&] {
    return Failure("cannot read stream " + stream + " after sequence " + std::to_string(after_seq));
  };
  // The runs after `from`, in seq order; each batch's deliveries to the stream are consecutive.
  std::vector<int64_t> batches;
  {
    sqlite3_stmt* runs = statements_.runs_after.get();
    ResetOnExit reset(runs);
    int rc = Bind(runs, stream, SqlSeq(from));
    uint64_t covered = 0;  // stop once the runs cover what is wanted
    while (rc == SQLITE_OK || rc == SQLITE_ROW) {
      if ((rc = sqlite3_step(runs)) != SQLITE_ROW) break;
      batches.push_back(sqlite3_column_int64(runs, 0));
      const uint64_t first = std::max(ColumnSeq(runs, 1), from + 1);
      covered += ColumnSeq(runs, 2) + 1 - std::min(first, ColumnSeq(runs, 2) + 1);
      if (covered >= wanted) break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return failed();
  }
  detail::EnvelopeReader envelopes(db_.get());
  for (const int64_t batch : batches) {
    auto directory = Directory(batch);
    if (!directory) return Error{directory.error()};
    for (const auto& entry : directory->entries()) {
      for (const auto& delivery : entry.deliveries()) {
        if (delivery.seq() <= from || delivery.stream() != stream) continue;
        core::StoredDelivery& out = deliveries.emplace_back();
        out.stream = stream;
        out.seq = delivery.seq();
        out.sender = entry.sender();
        out.accepted_at_ms = entry.accepted_at_ms();
        out.kind = entry.kind();
        out.note = delivery.note();
        if (const int rc = envelopes.Read(batch, entry, out.envelope); rc != SQLITE_OK)
          return EnvelopeError(rc, batch, entry);
        if (deliveries.size() == wanted) return deliveries;
      }
    }
  }
  // The runs end before `last`: the stream lost deliveries behind the hub's back.
  if (deliveries.size() < wanted || (!deliveries.empty() && deliveries.front().seq != from + 1)) {
    return Error{"journal " + path_ + ": stream " + stream + " is missing deliveries after " +
                 std::to_string(from) + ". " + detail::kRestore};
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
