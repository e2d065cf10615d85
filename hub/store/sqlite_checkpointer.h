// Internal to hub/store: checkpoints the journal's WAL from a thread and a connection of its
// own, so that no COMMIT on the event loop ever copies pages into the database file (SQLite's
// auto-checkpoint runs inside the COMMIT that crosses its threshold, on the committing thread).
//
// The loop's connection reports the WAL's size after every commit (its sqlite3_wal_hook, which
// also replaces the auto-checkpoint). Past `start_bytes` the thread runs a PASSIVE checkpoint:
// it copies what no reader still needs and never blocks the writer; once a checkpoint has
// caught up, the writer's next transaction starts the WAL from its beginning again. Past
// `limit_bytes` (passive checkpoints cannot keep up, or a reader holds an old snapshot, e.g.
// a backup) it runs a TRUNCATE checkpoint, which holds new writers back while it copies,
// waiting at most kBusyMs for readers. Durability does not depend on any of this: the WAL is
// synced before the hub answers (wal_syncer.h), and SQLite's recovery replays a WAL left
// behind by a crash, mid-checkpoint or not.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/result.h"
#include "store/sqlite_journal.h"  // CheckpointOptions

struct sqlite3;

namespace renrakumo::store {

class Checkpointer {
 public:
  // Opens a second connection to the journal at path (which must exist, in WAL mode) and
  // starts the thread.
  static Result<std::unique_ptr<Checkpointer>> Start(const std::string& path, int page_size,
                                                     CheckpointOptions options);
  ~Checkpointer();  // stops the thread (after a checkpoint in progress) and closes the connection
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // The writer's connection reports the WAL's size after each commit (from its WAL hook,
  // SqliteJournal::OnWalCommit, on the writer's thread): only notes it and wakes the thread.
  void NoteCommit(int wal_pages);

  // Runs one checkpoint now, as the WAL's size calls for, and returns when it has finished.
  // For tests and tools; the loop never waits for the checkpointer.
  void RunNow();

  uint64_t completed() const;  // checkpoints run so far

 private:
  using Db = SqliteJournal::Db;
  Checkpointer(std::string path, Db db, int start_pages, int limit_pages);
  void Run();
  void CheckpointOnce(int wal_pages);

  std::string path_;
  Db db_;  // used by the thread only
  const int start_pages_;
  const int limit_pages_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable finished_;
  int wal_pages_ = 0;      // the WAL's size (frames) at the writer's last commit
  int trigger_pages_;      // wake up when wal_pages_ reaches this
  uint64_t requested_ = 0; // RunNow() calls; the thread serves each with one checkpoint
  uint64_t served_ = 0;
  uint64_t completed_ = 0;
  bool stop_ = false;
  bool warned_ = false;    // a failing checkpoint is logged once until one succeeds again
  std::thread thread_;     // last: started after everything it uses
};

}  // namespace renrakumo::store
