// Google Benchmark measurement of LMDB as the journal's store, the alternative the issue names
// beside batched SQLite and a segment log (journal_bench.cpp measures those two): the same
// storm as BM_JournalStorm*, written into four LMDB databases in one write transaction per
// batch. The commit is durable as SQLite's synchronous=FULL is (no MDB_NOSYNC, no
// MDB_NOMETASYNC): LMDB writes the dirty pages, fdatasyncs, then writes the meta page through
// an O_DSYNC descriptor, all inside mdb_txn_commit. Files live in /tmp (the machine's disk) or,
// for the "Shm" variant, /dev/shm (no disk: what is left is CPU). Built only where liblmdb-dev
// is installed (tests/bench/CMakeLists.txt).
#include <benchmark/benchmark.h>
#include <lmdb.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "core/journal.h"
#include "synthetic.h"

namespace renrakumo::bench {
namespace {
namespace fs = std::filesystem;

// A fresh directory for one environment, removed (with everything LMDB put in it) on scope exit.
struct ScratchDir {
  explicit ScratchDir(const char* root)
      : path(fs::path(root) / ("renrakumo-lmdbbench-" + std::to_string(std::random_device{}()))) {
    fs::create_directories(path);
  }
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  fs::path path;
};

// Key and value encodings. Integers in keys are big-endian so that LMDB's default memcmp order
// is numeric order (and MDB_APPEND applies); strings in values carry a 4-byte length.
void PutBigEndian(std::string& out, uint64_t v, int bytes = 8) {
  for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xff));
}
void PutField(std::string& out, std::string_view field) {
  PutBigEndian(out, field.size(), 4);
  out.append(field);
}

MDB_val View(const std::string& s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }

// The journal's storm tables in LMDB, one named database each:
//   messages    BE rowid                -> accepted_at_ms, sender, message_id, kind, envelope
//   deliveries  stream \0 BE seq        -> BE message rowid, note
//   keys        sender \0 message_id    -> BE message rowid  (idempotency: MDB_NOOVERWRITE)
//   audit       BE seq                  -> at_ms, actor, action, subject, detail, 32-byte hash slot
// Like SqliteJournal, the next rowid and each stream's last seq are kept in memory and advanced
// only after the commit succeeds. Every mdb_* failure comes back as a sentence naming the call.
class LmdbJournal {
 public:
  LmdbJournal() = default;
  LmdbJournal(const LmdbJournal&) = delete;
  LmdbJournal& operator=(const LmdbJournal&) = delete;
  ~LmdbJournal() {
    if (env_ != nullptr) mdb_env_close(env_);
  }

  // Empty on success, else what failed.
  std::string Open(const fs::path& dir) {
    if (int rc = mdb_env_create(&env_); rc != MDB_SUCCESS) {
      env_ = nullptr;
      return Failure("mdb_env_create", rc);
    }
    if (int rc = mdb_env_set_mapsize(env_, size_t{4} << 30); rc != MDB_SUCCESS)
      return Failure("mdb_env_set_mapsize", rc);
    if (int rc = mdb_env_set_maxdbs(env_, 4); rc != MDB_SUCCESS)
      return Failure("mdb_env_set_maxdbs", rc);
    // Flags 0: every commit is synced (the durable default the hub's journal needs).
    if (int rc = mdb_env_open(env_, dir.c_str(), 0, 0600); rc != MDB_SUCCESS)
      return Failure("mdb_env_open", rc);
    MDB_txn* txn = nullptr;
    if (int rc = mdb_txn_begin(env_, nullptr, 0, &txn); rc != MDB_SUCCESS)
      return Failure("mdb_txn_begin", rc);
    for (auto [name, dbi] : {std::pair{"messages", &messages_},
                             std::pair{"deliveries", &deliveries_}, std::pair{"keys", &keys_},
                             std::pair{"audit", &audit_}}) {
      if (int rc = mdb_dbi_open(txn, name, MDB_CREATE, dbi); rc != MDB_SUCCESS) {
        mdb_txn_abort(txn);
        return Failure("mdb_dbi_open", rc);
      }
    }
    if (int rc = mdb_txn_commit(txn); rc != MDB_SUCCESS) return Failure("mdb_txn_commit", rc);
    return {};
  }

  // One write transaction for the batch and its audit entries; empty on success.
  std::string Append(std::span<const core::Commit> batch, std::span<const core::AuditEntry> audit) {
    MDB_txn* txn = nullptr;
    if (int rc = mdb_txn_begin(env_, nullptr, 0, &txn); rc != MDB_SUCCESS)
      return Failure("mdb_txn_begin", rc);
    std::map<std::string, uint64_t> pending;  // stream -> last seq, this batch included
    uint64_t rowid = last_rowid_;
    uint64_t audit_seq = last_audit_;
    std::string error;
    for (const auto& commit : batch) {
      ++rowid;
      if (!(error = WriteMessage(txn, commit, rowid, pending)).empty()) break;
    }
    for (size_t i = 0; error.empty() && i < audit.size(); ++i)
      error = WriteAudit(txn, audit[i], ++audit_seq);
    if (!error.empty()) {
      mdb_txn_abort(txn);
      return error;
    }
    // mdb_txn_commit frees the transaction whether or not it succeeds.
    if (int rc = mdb_txn_commit(txn); rc != MDB_SUCCESS) return Failure("mdb_txn_commit", rc);
    last_rowid_ = rowid;
    last_audit_ = audit_seq;
    for (auto& [stream, seq] : pending) last_seq_.insert_or_assign(stream, seq);
    return {};
  }

 private:
  static std::string Failure(const char* call, int rc) {
    return std::string(call) + ": " + mdb_strerror(rc);
  }

  std::string WriteMessage(MDB_txn* txn, const core::Commit& commit, uint64_t rowid,
                           std::map<std::string, uint64_t>& pending) {
    // The idempotency key first: a duplicate (in the journal or earlier in the batch, which
    // this transaction sees) is refused before anything of the message is written. Random
    // message ids make this the one put that lands on a random page.
    key_.assign(commit.sender).push_back('\0');
    key_.append(commit.message_id);
    value_.clear();
    PutBigEndian(value_, rowid);
    MDB_val key = View(key_), value = View(value_);
    if (int rc = mdb_put(txn, keys_, &key, &value, MDB_NOOVERWRITE); rc != MDB_SUCCESS)
      return Failure(rc == MDB_KEYEXIST ? "mdb_put(keys): duplicate message" : "mdb_put(keys)", rc);

    // The message itself, under the next rowid: always the greatest key, so MDB_APPEND.
    key_.clear();
    PutBigEndian(key_, rowid);
    value_.clear();
    PutBigEndian(value_, static_cast<uint64_t>(commit.accepted_at_ms));
    PutField(value_, commit.sender);
    PutField(value_, commit.message_id);
    PutField(value_, commit.kind);
    value_.append(commit.envelope);  // the rest of the value
    key = View(key_);
    value = View(value_);
    if (int rc = mdb_put(txn, messages_, &key, &value, MDB_APPEND); rc != MDB_SUCCESS)
      return Failure("mdb_put(messages)", rc);

    // Its deliveries, numbered per stream. MDB_APPEND holds because the storm has one stream;
    // with several, only the stream that sorts last is at the end of the tree (the others
    // would need a plain put, which lands on that stream's last leaf all the same).
    for (const auto& planned : commit.deliveries) {
      auto [it, added] = pending.try_emplace(planned.stream, 0);
      if (added) {
        auto last = last_seq_.find(planned.stream);
        it->second = last == last_seq_.end() ? 0 : last->second;
      }
      key_.assign(planned.stream).push_back('\0');
      PutBigEndian(key_, ++it->second);
      value_.clear();
      PutBigEndian(value_, rowid);
      value_.append(planned.note);
      key = View(key_);
      value = View(value_);
      if (int rc = mdb_put(txn, deliveries_, &key, &value, MDB_APPEND); rc != MDB_SUCCESS)
        return Failure("mdb_put(deliveries)", rc);
    }
    return {};
  }

  std::string WriteAudit(MDB_txn* txn, const core::AuditEntry& entry, uint64_t seq) {
    key_.clear();
    PutBigEndian(key_, seq);
    value_.clear();
    PutBigEndian(value_, static_cast<uint64_t>(entry.at_ms));
    PutField(value_, entry.actor);
    PutField(value_, entry.action);
    PutField(value_, entry.subject);
    PutField(value_, entry.detail);
    // Room for the entry's SHA-256 chain hash, as the SQLite audit table stores one; left zero:
    // this measures storage, not hashing.
    value_.append(32, '\0');
    MDB_val key = View(key_), value = View(value_);
    if (int rc = mdb_put(txn, audit_, &key, &value, MDB_APPEND); rc != MDB_SUCCESS)
      return Failure("mdb_put(audit)", rc);
    return {};
  }

  MDB_env* env_ = nullptr;
  MDB_dbi messages_ = 0, deliveries_ = 0, keys_ = 0, audit_ = 0;
  uint64_t last_rowid_ = 0;
  uint64_t last_audit_ = 0;
  std::map<std::string, uint64_t> last_seq_;  // stream -> last committed seq
  std::string key_, value_;                   // reused across puts: no allocation per message
};

// BM_JournalStorm's workload on LMDB (MakeStormBatch: random message ids, one delivery per
// message, one audit entry per batch), on a store already holding 50,000 messages.
// Process CPU and bytes written per message are reported as for the SQLite journal.
void LmdbStorm(benchmark::State& state, const char* root) {
  ScratchDir dir(root);
  LmdbJournal journal;  // declared after dir: the environment closes before the files go
  if (std::string error = journal.Open(dir.path); !error.empty())
    return state.SkipWithError(error.c_str());
  const size_t size = static_cast<size_t>(state.range(0));
  const size_t senders = static_cast<size_t>(state.range(1));
  std::mt19937_64 random(42);
  for (int i = 0; i < 100; ++i) {
    const StormBatch b = MakeStormBatch(500, senders, random);
    if (std::string error = journal.Append(b.commits, b.audit); !error.empty())
      return state.SkipWithError(("pre-fill: " + error).c_str());
  }
  const uint64_t written0 = ProcessBytesWritten();
  for (auto _ : state) {
    state.PauseTiming();
    const StormBatch b = MakeStormBatch(size, senders, random);
    state.ResumeTiming();
    if (std::string error = journal.Append(b.commits, b.audit); !error.empty()) {
      state.SkipWithError(error.c_str());
      break;  // a ranged-for loop keeps running after SkipWithError otherwise
    }
  }
  const double messages = static_cast<double>(state.iterations() * size);
  state.counters["written_B_per_msg"] =
      static_cast<double>(ProcessBytesWritten() - written0) / messages;
  state.SetItemsProcessed(static_cast<int64_t>(messages));
}
void BM_LmdbStormDisk(benchmark::State& s) { LmdbStorm(s, "/tmp"); }
void BM_LmdbStormShm(benchmark::State& s) { LmdbStorm(s, "/dev/shm"); }

// {batch, senders} as for BM_JournalStorm*: ~400 messages per transaction, 100 or 1,000 senders.
BENCHMARK(BM_LmdbStormDisk)->Args({400, 100})->Args({400, 1000})->MeasureProcessCPUTime()
    ->UseRealTime();
BENCHMARK(BM_LmdbStormShm)->Args({400, 100})->Args({400, 1000})->MeasureProcessCPUTime()
    ->UseRealTime();

}  // namespace
}  // namespace renrakumo::bench
