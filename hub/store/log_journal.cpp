// The log-structured journal (see log_journal.h) and OpenJournal, which picks the store.
#include "store/log_journal.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <tuple>

#include "store/sqlite_batches.h"
#include "store/sqlite_support.h"
#include "store/wal_syncer.h"

namespace renrakumo::store {

using core::Position;
using detail::Logger;

namespace {

// Pending rows are copied into SQLite once this many records hold some (or at close, or
// before retention): one transaction per this many batches instead of one per batch.
constexpr size_t kMaterializeRecords = 64;

std::string LogDir(const std::string& path) { return path + ".log"; }

}  // namespace

Result<core::JournalPtr> OpenJournal(const std::string& path, const JournalOptions& options) {
  auto sql = OpenSqliteFile(path, options);
  if (!sql) return Error{sql.error()};
  std::error_code ec;
  const bool log_exists = std::filesystem::exists(LogDir(path), ec);
  if (!(*sql)->log_state()) {
    if (options.engine == JournalEngine::kLog) {
      if (auto became = (*sql)->BecomeLogSide(); !became) {
        Logger()->warn("{}", became.error());
        return core::JournalPtr(std::move(*sql));
      }
    } else if (log_exists) {
      return Error{"journal " + path + " is an SQLite-only journal, but a log " + LogDir(path) +
                   " lies beside it: the SQLite file may have been replaced. Move the log away "
                   "to keep this file, or restore both from one backup (see docs/operations.md)"};
    } else {
      return core::JournalPtr(std::move(*sql));
    }
  }
  auto log = LogJournal::Open(std::move(*sql), path, options);
  if (!log) return Error{log.error()};
  return core::JournalPtr(std::move(*log));
}

LogJournal::LogJournal(std::string path, std::unique_ptr<SqliteJournal> sql)
    : path_(std::move(path)), sql_(std::move(sql)) {}

Error LogJournal::Damaged(const std::string& what) const {
  return Error{"journal " + path_ + ": " + what + ". " + detail::kRestore};
}

Result<std::unique_ptr<LogJournal>> LogJournal::Open(std::unique_ptr<SqliteJournal> sql,
                                                     const std::string& path,
                                                     const JournalOptions& options) {
  std::unique_ptr<LogJournal> journal(new LogJournal(path, std::move(sql)));
  LogJournal& j = *journal;
  const auto materialized = static_cast<uint64_t>(j.sql_->log_state()->materialized_upto);
  v1::JournalRecord head;
  // A large log takes a while to read: say how far it is, every million messages.
  int64_t messages_read = 0;
  auto visit = [&](const RecordRef& ref, std::string_view bytes) -> Status {
    if (!head.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
      return j.Damaged("record " + std::to_string(ref.record) + "'s head cannot be read");
    if (auto indexed = j.Index(ref, head); !indexed) return indexed;
    const int64_t before = messages_read;
    messages_read += head.directory().entries_size();
    if (messages_read / 1000000 != before / 1000000)
      Logger()->info("journal {}: {} messages of the log read (segment {})", path, messages_read,
                     ref.segment);
    if (ref.record > materialized) {
      Pending pending{ref.record, ref.segment, {}};
      for (const auto& a : head.acks())
        pending.rows.acks.push_back(core::Acknowledgement{{a.message_sender(), a.message_id()},
                                                          a.node(), a.state(), a.at_ms(),
                                                          a.comment()});
      for (const auto& r : head.relays())
        pending.rows.relays.emplace_back(core::MessageRef{r.relay_sender(), r.relay_message_id()},
                                         core::MessageRef{r.original_sender(),
                                                          r.original_message_id()});
      for (const auto& e : head.audit())
        pending.rows.audit.push_back(
            core::AuditEntry{e.at_ms(), e.actor(), e.action(), e.subject(), e.detail()});
      j.pending_.push_back(std::move(pending));
    }
    return Ok{};
  };
  SegmentLogOpened opened;
  SegmentLogOptions log_options;
  log_options.segment_bytes = options.log_segment_bytes;
  log_options.verify_bodies = options.log_verify_bodies;
  auto log = SegmentLog::Open(LogDir(path), log_options, visit, &opened);
  if (!log) return Error{log.error()};
  j.log_ = std::move(*log);
  // Everything the file shows is made durable before SQLite copies any of it: a record the
  // page cache held when the process stopped must not end up only in SQLite after a power cut.
  if (auto synced = j.log_->Sync(); !synced) return Error{synced.error()};
  j.durable_record_ = j.log_->next_record() - 1;
  if (materialized > j.durable_record_)
    return j.Damaged("SQLite has copied the log up to record " + std::to_string(materialized) +
                     ", but the log ends at record " + std::to_string(j.durable_record_));
  // Two messages with one 64-bit hash: told apart now that the log can be read; one key
  // stored twice is refused.
  for (const auto& [earlier, later] : j.open_collisions_) {
    std::pair<std::string, std::string> keys[2];
    for (int k = 0; k < 2; ++k) {
      const int64_t position = k == 0 ? earlier : later;
      Record* record = j.RecordAt(position);
      if (record == nullptr) return j.Damaged("position " + std::to_string(position) + " is in no record");
      auto read = j.Head(*record);
      if (!read) return Error{read.error()};
      const auto& entry =
          (*read)->directory().entries(static_cast<int>(position - record->first_position));
      keys[k] = {entry.sender(), entry.message_id()};
    }
    if (keys[0] == keys[1])
      return j.Damaged("message " + keys[0].second + " from " + keys[0].first +
                       " is stored twice (positions " + std::to_string(earlier) + " and " +
                       std::to_string(later) + ")");
  }
  j.open_collisions_.clear();
  j.open_collisions_.shrink_to_fit();
  // Rows of records not yet copied that name a message retention has removed since (the
  // records were not durable when it ran) are dropped, as that prune dropped them in SQLite.
  std::optional<Error> unreadable;
  auto stored = [&j, &unreadable](const core::MessageRef& m) {
    auto found = j.Lookup(m.sender, m.message_id);
    if (!found) {
      if (!unreadable) unreadable = Error{found.error()};
      return true;  // kept; the open fails below
    }
    return found.value().has_value();
  };
  for (auto& pending : j.pending_) {
    auto& acks = pending.rows.acks;
    acks.erase(std::remove_if(acks.begin(), acks.end(),
                              [&](const core::Acknowledgement& a) { return !stored(a.message); }),
               acks.end());
    auto& relays = pending.rows.relays;
    relays.erase(std::remove_if(relays.begin(), relays.end(),
                                [&](const auto& r) { return !stored(r.first) || !stored(r.second); }),
                 relays.end());
  }
  if (unreadable) return *unreadable;
  for (const auto& [stream, floor] : j.sql_->floors()) {
    uint64_t& last = j.last_seq_[stream];
    last = std::max(last, floor);
  }
  for (const auto& [stream, runs] : j.runs_) {
    const uint64_t floor = j.Floor(stream);
    if (!runs.empty() && runs.front().first != floor + 1)
      return j.Damaged("stream " + stream + " continues at sequence " +
                       std::to_string(runs.front().first) + " after its floor " +
                       std::to_string(floor) + ": a delivery is missing");
  }
  auto snapshot = j.sql_->LoadWorkflowSnapshot();
  if (!snapshot) return Error{snapshot.error()};
  if (*snapshot) j.next_position_ = std::max(j.next_position_, (*snapshot)->upto + 1);
  if (auto copied = j.Materialize(true); !copied) return Error{copied.error()};
  Logger()->info(
      "journal {} open (log engine): {} messages in {} records, {} streams ({} pruned), log {} "
      "bytes{}",
      path, j.keys_.size(), j.log_->next_record() - 1, j.last_seq_.size(), j.sql_->floors().size(),
      j.log_->bytes(),
      opened.bytes_cut > 0 ? ", torn tail of " + std::to_string(opened.bytes_cut) + " bytes cut"
                           : std::string());
  return journal;
}

Status LogJournal::Index(const RecordRef& ref, const v1::JournalRecord& head) {
  const auto& entries = head.directory().entries();
  const int64_t first = head.first_position();
  if (!entries.empty() && first < next_position_)
    return Damaged("record " + std::to_string(ref.record) + " starts at position " +
                   std::to_string(first) + ", before the end of the one before it");
  if (entries.empty()) return Ok{};
  Record record;
  record.ref = ref;
  record.first_position = first;
  record.count = static_cast<uint32_t>(entries.size());
  record.oldest_ms = entries[0].accepted_at_ms();
  for (int i = 0; i < entries.size(); ++i) {
    const auto& entry = entries[i];
    if (entry.index() != static_cast<uint32_t>(i))
      return Damaged("record " + std::to_string(ref.record) + "'s entries are out of order");
    if (entry.envelope_offset() > ref.body_size ||
        entry.envelope_size() > ref.body_size - entry.envelope_offset())
      return Damaged("record " + std::to_string(ref.record) + " points past its envelopes");
    record.oldest_ms = std::min(record.oldest_ms, entry.accepted_at_ms());
    // Pruned before: every delivery at or below its floor, accepted before the highest cutoff.
    const int64_t cutoff_ms = sql_->log_state()->cutoff_ms;
    bool gone = cutoff_ms > 0 && entry.accepted_at_ms() < cutoff_ms;
    for (const auto& delivery : entry.deliveries()) {
      uint64_t& last = last_seq_[delivery.stream()];
      last = std::max(last, delivery.seq());
      const uint64_t floor = Floor(delivery.stream());
      if (delivery.seq() <= floor) continue;
      gone = false;
      auto& runs = runs_[delivery.stream()];
      if (!runs.empty() && runs.back().record == ref.record) {
        if (delivery.seq() != runs.back().last + 1)
          return Damaged("stream " + delivery.stream() + " jumps from " +
                         std::to_string(runs.back().last) + " to " +
                         std::to_string(delivery.seq()) + " in record " +
                         std::to_string(ref.record));
        runs.back().last = delivery.seq();
      } else {
        const uint64_t expected = runs.empty() ? floor + 1 : runs.back().last + 1;
        if (delivery.seq() != expected)
          return Damaged("stream " + delivery.stream() + " holds sequence " +
                         std::to_string(delivery.seq()) + " where " + std::to_string(expected) +
                         " was expected: a delivery is missing");
        runs.push_back(Run{delivery.seq(), delivery.seq(), ref.record});
      }
    }
    const int64_t position = first + i;
    if (gone) {
      if (record.gone.empty()) record.gone.assign(record.count, false);
      record.gone[static_cast<size_t>(i)] = true;
      continue;
    }
    ++record.live;
    const uint64_t hash = SqliteJournal::KeyHash(entry.sender(), entry.message_id());
    for (const int64_t earlier : keys_.Positions(hash)) open_collisions_.emplace_back(earlier, position);
    keys_.Insert(hash, position);
  }
  next_position_ = first + record.count;
  segment_live_[ref.segment] += record.live;
  records_.push_back(std::move(record));
  return Ok{};
}

LogJournal::~LogJournal() {
  if (syncer_ && !failed_ && !syncer_->failure() && syncer_->durable() < written()) {
    StartSync();
    (void)syncer_->Wait(written());
  }
  if (!failed_) {
    if (auto copied = Materialize(true); !copied) Logger()->error("{}", copied.error());
  }
  syncer_.reset();
}

// Kept by the SQLite side, which stores the floors.
uint64_t LogJournal::Floor(const std::string& stream) const { return sql_->FirstSeq(stream) - 1; }

uint64_t LogJournal::LastSeq(const std::string& stream) const {
  const auto it = last_seq_.find(stream);
  return it == last_seq_.end() ? 0 : it->second;
}

uint64_t LogJournal::FirstSeq(const std::string& stream) const { return sql_->FirstSeq(stream); }

LogJournal::Record* LogJournal::RecordAt(int64_t position) {
  auto it = std::upper_bound(records_.begin(), records_.end(), position,
                             [](int64_t p, const Record& r) { return p < r.first_position; });
  if (it == records_.begin()) return nullptr;
  --it;
  if (position >= it->first_position + it->count) return nullptr;
  return &*it;
}

LogJournal::Record* LogJournal::RecordNumbered(uint64_t number) {
  auto it = std::lower_bound(records_.begin(), records_.end(), number,
                             [](const Record& r, uint64_t n) { return r.ref.record < n; });
  if (it == records_.end() || it->ref.record != number) return nullptr;
  return &*it;
}

Result<const v1::JournalRecord*> LogJournal::Head(const Record& record) {
  if (cached_record_ == record.ref.record) return &cached_head_;
  std::string bytes;
  if (auto read = log_->ReadHead(record.ref, bytes); !read) return Error{read.error()};
  cached_record_ = 0;
  if (!cached_head_.ParseFromString(bytes))
    return Damaged("record " + std::to_string(record.ref.record) + "'s head cannot be read");
  cached_record_ = record.ref.record;
  return &cached_head_;
}

Result<std::vector<std::vector<Position>>> LogJournal::Append(
    std::span<const core::Commit> batch, std::span<const core::AuditEntry> audit) {
  std::vector<std::vector<Position>> positions;
  if (failed_) return Error{*failed_};
  if (batch.empty() && audit.empty()) return positions;
  auto of_batch = [&] {
    return " (nothing of the batch of " + std::to_string(batch.size()) + " messages was stored)";
  };
  std::vector<uint64_t> hashes;
  hashes.reserve(batch.size());
  for (const auto& commit : batch) hashes.push_back(SqliteJournal::KeyHash(commit.sender, commit.message_id));
  if (auto duplicate = RefuseDuplicateKeys(
          batch, hashes, keys_,
          [this](std::string_view sender, std::string_view id) { return Lookup(sender, id); },
          path_, of_batch))
    return *duplicate;

  v1::JournalRecord& head = building_;
  // Field by field: Clear() would free the directory with its entries, which are kept for
  // the next batch to reuse (as SqliteJournal's PackedBatch does).
  head.mutable_directory()->clear_entries();
  head.clear_audit();
  head.clear_acks();
  head.clear_relays();
  head.set_first_position(next_position_);
  std::vector<std::string_view> body;
  body.reserve(batch.size());
  std::unordered_map<std::string, uint64_t> pending_seq;
  uint64_t offset = 0;
  positions.reserve(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    const core::Commit& commit = batch[i];
    v1::JournalEntry& entry = *head.mutable_directory()->add_entries();
    entry.set_index(static_cast<uint32_t>(i));
    entry.set_sender(commit.sender);
    entry.set_message_id(commit.message_id);
    entry.set_accepted_at_ms(commit.accepted_at_ms);
    entry.set_kind(commit.kind);
    entry.set_envelope_offset(offset);
    entry.set_envelope_size(commit.envelope.size());
    offset += commit.envelope.size();
    body.emplace_back(commit.envelope);
    for (const auto& warning : commit.warnings) entry.add_warnings(warning);
    auto& out = positions.emplace_back();
    out.reserve(commit.deliveries.size());
    for (const auto& planned : commit.deliveries) {
      uint64_t& last = pending_seq.try_emplace(planned.stream, LastSeq(planned.stream)).first->second;
      v1::JournalDelivery& delivery = *entry.add_deliveries();
      delivery.set_stream(planned.stream);
      delivery.set_seq(++last);
      delivery.set_note(planned.note);
      out.push_back(Position{planned.stream, last});
    }
    if (commit.relay_of) {
      v1::JournalRelay& relay = *head.add_relays();
      relay.set_relay_sender(commit.sender);
      relay.set_relay_message_id(commit.message_id);
      relay.set_original_sender(commit.relay_of->sender);
      relay.set_original_message_id(commit.relay_of->message_id);
    }
    if (commit.ack) {
      v1::JournalAck& ack = *head.add_acks();
      ack.set_message_sender(commit.ack->message.sender);
      ack.set_message_id(commit.ack->message.message_id);
      ack.set_node(commit.ack->node);
      ack.set_state(commit.ack->state);
      ack.set_at_ms(commit.ack->at_ms);
      ack.set_comment(commit.ack->comment);
    }
  }
  for (const auto& e : audit) {
    v1::JournalAudit& entry = *head.add_audit();
    entry.set_at_ms(e.at_ms);
    entry.set_actor(e.actor);
    entry.set_action(e.action);
    entry.set_subject(e.subject);
    entry.set_detail(e.detail);
  }
  if (!head.SerializeToString(&head_buffer_))
    return Error{"journal " + path_ + ": cannot encode the batch's record" + of_batch()};
  auto ref = log_->Append(head_buffer_, body);
  if (!ref) return Error{ref.error() + of_batch()};
  ++log_appends_;
  if (!syncer_) {
    // Not deferred: durable before Append returns. A record written but not synced cannot be
    // taken back, so the journal stops taking batches.
    if (auto synced = log_->Sync(); !synced) {
      failed_ = synced.error() + ". The journal takes no more batches: restart the hub";
      return Error{*failed_};
    }
    durable_record_ = ref->record;
  }
  // In memory: each stream the batch reached gets one run (its seqs here are consecutive).
  if (!batch.empty()) {
    Record record;
    record.ref = *ref;
    record.first_position = next_position_;
    record.count = static_cast<uint32_t>(batch.size());
    record.live = record.count;
    record.oldest_ms = batch[0].accepted_at_ms;
    for (size_t i = 0; i < batch.size(); ++i) {
      record.oldest_ms = std::min(record.oldest_ms, batch[i].accepted_at_ms);
      keys_.Insert(hashes[i], next_position_ + static_cast<int64_t>(i));
    }
    for (const auto& [stream, last] : pending_seq) {
      uint64_t& stored = last_seq_[stream];
      runs_[stream].push_back(Run{stored + 1, last, ref->record});
      stored = last;
    }
    next_position_ += record.count;
    segment_live_[ref->segment] += record.live;
    records_.push_back(std::move(record));
  }
  if (head.acks_size() > 0 || head.relays_size() > 0 || head.audit_size() > 0) {
    Pending pending{ref->record, ref->segment, {}};
    for (const auto& commit : batch) {
      if (commit.ack) pending.rows.acks.push_back(*commit.ack);
      if (commit.relay_of)
        pending.rows.relays.emplace_back(core::MessageRef{commit.sender, commit.message_id},
                                         *commit.relay_of);
    }
    pending.rows.audit.assign(audit.begin(), audit.end());
    pending_.push_back(std::move(pending));
  }
  if (auto copied = Materialize(false); !copied) Logger()->error("{}", copied.error());
  return positions;
}

uint64_t LogJournal::DurableRecord() {
  if (!syncer_) return durable_record_;
  const uint64_t durable_now = durable();
  while (!sync_marks_.empty() && sync_marks_.front().first <= durable_now) {
    durable_record_ = std::max(durable_record_, sync_marks_.front().second);
    sync_marks_.pop_front();
  }
  return durable_record_;
}

Status LogJournal::Materialize(bool all) {
  const uint64_t durable_record = DurableRecord();
  size_t ready = 0;
  while (ready < pending_.size() && pending_[ready].record <= durable_record) ++ready;
  if (ready == 0 || (!all && ready < kMaterializeRecords)) return Ok{};
  SqliteJournal::Materialized rows;
  for (size_t i = 0; i < ready; ++i) {
    auto& p = pending_[i].rows;
    std::move(p.acks.begin(), p.acks.end(), std::back_inserter(rows.acks));
    std::move(p.relays.begin(), p.relays.end(), std::back_inserter(rows.relays));
    std::move(p.audit.begin(), p.audit.end(), std::back_inserter(rows.audit));
  }
  const uint64_t upto = pending_[ready - 1].record;
  const uint64_t sql_written = sql_->written();
  auto copied = sql_->Materialize(rows, static_cast<int64_t>(upto));
  // The copy need not be durable before anything is answered: lost in a crash, it is made
  // again from the log at open. So it is not counted in written(), and the hub starts no sync
  // for it; the next sync, which syncs the WAL too, covers it.
  uncounted_writes_ += sql_->written() - sql_written;
  if (!copied) {
    // The moved-from rows are gone from pending_: put them back as one entry.
    const uint64_t segment = pending_.front().segment;
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(ready));
    pending_.push_front(Pending{upto, segment, std::move(rows)});
    return copied;
  }
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(ready));
  return Ok{};
}

Result<std::optional<core::StoredMessage>> LogJournal::Lookup(std::string_view sender,
                                                              std::string_view message_id) {
  for (const int64_t position : keys_.Positions(SqliteJournal::KeyHash(sender, message_id))) {
    Record* record = RecordAt(position);
    if (record == nullptr)
      return Damaged("message " + std::string(message_id) + " from " + std::string(sender) +
                     " (position " + std::to_string(position) + ") is in no record");
    auto head = Head(*record);
    if (!head) return Error{head.error()};
    const auto& entry =
        (*head)->directory().entries(static_cast<int>(position - record->first_position));
    if (entry.sender() != sender || entry.message_id() != message_id) continue;
    core::StoredMessage stored{entry.sender(), entry.message_id(), entry.accepted_at_ms(),
                               entry.kind(), {}, {},
                               {entry.warnings().begin(), entry.warnings().end()}};
    if (auto read = log_->ReadBody(record->ref, entry.envelope_offset(), entry.envelope_size(),
                                   stored.envelope);
        !read)
      return Error{read.error()};
    stored.deliveries = detail::LiveDeliveries(
        entry, [this](const std::string& stream) { return Floor(stream); });
    return std::optional<core::StoredMessage>(std::move(stored));
  }
  return std::optional<core::StoredMessage>();
}

std::optional<core::StoredMessage> LogJournal::Find(const std::string& sender,
                                                    const std::string& message_id) {
  auto found = Lookup(sender, message_id);
  if (!found) {
    Logger()->error("{}", found.error());
    return std::nullopt;
  }
  return std::move(found).value();
}

Result<std::vector<core::StoredDelivery>> LogJournal::Read(const std::string& stream,
                                                           uint64_t after_seq,
                                                           uint32_t max_count) {
  std::vector<core::StoredDelivery> deliveries;
  const uint64_t last = LastSeq(stream);
  if (max_count == 0 || after_seq >= last) return deliveries;
  const uint64_t from = std::max(after_seq, Floor(stream));
  const uint64_t wanted = std::min<uint64_t>(max_count, last - from);
  if (wanted == 0) return deliveries;  // pruned to its end: nothing after the floor yet
  deliveries.reserve(wanted);
  const auto runs_it = runs_.find(stream);
  if (runs_it == runs_.end()) return Damaged("stream " + stream + " has no stored deliveries");
  const auto& runs = runs_it->second;
  auto run = std::upper_bound(runs.begin(), runs.end(), from,
                              [](uint64_t seq, const Run& r) { return seq < r.last; });
  std::string envelopes;
  std::vector<uint32_t> entry_of;  // per delivery of the current record, its entry's index
  for (; run != runs.end() && deliveries.size() < wanted; ++run) {
    Record* record = RecordNumbered(run->record);
    if (record == nullptr)
      return Damaged("stream " + stream + "'s record " + std::to_string(run->record) + " is gone");
    auto head = Head(*record);
    if (!head) return Error{head.error()};
    // The envelopes this read needs from the record, read in one go.
    const size_t start = deliveries.size();
    entry_of.clear();
    uint64_t lo = UINT64_MAX, hi = 0;
    for (const auto& entry : (*head)->directory().entries()) {
      for (const auto& delivery : entry.deliveries()) {
        if (delivery.seq() <= from || delivery.stream() != stream) continue;
        if (deliveries.size() == wanted) break;
        core::StoredDelivery& out = deliveries.emplace_back();
        out.stream = stream;
        out.seq = delivery.seq();
        out.sender = entry.sender();
        out.accepted_at_ms = entry.accepted_at_ms();
        out.kind = entry.kind();
        out.note = delivery.note();
        entry_of.push_back(entry.index());
        lo = std::min(lo, entry.envelope_offset());
        hi = std::max(hi, entry.envelope_offset() + entry.envelope_size());
      }
    }
    if (deliveries.size() == start) continue;
    if (auto read = log_->ReadBody(record->ref, lo, hi - lo, envelopes); !read)
      return Error{read.error()};
    const auto& entries = (*head)->directory().entries();
    for (size_t i = start; i < deliveries.size(); ++i) {
      const auto& entry = entries[static_cast<int>(entry_of[i - start])];
      deliveries[i].envelope.assign(envelopes, entry.envelope_offset() - lo, entry.envelope_size());
    }
  }
  if (deliveries.size() < wanted || (!deliveries.empty() && deliveries.front().seq != from + 1))
    return Damaged("stream " + stream + " is missing deliveries after " + std::to_string(from));
  return deliveries;
}

Status LogJournal::SetCursors(std::span<const core::Cursor> cursors) {
  return sql_->StoreCursors(cursors, [this](const std::string& stream) { return LastSeq(stream); });
}

Result<std::vector<core::Cursor>> LogJournal::CursorsOn(const std::string& stream) {
  return sql_->CursorsOn(stream);
}

Result<std::vector<core::Acknowledgement>> LogJournal::AcknowledgementsOf(
    const core::MessageRef& message) {
  auto acks = sql_->AcknowledgementsOf(message);
  if (!acks) return acks;
  // The records not yet copied, in order: a higher state replaces, an equal one does not.
  for (const auto& pending : pending_) {
    for (const auto& ack : pending.rows.acks) {
      if (ack.message.sender != message.sender || ack.message.message_id != message.message_id)
        continue;
      auto it = std::find_if(acks->begin(), acks->end(),
                             [&](const core::Acknowledgement& a) { return a.node == ack.node; });
      if (it == acks->end()) acks->push_back(ack);
      else if (ack.state > it->state) *it = ack;
    }
  }
  std::sort(acks->begin(), acks->end(),
            [](const core::Acknowledgement& a, const core::Acknowledgement& b) {
              return a.node < b.node;
            });
  return acks;
}

Result<std::vector<core::MessageRef>> LogJournal::RelaysOf(const core::MessageRef& message) {
  auto relays = sql_->RelaysOf(message);
  if (!relays) return relays;
  for (const auto& pending : pending_)
    for (const auto& [relay, original] : pending.rows.relays)
      if (original.sender == message.sender && original.message_id == message.message_id)
        relays->push_back(relay);
  std::sort(relays->begin(), relays->end(), [](const core::MessageRef& a, const core::MessageRef& b) {
    return std::tie(a.sender, a.message_id) < std::tie(b.sender, b.message_id);
  });
  return relays;
}

Status LogJournal::ScanMessages(const std::function<void(const core::StoredMessage&)>& visit,
                                int64_t after) {
  auto it = std::upper_bound(records_.begin(), records_.end(), after,
                             [](int64_t p, const Record& r) { return p < r.first_position; });
  if (it != records_.begin()) --it;
  std::string envelopes;
  for (; it != records_.end(); ++it) {
    const Record& record = *it;
    if (record.live == 0 || record.first_position + record.count - 1 <= after) continue;
    auto head = Head(record);
    if (!head) return Error{head.error()};
    if (auto read = log_->ReadBody(record.ref, 0, record.ref.body_size, envelopes); !read)
      return Error{read.error()};
    for (const auto& entry : (*head)->directory().entries()) {
      if (record.first_position + entry.index() <= after) continue;
      if (!record.gone.empty() && record.gone[entry.index()]) continue;
      core::StoredMessage m;
      m.sender = entry.sender();
      m.message_id = entry.message_id();
      m.accepted_at_ms = entry.accepted_at_ms();
      m.kind = entry.kind();
      m.envelope.assign(envelopes, entry.envelope_offset(), entry.envelope_size());
      m.warnings.assign(entry.warnings().begin(), entry.warnings().end());
      visit(m);
    }
  }
  return Ok{};
}

Status LogJournal::SaveWorkflowSnapshot(const std::string& state) {
  return sql_->SaveWorkflowSnapshotAt(state, next_position_ - 1);
}

Result<std::optional<core::WorkflowSnapshot>> LogJournal::LoadWorkflowSnapshot() {
  return sql_->LoadWorkflowSnapshot();
}

Result<uint64_t> LogJournal::Prune(int64_t accepted_before_ms,
                                   const std::map<std::string, uint64_t>& safe_upto) {
  if (failed_) return Error{*failed_};
  uint64_t removed_deliveries = 0;
  SeqMap raised;  // streams whose floor rises, and to what
  for (const auto& [stream, upto] : safe_upto) {
    const uint64_t limit = std::min(upto, LastSeq(stream));
    uint64_t floor = Floor(stream);
    if (limit <= floor) continue;
    const auto runs_it = runs_.find(stream);
    if (runs_it == runs_.end()) continue;
    bool stop = false;
    for (const Run& run : runs_it->second) {
      if (stop || run.first > limit) break;
      Record* record = RecordNumbered(run.record);
      if (record == nullptr) return Damaged("stream " + stream + "'s record is gone");
      auto head = Head(*record);
      if (!head) return Error{head.error()};
      for (const auto& entry : (*head)->directory().entries()) {
        for (const auto& delivery : entry.deliveries()) {
          if (delivery.stream() != stream || delivery.seq() <= floor) continue;
          if (delivery.seq() > limit || entry.accepted_at_ms() >= accepted_before_ms) {
            stop = true;
            break;
          }
          floor = delivery.seq();
          ++removed_deliveries;
        }
        if (stop) break;
      }
    }
    if (floor > Floor(stream)) raised[stream] = floor;
  }
  auto floor_after = [&](const std::string& stream) {
    const auto it = raised.find(stream);
    return it != raised.end() ? it->second : Floor(stream);
  };
  // The messages accepted before the cutoff with no delivery above a floor.
  std::vector<core::MessageRef> removed;
  std::vector<std::pair<Record*, uint32_t>> removed_at;
  for (Record& record : records_) {
    if (record.live == 0 || record.oldest_ms >= accepted_before_ms) continue;
    auto head = Head(record);
    if (!head) return Error{head.error()};
    for (const auto& entry : (*head)->directory().entries()) {
      if (entry.accepted_at_ms() >= accepted_before_ms) continue;
      if (!record.gone.empty() && record.gone[entry.index()]) continue;
      const bool left = std::any_of(entry.deliveries().begin(), entry.deliveries().end(),
                                    [&](const v1::JournalDelivery& d) {
                                      return d.seq() > floor_after(d.stream());
                                    });
      if (left) continue;
      removed.push_back(core::MessageRef{entry.sender(), entry.message_id()});
      removed_at.emplace_back(&record, entry.index());
    }
  }
  // Rows still pending are copied first, so that the deletes below find them.
  if (auto copied = Materialize(true); !copied) return Error{copied.error()};
  if (auto recorded = sql_->RecordPrune(raised, removed, accepted_before_ms); !recorded)
    return Error{recorded.error()};
  for (const auto& [stream, floor] : raised) {
    auto& runs = runs_[stream];
    while (!runs.empty() && runs.front().last <= floor) runs.pop_front();
    if (!runs.empty() && runs.front().first <= floor) runs.front().first = floor + 1;
  }
  for (size_t i = 0; i < removed.size(); ++i) {
    auto& [record, index] = removed_at[i];
    if (record->gone.empty()) record->gone.assign(record->count, false);
    record->gone[index] = true;
    --record->live;
    --segment_live_[record->ref.segment];
    keys_.Erase(SqliteJournal::KeyHash(removed[i].sender, removed[i].message_id),
                record->first_position + index);
  }
  // Rows of records not yet durable that name a removed message go too, as in SQLite.
  auto is_removed = [&](const core::MessageRef& m) {
    return std::any_of(removed.begin(), removed.end(), [&](const core::MessageRef& r) {
      return r.sender == m.sender && r.message_id == m.message_id;
    });
  };
  for (auto& pending : pending_) {
    auto& acks = pending.rows.acks;
    acks.erase(std::remove_if(acks.begin(), acks.end(),
                              [&](const core::Acknowledgement& a) { return is_removed(a.message); }),
               acks.end());
    auto& relays = pending.rows.relays;
    relays.erase(std::remove_if(relays.begin(), relays.end(),
                                [&](const auto& r) {
                                  return is_removed(r.first) || is_removed(r.second);
                                }),
                 relays.end());
  }
  // Whole segments with nothing left, all copied into SQLite, go (never the current one).
  uint64_t keep_from = log_->current_segment();
  for (const auto& [segment, live] : segment_live_) {
    if (live > 0) {
      keep_from = std::min(keep_from, segment);
      break;
    }
  }
  // A record whose rows are not copied yet keeps its segment (it may hold only audit entries,
  // and then it is in no Record).
  if (!pending_.empty()) keep_from = std::min(keep_from, pending_.front().segment);
  if (keep_from > log_->first_segment()) {
    auto deleted = log_->DeleteSegmentsBefore(keep_from);
    if (!deleted) return Error{deleted.error()};
    while (!records_.empty() && records_.front().ref.segment < keep_from) records_.pop_front();
    segment_live_.erase(segment_live_.begin(), segment_live_.lower_bound(keep_from));
    cached_record_ = 0;
  }
  return removed_deliveries;
}

bool LogJournal::DeferSyncs() {
  if (syncer_) return true;
  auto wal = sql_->LeaveSyncsToCaller();
  if (!wal) {
    Logger()->warn("{}; every batch syncs the disk itself instead", wal.error());
    return false;
  }
  wal_path_ = *wal;
  // Until now every append and every commit synced itself.
  log_appends_synced_ = log_appends_;
  log_appends_asked_.store(log_appends_, std::memory_order_relaxed);
  sql_written_synced_ = sql_->written();
  sql_written_asked_.store(sql_written_synced_, std::memory_order_relaxed);
  auto syncer = WalSyncer::Start("journal " + path_, [this]() -> std::optional<std::string> {
    // Every append or commit counted below finished before it was counted, so the fdatasync
    // after the load covers it; a later one is synced by the sync asked for after it.
    const uint64_t appends = log_appends_asked_.load(std::memory_order_acquire);
    const uint64_t commits = sql_written_asked_.load(std::memory_order_acquire);
    // The log first: the WAL's rows copy only records already durable.
    if (appends != log_appends_synced_) {
      if (auto synced = log_->Sync(); !synced) return synced.error();
      log_appends_synced_ = appends;
      log_flushes_.fetch_add(1, std::memory_order_relaxed);
    }
    if (commits != sql_written_synced_) {
      if (auto failed = WalSyncer::SyncWal(wal_path_, wal_inode_)) return failed;
      sql_written_synced_ = commits;
      wal_flushes_.fetch_add(1, std::memory_order_relaxed);
    }
    return std::nullopt;
  });
  if (!syncer) {
    Logger()->warn("{}; every batch syncs the disk itself instead", syncer.error());
    return false;
  }
  durable_before_deferral_ = written();
  durable_record_ = log_->next_record() - 1;
  syncer_ = std::move(*syncer);
  return true;
}

uint64_t LogJournal::written() const {
  return log_appends_ + sql_->written() - uncounted_writes_;
}

uint64_t LogJournal::durable() const {
  if (!syncer_) return written();
  return std::max(durable_before_deferral_, syncer_->durable());
}

void LogJournal::StartSync() {
  if (!syncer_) return;
  const uint64_t generation = written();
  sync_marks_.emplace_back(generation, log_->next_record() - 1);
  log_appends_asked_.store(log_appends_, std::memory_order_release);
  sql_written_asked_.store(sql_->written(), std::memory_order_release);
  syncer_->Request(generation);
}

void LogJournal::OnDurable(bool idle) {
  if (failed_) return;
  if (auto copied = Materialize(idle); !copied) Logger()->error("{}", copied.error());
}

int LogJournal::sync_fd() const { return syncer_ ? syncer_->notify_fd() : -1; }

std::optional<std::string> LogJournal::sync_failure() const {
  if (failed_) return "journal " + path_ + ": " + *failed_;
  if (!syncer_) return std::nullopt;
  auto failed = syncer_->failure();
  if (failed) return "journal " + path_ + ": " + *failed;
  return std::nullopt;
}

}  // namespace renrakumo::store
