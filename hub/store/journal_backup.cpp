// BackupJournal (see journal_backup.h).
#include "store/journal_backup.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <set>
#include <vector>

#include "store/sqlite_journal.h"

namespace renrakumo::store {
namespace {

namespace fs = std::filesystem;

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

// Removes the staging directory of hard links however the backup ends.
struct Staging {
  fs::path dir;
  ~Staging() {
    std::error_code ec;
    if (!dir.empty()) fs::remove_all(dir, ec);
  }
};

// Hard-links every segment of `log` not yet in `staging` (a segment deleted meanwhile is
// skipped: it was not needed by anything copied later).
Status LinkSegments(const fs::path& log, const fs::path& staging, std::set<std::string>& linked) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(log, ec)) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() != ".seg" || linked.count(name)) continue;
    if (link(entry.path().c_str(), (staging / name).c_str()) != 0) {
      if (errno == ENOENT) continue;
      return Error{Errno("cannot link " + entry.path().string() + " for the backup")};
    }
    linked.insert(name);
  }
  if (ec) return Error{"cannot list " + log.string() + ": " + ec.message()};
  return Ok{};
}

// Copies a file and syncs the copy.
Status CopySynced(const fs::path& from, const fs::path& to) {
  const int in = open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return Error{Errno("cannot open " + from.string())};
  const int out = open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (out < 0) {
    close(in);
    return Error{Errno("cannot create " + to.string())};
  }
  std::vector<char> buffer(size_t{1} << 20);
  Status status = Ok{};
  while (status) {
    const ssize_t n = read(in, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) status = Error{Errno("cannot read " + from.string())};
    if (n <= 0) break;
    for (ssize_t done = 0; done < n && status;) {
      const ssize_t w = write(out, buffer.data() + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) status = Error{Errno("cannot write " + to.string())};
      else done += w;
    }
  }
  if (status && fsync(out) != 0) status = Error{Errno("cannot sync " + to.string())};
  close(in);
  close(out);
  return status;
}

bool SyncDir(const fs::path& dir) {
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = fsync(fd) == 0;
  close(fd);
  return ok;
}

// SQLite's online backup of the whole file in one step.
Status CopySqlite(const std::string& path, const std::string& dest) {
  sqlite3* source = nullptr;
  sqlite3* target = nullptr;
  auto done = [&](Status status) {
    sqlite3_close(source);
    sqlite3_close(target);
    return status;
  };
  if (sqlite3_open_v2(path.c_str(), &source, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK)
    return done(Error{"cannot open journal " + path + " to back it up: " + sqlite3_errmsg(source)});
  if (sqlite3_open_v2(dest.c_str(), &target, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK)
    return done(Error{"cannot create " + dest + ": " + sqlite3_errmsg(target)});
  sqlite3_busy_timeout(source, 5000);
  sqlite3_backup* backup = sqlite3_backup_init(target, "main", source, "main");
  if (backup == nullptr)
    return done(Error{"cannot start the backup of " + path + ": " + sqlite3_errmsg(target)});
  int rc;
  while ((rc = sqlite3_backup_step(backup, -1)) == SQLITE_BUSY || rc == SQLITE_LOCKED)
    sqlite3_sleep(50);
  sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE)
    return done(Error{"the backup of " + path + " failed: " + sqlite3_errstr(rc)});
  return done(Ok{});
}

}  // namespace

Result<std::string> BackupJournal(const std::string& path, const std::string& dest) {
  std::error_code ec;
  const fs::path log = path + ".log";
  const fs::path dest_log = dest + ".log";
  if (!fs::exists(path, ec)) return Error{"there is no journal at " + path};
  if (fs::exists(dest, ec) || fs::exists(dest_log, ec))
    return Error{dest + " (or " + dest_log.string() + ") exists already: name a new file"};
  // Whatever stops the backup removes the part of the copy already made: half a copy must
  // never pass for a backup, and its name stays free for the next try.
  auto abandon = [&](const std::string& why) {
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(dest + suffix, ec);
    fs::remove_all(dest_log, ec);
    return Error{why};
  };
  const bool has_log = fs::is_directory(log, ec);
  Staging staging;
  std::set<std::string> linked;
  if (has_log) {
    const auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
    staging.dir = log / ("backup-" + std::to_string(getpid()) + "-" + std::to_string(stamp));
    if (!fs::create_directory(staging.dir, ec))
      return Error{"cannot create " + staging.dir.string() + ": " + ec.message() +
                   " (the backup needs the log's own filesystem for hard links)"};
    if (auto s = LinkSegments(log, staging.dir, linked); !s) return Error{s.error()};
  }
  if (auto s = CopySqlite(path, dest); !s) return abandon(s.error());
  if (has_log) {
    if (auto s = LinkSegments(log, staging.dir, linked); !s) return abandon(s.error());
    if (!fs::create_directory(dest_log, ec))
      return abandon("cannot create " + dest_log.string() + ": " + ec.message());
    for (const auto& name : linked) {
      if (auto s = CopySynced(staging.dir / name, dest_log / name); !s) return abandon(s.error());
    }
    if (!SyncDir(dest_log)) return abandon(Errno("cannot sync " + dest_log.string()));
  }
  const fs::path parent = fs::path(dest).parent_path();
  if (!SyncDir(parent.empty() ? fs::path(".") : parent))
    return abandon(Errno("cannot sync the directory of " + dest));
  // The check: open the copy as the hub would (integrity, every record, every stream), and
  // read every envelope of its log against its record's hash. A copy that fails holds the
  // journal's own damage.
  auto failed = [&](const std::string& why) {
    return abandon("the copy " + dest + " failed its check and was removed: " + why +
                   " (the journal itself holds this damage: see docs/operations.md, \"Backup "
                   "and restore\")");
  };
  uint64_t messages = 0;
  {
    JournalOptions check;
    check.log_verify_bodies = true;
    auto copy = OpenJournal(dest, check);
    if (!copy) return failed(copy.error());
    auto scanned = (*copy)->ScanMessages([&](const core::StoredMessage&) { ++messages; }, 0);
    if (!scanned) {
      copy->reset();
      return failed(scanned.error());
    }
  }
  return "backed up " + path + " to " + dest + (has_log ? " and " + dest_log.string() : "") +
         ": " + std::to_string(messages) + " messages, checked by opening the copy and reading "
         "every record" + (has_log ? " (" + std::to_string(linked.size()) + " log segments)" : "");
}

}  // namespace renrakumo::store
