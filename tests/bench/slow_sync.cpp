// An LD_PRELOAD shim for the benchmarks: every fdatasync() and fsync() of the process takes
// RENRAKUMO_SLOW_SYNC_US microseconds longer than the disk needs. This VM's virtio disk
// flushes in ~0.1 ms; real disks take 0.5-5 ms (the figures), and that is where
// group commit must hide the disk. tests/bench/run.sh --slow-sync-us N runs the storm under it,
// and the load generator labels those rows "fsync +N us".
#include <dlfcn.h>
#include <time.h>

#include <cerrno>
#include <cstdlib>

namespace {

using SyncFn = int (*)(int);

SyncFn Next(const char* name) { return reinterpret_cast<SyncFn>(dlsym(RTLD_NEXT, name)); }

void Delay() {
  static const long us = [] {
    const char* text = std::getenv("RENRAKUMO_SLOW_SYNC_US");
    return text == nullptr ? 0L : std::strtol(text, nullptr, 10);
  }();
  if (us <= 0) return;
  timespec left{us / 1'000'000, (us % 1'000'000) * 1000};
  const int saved = errno;  // the caller reads the sync's errno, not the sleep's
  while (nanosleep(&left, &left) != 0 && errno == EINTR) {
  }
  errno = saved;
}

}  // namespace

extern "C" int fdatasync(int fd) {
  static const SyncFn next = Next("fdatasync");
  const int rc = next(fd);
  Delay();
  return rc;
}

extern "C" int fsync(int fd) {
  static const SyncFn next = Next("fsync");
  const int rc = next(fd);
  Delay();
  return rc;
}
