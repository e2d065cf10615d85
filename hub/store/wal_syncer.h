// Internal to hub/store: makes the journal's WAL durable from a thread of its own, so that the
// event loop commits a batch and goes on deciding the next one while the disk syncs (group
// commit across two threads instead of a loop that stops for every fdatasync).
//
// The loop's connection runs with synchronous=NORMAL: a COMMIT writes its WAL frames with
// pwrite() and returns without syncing. Request(g) asks the thread to fdatasync the WAL file;
// every frame written before the request is then on disk, so the thread reports g as durable
// and makes notify_fd() readable. The hub answers and publishes only what a finished sync
// covers: what a client was told is never lost by a power cut, exactly as with FULL.
//
// SQLite's recovery replays only a WAL whose frames and header checksums are valid, from the
// start: a crash between a COMMIT and its sync can lose that transaction and those after it,
// never one before it, and never leaves a hole. The checkpointer's connection keeps
// synchronous=FULL, so the database file is synced before the WAL is reused.
//
// The WAL is opened anew for each sync (a handful of syscalls per batch), so a WAL that SQLite
// recreated is still the one synced; the first sync of every new WAL file also syncs its
// directory, which makes the file's name durable. A WAL that is missing is an error, never
// "nothing to sync": the journal is open in WAL mode, so SQLite keeps the file.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/result.h"

namespace renrakumo::store {

class WalSyncer {
 public:
  // Syncs the WAL file at wal_path: the name SQLite itself uses (sqlite3_filename_wal), which
  // is not always the journal's path + "-wal" (SQLite resolves a symlinked journal first).
  // Starts the thread.
  static Result<std::unique_ptr<WalSyncer>> Start(const std::string& wal_path);
  // The same thread around another way of syncing (LogJournal: its log, then its WAL): `sync`
  // runs on the thread and returns why it failed, or nothing. `name` is for error messages.
  using SyncFunction = std::function<std::optional<std::string>()>;
  static Result<std::unique_ptr<WalSyncer>> Start(const std::string& name, SyncFunction sync);
  ~WalSyncer();  // finishes a sync in progress, then stops
  WalSyncer(const WalSyncer&) = delete;
  WalSyncer& operator=(const WalSyncer&) = delete;

  // Syncs everything written to the WAL so far; when done, durable() >= generation and
  // notify_fd() is readable. Requests made while a sync runs are served together by the next.
  void Request(uint64_t generation);
  uint64_t durable() const { return durable_.load(std::memory_order_acquire); }
  // An eventfd: each finished sync adds to its counter.
  int notify_fd() const { return event_fd_; }
  // Set (and never cleared) when a sync failed; durable() no longer advances.
  std::optional<std::string> failure() const;
  // Blocks until durable() >= generation (true) or a sync failed (false).
  bool Wait(uint64_t generation);
  // fdatasync of the WAL at wal_path, and of its directory when the file's inode is not
  // synced_inode (a WAL SQLite created anew): what the thread does by default.
  static std::optional<std::string> SyncWal(const std::string& wal_path, uint64_t& synced_inode);
  // Syncs made so far (tests and metrics).
  uint64_t syncs() const { return syncs_.load(std::memory_order_relaxed); }

 private:
  WalSyncer(std::string wal_path, int event_fd, SyncFunction sync = {});
  void Run();
  // fdatasync of the WAL (and its directory when the WAL is a file not synced before).
  std::optional<std::string> SyncOnce();

  const std::string wal_path_;
  const int event_fd_;
  const SyncFunction sync_;    // when set, what SyncOnce() does instead of syncing wal_path_
  uint64_t synced_inode_ = 0;  // the WAL file whose directory entry is known to be durable
  std::atomic<uint64_t> durable_{0};
  std::atomic<uint64_t> syncs_{0};
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable finished_;
  uint64_t requested_ = 0;
  bool stop_ = false;
  std::optional<std::string> failure_;
  std::thread thread_;  // last: started after everything it uses
};

}  // namespace renrakumo::store
