// Google Benchmark micro-benchmarks of the journal, the other half of the hub's per-message
// cost: SqliteJournal::Append per batch size (group commit), the per-submit dedup Find, and a
// Read of a catch-up batch; beside them the alternatives the issue asks to weigh: a minimal
// SQLite table (one INSERT per message, no secondary index) and an append-only segment file,
// each made durable by one fdatasync per batch. Files live in /tmp (the machine's disk) or,
// for the "Shm" variants, /dev/shm (no disk: what is left is CPU).
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <random>

#include "store/segment_log.h"
#include "store/sqlite_journal.h"
#include "synthetic.h"

namespace renrakumo::bench {
namespace {
namespace fs = std::filesystem;

fs::path FreshFile(const char* root, const char* name) {
  fs::path dir = fs::path(root) / ("renrakumo-jbench-" + std::to_string(std::random_device{}()));
  fs::create_directories(dir);
  return dir / name;
}

const std::string& Envelope() {
  static const std::string env = MakeReport("m-000000000001", 1024).SerializeAsString();
  return env;
}

std::vector<core::Commit> MakeBatch(size_t size, uint64_t& next) {
  std::vector<core::Commit> batch(size);
  for (auto& c : batch) {
    c.sender = "bank-00500";
    c.message_id = "m-" + std::to_string(++next);
    c.accepted_at_ms = 1'700'000'000'000;
    c.kind = "report";
    c.envelope = Envelope();
    c.deliveries.push_back({"node.fsa.", "incident report from bank-00500 (finance sector)"});
  }
  return batch;
}

void JournalAppend(benchmark::State& state, const char* root) {
  const fs::path path = FreshFile(root, "journal.db");
  auto journal = store::OpenSqliteJournal(path.string());
  if (!journal) return state.SkipWithError(journal.error().c_str());
  uint64_t next = 0;
  const size_t size = static_cast<size_t>(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    auto batch = MakeBatch(size, next);
    state.ResumeTiming();
    auto positions = (*journal)->Append(batch);
    if (!positions) {
      state.SkipWithError(positions.error().c_str());
      break;
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * size));
  journal->reset();
  fs::remove_all(path.parent_path());
}
void BM_JournalAppendDisk(benchmark::State& s) { JournalAppend(s, "/tmp"); }
void BM_JournalAppendShm(benchmark::State& s) { JournalAppend(s, "/dev/shm"); }

// What the hub's storm asks of the journal: batches from `senders` operators with random
// message ids (the client library's default), one delivery each, and one audit entry per
// batch listing every message (as the hub writes it), on a journal that already holds 50,000
// messages. Process CPU (the journal's
// background thread included) and bytes written per message are reported as counters.
// LogStorm: the same on the log engine (its log counted in the bytes written).
void JournalStorm(benchmark::State& state, const char* root,
                  store::JournalEngine engine = store::JournalEngine::kSqlite) {
  const fs::path path = FreshFile(root, "journal.db");
  store::JournalOptions options;
  options.engine = engine;
  auto journal = store::OpenJournal(path.string(), options);
  if (!journal) return state.SkipWithError(journal.error().c_str());
  const size_t size = static_cast<size_t>(state.range(0));
  const size_t senders = static_cast<size_t>(state.range(1));
  std::mt19937_64 random(42);
  for (int i = 0; i < 100; ++i) {
    const StormBatch b = MakeStormBatch(500, senders, random);
    (void)(*journal)->Append(b.commits, b.audit);
  }
  const uint64_t written0 = ProcessBytesWritten();
  for (auto _ : state) {
    state.PauseTiming();
    const StormBatch b = MakeStormBatch(size, senders, random);
    state.ResumeTiming();
    auto positions = (*journal)->Append(b.commits, b.audit);
    if (!positions) {
      state.SkipWithError(positions.error().c_str());
      break;
    }
  }
  const double messages = static_cast<double>(state.iterations() * size);
  state.counters["written_B_per_msg"] =
      static_cast<double>(ProcessBytesWritten() - written0) / messages;
  state.SetItemsProcessed(static_cast<int64_t>(messages));
  journal->reset();
  fs::remove_all(path.parent_path());
}
void BM_JournalStormDisk(benchmark::State& s) { JournalStorm(s, "/tmp"); }
void BM_JournalStormShm(benchmark::State& s) { JournalStorm(s, "/dev/shm"); }
void BM_LogStormDisk(benchmark::State& s) { JournalStorm(s, "/tmp", store::JournalEngine::kLog); }

// The hub looks every submission up before routing it (idempotency): a miss, on a journal
// already holding 50,000 messages.
void BM_JournalFindMiss(benchmark::State& state) {
  const fs::path path = FreshFile("/tmp", "journal.db");
  auto journal = store::OpenSqliteJournal(path.string());
  if (!journal) return state.SkipWithError(journal.error().c_str());
  uint64_t next = 0;
  for (int i = 0; i < 100; ++i) (void)(*journal)->Append(MakeBatch(500, next));
  uint64_t probe = 1'000'000;
  for (auto _ : state)
    benchmark::DoNotOptimize((*journal)->Find("bank-00500", "m-" + std::to_string(++probe)));
  journal->reset();
  fs::remove_all(path.parent_path());
}

void BM_JournalRead1000(benchmark::State& state) {
  const fs::path path = FreshFile("/tmp", "journal.db");
  auto journal = store::OpenSqliteJournal(path.string());
  if (!journal) return state.SkipWithError(journal.error().c_str());
  uint64_t next = 0;
  for (int i = 0; i < 100; ++i) (void)(*journal)->Append(MakeBatch(500, next));
  uint64_t after = 0;
  for (auto _ : state) {
    auto rows = (*journal)->Read("node.fsa.", after, 1000);
    if (!rows || rows->size() != 1000) {
      state.SkipWithError("short read");
      break;
    }
    after = (after + 1000) % 49000;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * 1000));
  journal->reset();
  fs::remove_all(path.parent_path());
}

// Lower bound for SQLite: one table, rowid key only, the envelope as a blob, WAL,
// synchronous=FULL, one transaction per batch, one prepared INSERT per message.
void BM_MinimalSqliteAppend(benchmark::State& state) {
  const fs::path path = FreshFile("/tmp", "minimal.db");
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                   "CREATE TABLE m(id INTEGER PRIMARY KEY, envelope BLOB)", nullptr, nullptr, nullptr);
  sqlite3_stmt* insert = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO m(envelope) VALUES(?1)", -1, &insert, nullptr);
  const size_t size = static_cast<size_t>(state.range(0));
  const std::string& env = Envelope();
  for (auto _ : state) {
    sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    for (size_t i = 0; i < size; ++i) {
      sqlite3_bind_blob(insert, 1, env.data(), static_cast<int>(env.size()), SQLITE_STATIC);
      sqlite3_step(insert);
      sqlite3_reset(insert);
    }
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * size));
  sqlite3_finalize(insert);
  sqlite3_close(db);
  fs::remove_all(path.parent_path());
}

// The log-structured journal's write path (docs/journal-log.md): one store::SegmentLog record
// per batch -- a head standing for the directory (~64 bytes per message) and the 1 KiB
// envelopes as body parts, written with one pwritev -- then Sync(), as JournalStorm's FULL
// commits do. Process CPU per message compares with BM_JournalStormDisk.
void BM_SegmentLogAppend(benchmark::State& state) {
  const fs::path path = FreshFile("/tmp", "journal.db.log");
  auto log = store::SegmentLog::Open(path.string(), {}, [](const store::RecordRef&,
                                                           std::string_view) { return Status(Ok{}); });
  if (!log) return state.SkipWithError(log.error().c_str());
  const size_t size = static_cast<size_t>(state.range(0));
  const std::string& env = Envelope();
  const std::string head(64 * size, 'h');
  const std::vector<std::string_view> body(size, std::string_view(env));
  const uint64_t written0 = ProcessBytesWritten();
  for (auto _ : state) {
    auto ref = (*log)->Append(head, body);
    if (!ref) {
      state.SkipWithError(ref.error().c_str());
      break;
    }
    if (auto synced = (*log)->Sync(); !synced) {
      state.SkipWithError(synced.error().c_str());
      break;
    }
  }
  const double messages = static_cast<double>(state.iterations() * size);
  state.counters["written_B_per_msg"] =
      static_cast<double>(ProcessBytesWritten() - written0) / messages;
  state.SetItemsProcessed(static_cast<int64_t>(messages));
  log->reset();
  fs::remove_all(path.parent_path());
}

BENCHMARK(BM_JournalAppendDisk)->Arg(1)->Arg(16)->Arg(128)->Arg(512)->UseRealTime();
BENCHMARK(BM_JournalAppendShm)->Arg(1)->Arg(128)->Arg(512)->UseRealTime();
// {batch, senders}: the 100- and 1,000-operator storms' batch sizes as seen in the load
// generator (~400 per transaction).
BENCHMARK(BM_JournalStormDisk)->Args({400, 100})->Args({400, 1000})->MeasureProcessCPUTime()
    ->UseRealTime();
BENCHMARK(BM_JournalStormShm)->Args({400, 100})->Args({400, 1000})->MeasureProcessCPUTime()
    ->UseRealTime();
BENCHMARK(BM_LogStormDisk)->Args({400, 100})->Args({400, 1000})->MeasureProcessCPUTime()
    ->UseRealTime();
BENCHMARK(BM_JournalFindMiss)->UseRealTime();
BENCHMARK(BM_JournalRead1000)->UseRealTime();
BENCHMARK(BM_MinimalSqliteAppend)->Arg(1)->Arg(128)->Arg(512)->UseRealTime();
BENCHMARK(BM_SegmentLogAppend)->Arg(1)->Arg(128)->Arg(400)->MeasureProcessCPUTime()->UseRealTime();

}  // namespace
}  // namespace renrakumo::bench

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);  // the journal logs every open at info
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
