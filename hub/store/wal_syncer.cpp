// The journal's WAL sync thread (see wal_syncer.h).
#include "store/wal_syncer.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

namespace renrakumo::store {
namespace {

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

// Closes a descriptor at the end of a scope.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

}  // namespace

Result<std::unique_ptr<WalSyncer>> WalSyncer::Start(const std::string& wal_path) {
  const int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) return Error{Errno("cannot create the eventfd of the syncer of " + wal_path)};
  return std::unique_ptr<WalSyncer>(new WalSyncer(wal_path, fd));
}

Result<std::unique_ptr<WalSyncer>> WalSyncer::Start(const std::string& name, SyncFunction sync) {
  const int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) return Error{Errno("cannot create the eventfd of the syncer of " + name)};
  return std::unique_ptr<WalSyncer>(new WalSyncer(name, fd, std::move(sync)));
}

WalSyncer::WalSyncer(std::string wal_path, int event_fd, SyncFunction sync)
    : wal_path_(std::move(wal_path)),
      event_fd_(event_fd),
      sync_(std::move(sync)),
      thread_([this] { Run(); }) {
  // Named for `top -H`, `perf` and the load generator's CPU split (15 characters at most); by
  // its creator, so the name is there as soon as the syncer is.
  pthread_setname_np(thread_.native_handle(), "journal sync");
}

WalSyncer::~WalSyncer() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  finished_.notify_all();
  thread_.join();
  close(event_fd_);
}

void WalSyncer::Request(uint64_t generation) {
  {
    std::lock_guard lock(mutex_);
    if (generation <= requested_) return;
    requested_ = generation;
  }
  wake_.notify_one();
}

bool WalSyncer::Wait(uint64_t generation) {
  std::unique_lock lock(mutex_);
  finished_.wait(lock, [&] { return durable() >= generation || failure_.has_value() || stop_; });
  return durable() >= generation;
}

std::optional<std::string> WalSyncer::failure() const {
  std::lock_guard lock(mutex_);
  return failure_;
}

void WalSyncer::Run() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [&] { return stop_ || (!failure_ && requested_ > durable()); });
    if (stop_) break;
    // Every frame of transactions up to `target` was written before it was requested.
    const uint64_t target = requested_;
    lock.unlock();
    std::optional<std::string> failed = SyncOnce();
    lock.lock();
    if (failed) {
      failure_ = std::move(failed);
    } else {
      durable_.store(target, std::memory_order_release);
      syncs_.fetch_add(1, std::memory_order_relaxed);
    }
    finished_.notify_all();
    // Woken either way: on failure the loop reads failure() and stops.
    const uint64_t one = 1;
    if (write(event_fd_, &one, sizeof one) < 0 && errno != EAGAIN) {
      if (!failure_) failure_ = Errno("cannot signal a finished WAL sync");
    }
  }
}

std::optional<std::string> WalSyncer::SyncOnce() {
  if (sync_) return sync_();
  return SyncWal(wal_path_, synced_inode_);
}

std::optional<std::string> WalSyncer::SyncWal(const std::string& wal_path, uint64_t& synced_inode) {
  const std::filesystem::path parent = std::filesystem::path(wal_path).parent_path();
  const std::string dir_path = parent.empty() ? std::string(".") : parent.string();
  Fd wal{open(wal_path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (wal.fd < 0) return Errno("cannot open " + wal_path + " to sync it");
  struct stat st{};
  if (fstat(wal.fd, &st) != 0) return Errno("cannot stat " + wal_path);
  if (fdatasync(wal.fd) != 0) return Errno("fdatasync of " + wal_path + " failed");
  if (static_cast<uint64_t>(st.st_ino) != synced_inode) {
    // A new WAL file: its name must survive a power cut too.
    Fd dir{open(dir_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    if (dir.fd < 0) return Errno("cannot open " + dir_path + " to sync the WAL's directory entry");
    if (fsync(dir.fd) != 0) return Errno("fsync of directory " + dir_path + " failed");
    synced_inode = static_cast<uint64_t>(st.st_ino);
  }
  return std::nullopt;
}

}  // namespace renrakumo::store
