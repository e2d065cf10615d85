// The journal's background checkpointer (see sqlite_checkpointer.h).
#include "store/sqlite_checkpointer.h"

#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <algorithm>
#include <utility>

#include "store/sqlite_support.h"

namespace renrakumo::store {
namespace {

// How long a TRUNCATE checkpoint waits for readers (and, meanwhile, holds new writers back).
constexpr int kBusyMs = 200;

}  // namespace

Result<std::unique_ptr<Checkpointer>> Checkpointer::Start(const std::string& path, int page_size,
                                                          CheckpointOptions options) {
  sqlite3* raw = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) return detail::Describe(path, raw, "cannot open the checkpointer's connection");
  sqlite3_busy_timeout(raw, kBusyMs);
  // FULL: the checkpoint syncs the database file before the WAL may be reused.
  if (sqlite3_exec(raw, "PRAGMA synchronous=FULL", nullptr, nullptr, nullptr) != SQLITE_OK)
    return detail::Describe(path, raw, "cannot set up the checkpointer's connection");
  auto pages = [page_size](int64_t bytes) {
    return static_cast<int>(std::clamp<int64_t>(bytes / std::max(page_size, 512), 1, 1 << 30));
  };
  return std::unique_ptr<Checkpointer>(new Checkpointer(
      path, std::move(db), pages(options.start_bytes), pages(options.limit_bytes)));
}

Checkpointer::Checkpointer(std::string path, Db db, int start_pages, int limit_pages)
    : path_(std::move(path)),
      db_(std::move(db)),
      start_pages_(start_pages),
      limit_pages_(std::max(limit_pages, start_pages)),
      trigger_pages_(start_pages),
      thread_([this] { Run(); }) {
  pthread_setname_np(thread_.native_handle(), "wal checkpoint");  // for `top -H` and `perf`
}

Checkpointer::~Checkpointer() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Checkpointer::NoteCommit(int wal_pages) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    wal_pages_ = wal_pages;
    wake = wal_pages >= trigger_pages_;
  }
  if (wake) wake_.notify_one();
}

void Checkpointer::RunNow() {
  std::unique_lock lock(mutex_);
  const uint64_t ticket = ++requested_;
  wake_.notify_one();
  finished_.wait(lock, [&] { return served_ >= ticket || stop_; });
}

uint64_t Checkpointer::completed() const {
  std::lock_guard lock(mutex_);
  return completed_;
}

void Checkpointer::Run() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [&] { return stop_ || requested_ > served_ || wal_pages_ >= trigger_pages_; });
    if (stop_) break;
    const uint64_t serving = requested_;
    const int pages = wal_pages_;
    wal_pages_ = 0;  // the next commit reports the size anew
    lock.unlock();
    CheckpointOnce(pages);
    lock.lock();
    ++completed_;
    served_ = serving;
    finished_.notify_all();
  }
  finished_.notify_all();
}

void Checkpointer::CheckpointOnce(int wal_pages) {
  const bool force = wal_pages >= limit_pages_;
  int log_frames = 0, done_frames = 0;
  const int rc = sqlite3_wal_checkpoint_v2(
      db_.get(), nullptr, force ? SQLITE_CHECKPOINT_TRUNCATE : SQLITE_CHECKPOINT_PASSIVE,
      &log_frames, &done_frames);
  // SQLITE_BUSY: another checkpoint ran, or readers kept a TRUNCATE from finishing; the next
  // commit past the trigger tries again.
  const bool failed = rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY;
  std::lock_guard lock(mutex_);
  // Caught up (or nothing to do): wait for the WAL to reach start_bytes again. A reader that
  // keeps frames from being copied would otherwise wake the thread at every commit: then wait
  // until the WAL has grown by a quarter of start_bytes before trying again.
  trigger_pages_ = (done_frames >= log_frames) ? start_pages_
                                               : std::max(start_pages_, log_frames + start_pages_ / 4);
  if (failed && !warned_) {
    warned_ = true;
    detail::Logger()->warn("{}", detail::Describe(path_, db_.get(), "cannot checkpoint the WAL")
                                     .message);
  } else if (!failed) {
    warned_ = false;
  }
}

}  // namespace renrakumo::store
