// The journal's record log (see segment_log.h).
#include "store/segment_log.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <vector>

#include "store/sqlite_support.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace renrakumo::store {
namespace {

constexpr char kFileMagic[8] = {'R', 'N', 'R', 'K', 'S', 'E', 'G', '1'};
constexpr char kRecordMagic[4] = {'R', 'R', 'E', 'C'};
constexpr uint64_t kFileHeader = 32;
constexpr uint64_t kRecordHeader = 40;
constexpr size_t kSegmentNameDigits = 20;

void PutU32(char* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>(v >> (8 * i));
}
void PutU64(char* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(v >> (8 * i));
}
uint32_t GetU32(const char* in) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}
uint64_t GetU64(const char* in) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

std::string DiskAdvice(int err) {
  if (err == ENOSPC || err == EDQUOT)
    return " The disk is full: free space on it (or move the journal), then restart the hub.";
  return " Check the disk (dmesg) and the journal directory's permissions.";
}

// The record's check hash: the head, seeded with the hash of the header's first 32 bytes.
uint64_t CheckHash(const char* header, std::string_view head) {
  return XXH3_64bits_withSeed(head.data(), head.size(), XXH3_64bits(header, 32));
}

// Reads exactly size bytes at offset; false (errno set, or 0 at end of file) otherwise.
bool ReadAt(int fd, uint64_t offset, char* out, uint64_t size) {
  while (size > 0) {
    const ssize_t n = pread(fd, out, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = 0;
      return false;
    }
    out += n;
    offset += static_cast<uint64_t>(n);
    size -= static_cast<uint64_t>(n);
  }
  return true;
}

bool WriteAt(int fd, uint64_t offset, const char* data, uint64_t size) {
  while (size > 0) {
    const ssize_t n = pwrite(fd, data, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    offset += static_cast<uint64_t>(n);
    size -= static_cast<uint64_t>(n);
  }
  return true;
}

bool SyncDir(const std::string& dir) {
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = fsync(fd) == 0;
  const int err = errno;
  close(fd);
  errno = err;
  return ok;
}

}  // namespace

struct SegmentLog::File {
  File(int descriptor, uint64_t segment) : fd(descriptor), number(segment) {}
  ~File() {
    if (fd >= 0) close(fd);
  }
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  int fd;
  uint64_t number;
};

SegmentLog::SegmentLog(std::string dir, SegmentLogOptions options, int lock_fd)
    : dir_(std::move(dir)), options_(options), lock_fd_(lock_fd) {}

SegmentLog::~SegmentLog() {
  if (lock_fd_ >= 0) close(lock_fd_);  // releases the flock
}

std::string SegmentLog::SegmentPath(uint64_t segment) const {
  std::string digits = std::to_string(segment);
  return dir_ + "/" + std::string(kSegmentNameDigits - digits.size(), '0') + digits + ".seg";
}

Result<std::unique_ptr<SegmentLog>> SegmentLog::Open(const std::string& dir,
                                                     const SegmentLogOptions& options,
                                                     const Visit& visit,
                                                     SegmentLogOpened* opened_out) {
  namespace fs = std::filesystem;
  const std::string where = "journal log " + dir;
  if (options.segment_bytes < kFileHeader + kRecordHeader)
    return Error{where + ": segment_bytes must be at least " +
                 std::to_string(kFileHeader + kRecordHeader)};
  std::error_code ec;
  const bool created = fs::create_directories(dir, ec);
  if (ec) return Error{where + ": cannot create the directory: " + ec.message()};
  if (created) {
    const fs::path parent = fs::path(dir).parent_path();
    if (!SyncDir(parent.empty() ? std::string(".") : parent.string()))
      return Error{Errno(where + ": cannot sync the directory holding it")};
  }
  const std::string lock_path = dir + "/LOCK";
  const int lock_fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd < 0) return Error{Errno(where + ": cannot open " + lock_path)};
  if (flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    close(lock_fd);
    if (err == EWOULDBLOCK)
      return Error{where + " is open in another process (another hub on the same journal?): " +
                   "stop that one first"};
    errno = err;
    return Error{Errno(where + ": cannot lock " + lock_path)};
  }
  std::unique_ptr<SegmentLog> log(new SegmentLog(dir, options, lock_fd));

  std::vector<uint64_t> segments;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() < 4 || name.compare(name.size() - 4, 4, ".seg") != 0) continue;
    const std::string digits = name.substr(0, name.size() - 4);
    if (digits.size() != kSegmentNameDigits ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return Error{where + ": " + name + " is not a segment of this log (segments are named by " +
                   "20 digits): move it out of the directory"};
    segments.push_back(std::stoull(digits));
  }
  if (ec) return Error{where + ": cannot list the directory: " + ec.message()};
  std::sort(segments.begin(), segments.end());
  for (size_t i = 1; i < segments.size(); ++i) {
    if (segments[i] != segments[i - 1] + 1)
      return Error{where + ": segment " + std::to_string(segments[i - 1] + 1) +
                   " is missing (the files go from " + std::to_string(segments[i - 1]) + " to " +
                   std::to_string(segments[i]) + "): files were deleted behind the hub's back. " +
                   detail::kRestore};
  }
  SegmentLogOpened opened;
  if (segments.empty()) {
    if (auto made = log->CreateSegment(1, 1); !made) return Error{made.error()};
  } else {
    for (size_t i = 0; i < segments.size(); ++i) {
      const bool last = i + 1 == segments.size();
      const std::string path = log->SegmentPath(segments[i]);
      const int fd = open(path.c_str(), (last ? O_RDWR : O_RDONLY) | O_CLOEXEC);
      if (fd < 0) return Error{Errno(where + ": cannot open " + path)};
      log->files_[segments[i]] = std::make_shared<File>(fd, segments[i]);
      if (auto scanned = log->Scan(segments[i], last, visit, opened); !scanned)
        return Error{scanned.error()};
    }
    log->current_ = segments.back();
    std::lock_guard lock(log->sync_mutex_);
    log->sync_file_ = log->files_[log->current_];
  }
  if (opened_out != nullptr) *opened_out = opened;
  return log;
}

Status SegmentLog::CreateSegment(uint64_t number, uint64_t first_record) {
  const std::string path = SegmentPath(number);
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Error{Errno("journal log " + dir_ + ": cannot create " + path)};
  auto file = std::make_shared<File>(fd, number);
  std::array<char, kFileHeader> header{};
  std::memcpy(header.data(), kFileMagic, sizeof kFileMagic);
  PutU64(header.data() + 8, number);
  PutU64(header.data() + 16, first_record);
  PutU64(header.data() + 24, XXH3_64bits(header.data(), 24));
  if (!WriteAt(fd, 0, header.data(), header.size()) || fdatasync(fd) != 0 || !SyncDir(dir_)) {
    const int err = errno;
    Error error{Errno("journal log " + dir_ + ": cannot create " + path) + "." + DiskAdvice(err)};
    unlink(path.c_str());
    return error;
  }
  files_[number] = file;
  current_ = number;
  end_ = kFileHeader;
  next_record_ = first_record;
  std::lock_guard lock(sync_mutex_);
  sync_file_ = std::move(file);
  return Ok{};
}

Status SegmentLog::Scan(uint64_t segment, bool last, const Visit& visit,
                        SegmentLogOpened& opened) {
  const std::string path = SegmentPath(segment);
  const int fd = files_[segment]->fd;
  struct stat st{};
  if (fstat(fd, &st) != 0) return Error{Errno("journal log " + dir_ + ": cannot stat " + path)};
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  auto damaged = [&](uint64_t offset, const std::string& why) {
    return Error{"journal log " + dir_ + ": " + path + " is damaged at offset " +
                 std::to_string(offset) + ": " + why + ". " + detail::kRestore};
  };
  const bool first_segment = segment == files_.begin()->first;

  // The file header. A last segment no longer than its header, with a bad one, was being
  // created when the process stopped (creation syncs the header before any record goes in).
  std::array<char, kFileHeader> header{};
  const bool header_read = size >= kFileHeader && ReadAt(fd, 0, header.data(), kFileHeader);
  const bool header_ok = header_read && std::memcmp(header.data(), kFileMagic, 8) == 0 &&
                         GetU64(header.data() + 24) == XXH3_64bits(header.data(), 24);
  if (!header_ok) {
    if (!last || size > kFileHeader) return damaged(0, "its file header is not a segment's");
    if (first_segment) return damaged(0, "the log's only segment has no valid header");
    detail::Logger()->warn("journal log {}: {} was being created when the hub stopped; created again",
                   dir_, path);
    files_.erase(segment);
    if (unlink(path.c_str()) != 0) return Error{Errno("journal log " + dir_ + ": cannot remove " + path)};
    opened.bytes_cut += size;
    return CreateSegment(segment, next_record_);
  }
  if (GetU64(header.data() + 8) != segment)
    return damaged(0, "it says it is segment " + std::to_string(GetU64(header.data() + 8)));
  const uint64_t first_record = GetU64(header.data() + 16);
  if (first_segment) next_record_ = first_record;
  else if (first_record != next_record_)
    return damaged(0, "it starts at record " + std::to_string(first_record) + " where record " +
                          std::to_string(next_record_) + " was expected");

  uint64_t offset = kFileHeader;
  std::string head;
  std::string chunk;
  while (offset < size) {
    // A torn write: in the last segment it was never covered by a sync, so cut it off.
    std::string torn;
    std::array<char, kRecordHeader> rh{};
    uint32_t head_size = 0;
    uint32_t body_size = 0;
    if (size - offset < kRecordHeader || !ReadAt(fd, offset, rh.data(), kRecordHeader)) {
      torn = "the file ends inside a record's header";
    } else if (std::memcmp(rh.data(), kRecordMagic, 4) != 0 || GetU32(rh.data() + 12) != 0) {
      torn = "no record starts there";
    } else {
      head_size = GetU32(rh.data() + 4);
      body_size = GetU32(rh.data() + 8);
      if (size - offset - kRecordHeader < uint64_t{head_size} + body_size) {
        torn = "the file ends inside the record";
      } else {
        head.resize(head_size);
        if (!ReadAt(fd, offset + kRecordHeader, head.data(), head_size))
          return Error{Errno("journal log " + dir_ + ": cannot read " + path)};
        if (GetU64(rh.data() + 32) != CheckHash(rh.data(), head)) {
          torn = "the record's header or head does not match its hash";
        } else if (last || options_.verify_bodies) {
          XXH3_state_t state;
          XXH3_64bits_reset(&state);
          uint64_t at = offset + kRecordHeader + head_size;
          uint64_t left = body_size;
          chunk.resize(std::min<uint64_t>(left, uint64_t{1} << 20));
          while (left > 0) {
            const uint64_t n = std::min<uint64_t>(left, chunk.size());
            if (!ReadAt(fd, at, chunk.data(), n))
              return Error{Errno("journal log " + dir_ + ": cannot read " + path)};
            XXH3_64bits_update(&state, chunk.data(), n);
            at += n;
            left -= n;
          }
          if (XXH3_64bits_digest(&state) != GetU64(rh.data() + 24))
            torn = "the record's body does not match its hash";
        }
      }
    }
    if (!torn.empty()) {
      if (!last) return damaged(offset, torn + " (in a sealed segment, which was synced whole)");
      if (ftruncate(fd, static_cast<off_t>(offset)) != 0 || fdatasync(fd) != 0)
        return Error{Errno("journal log " + dir_ + ": cannot cut the torn tail of " + path)};
      detail::Logger()->warn(
          "journal log {}: {} ends in a record no sync had covered ({}), as after a crash: cut "
          "{} bytes at offset {}. Nothing in them was ever answered; senders retry it",
          dir_, path, torn, size - offset, offset);
      opened.bytes_cut += size - offset;
      break;
    }
    const uint64_t record = GetU64(rh.data() + 16);
    if (record != next_record_)
      return damaged(offset, "it holds record " + std::to_string(record) + " where record " +
                                 std::to_string(next_record_) + " was expected");
    const RecordRef ref{record, segment, offset, head_size, body_size};
    if (auto visited = visit(ref, head); !visited) return visited;
    ++next_record_;
    ++opened.records;
    offset += kRecordHeader + head_size + body_size;
  }
  if (last) end_ = std::min(offset, size);
  return Ok{};
}

Status SegmentLog::Rotate() {
  const std::string path = SegmentPath(current_);
  if (fdatasync(files_[current_]->fd) != 0) {
    const int err = errno;
    return Error{Errno("journal log " + dir_ + ": cannot sync " + path + " to seal it") + "." +
                 DiskAdvice(err)};
  }
  return CreateSegment(current_ + 1, next_record_);
}

Result<RecordRef> SegmentLog::Append(std::string_view head,
                                     std::span<const std::string_view> body) {
  if (broken_) return Error{broken_reason_};
  uint64_t body_size = 0;
  for (const auto& part : body) body_size += part.size();
  if (head.size() > UINT32_MAX || body_size > UINT32_MAX)
    return Error{"journal log " + dir_ + ": a record of " + std::to_string(head.size()) + " + " +
                 std::to_string(body_size) + " bytes is larger than a record may be (4 GiB " +
                 "per part): lower limits.max_batch"};
  if (end_ >= options_.segment_bytes) {
    if (auto rotated = Rotate(); !rotated) return Error{rotated.error()};
  }
  uint64_t body_hash = 0;
  if (body.size() == 1) {
    body_hash = XXH3_64bits(body[0].data(), body[0].size());
  } else {
    XXH3_state_t state;
    XXH3_64bits_reset(&state);
    for (const auto& part : body) XXH3_64bits_update(&state, part.data(), part.size());
    body_hash = XXH3_64bits_digest(&state);
  }
  std::array<char, kRecordHeader> rh{};
  std::memcpy(rh.data(), kRecordMagic, 4);
  PutU32(rh.data() + 4, static_cast<uint32_t>(head.size()));
  PutU32(rh.data() + 8, static_cast<uint32_t>(body_size));
  PutU64(rh.data() + 16, next_record_);
  PutU64(rh.data() + 24, body_hash);
  PutU64(rh.data() + 32, CheckHash(rh.data(), head));

  std::vector<iovec> iov;
  iov.reserve(2 + body.size());
  auto add = [&iov](const void* data, size_t size) {
    if (size > 0) iov.push_back(iovec{const_cast<void*>(data), size});
  };
  add(rh.data(), rh.size());
  add(head.data(), head.size());
  for (const auto& part : body) add(part.data(), part.size());

  const int fd = files_[current_]->fd;
  uint64_t at = end_;
  size_t next = 0;
  while (next < iov.size()) {
    const int count = static_cast<int>(std::min<size_t>(iov.size() - next, IOV_MAX));
    const ssize_t n = pwritev(fd, iov.data() + next, count, static_cast<off_t>(at));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : EIO;
      Error error{"journal log " + dir_ + ": cannot write record " +
                  std::to_string(next_record_) + " to " + SegmentPath(current_) + ": " +
                  std::strerror(err) + "." + DiskAdvice(err)};
      if (ftruncate(fd, static_cast<off_t>(end_)) != 0) {
        broken_ = true;
        broken_reason_ = error.message + " Removing the partial record failed too (" +
                         std::strerror(errno) + "), so the log takes no more records until " +
                         "the hub restarts";
        return Error{broken_reason_};
      }
      return error;
    }
    at += static_cast<uint64_t>(n);
    size_t written = static_cast<size_t>(n);
    while (next < iov.size() && written >= iov[next].iov_len) written -= iov[next++].iov_len;
    if (written > 0) {
      iov[next].iov_base = static_cast<char*>(iov[next].iov_base) + written;
      iov[next].iov_len -= written;
    }
  }
  const RecordRef ref{next_record_, current_, end_, static_cast<uint32_t>(head.size()),
                      static_cast<uint32_t>(body_size)};
  end_ = at;
  ++next_record_;
  return ref;
}

Status SegmentLog::Sync() {
  std::shared_ptr<const File> file;
  {
    std::lock_guard lock(sync_mutex_);
    file = sync_file_;
  }
  if (fdatasync(file->fd) != 0) {
    const int err = errno;
    return Error{Errno("journal log " + dir_ + ": fdatasync of " + SegmentPath(file->number) +
                       " failed") + "." + DiskAdvice(err)};
  }
  return Ok{};
}

Status SegmentLog::ReadHead(const RecordRef& ref, std::string& out) const {
  return ReadRange(ref, kRecordHeader, ref.head_size, out);
}

Status SegmentLog::ReadBody(const RecordRef& ref, uint64_t offset, uint64_t size,
                            std::string& out) const {
  if (offset > ref.body_size || size > ref.body_size - offset)
    return Error{"journal log " + dir_ + ": bytes " + std::to_string(offset) + ".." +
                 std::to_string(offset + size) + " lie outside the " +
                 std::to_string(ref.body_size) + "-byte body of record " +
                 std::to_string(ref.record) + ". " + detail::kRestore};
  return ReadRange(ref, kRecordHeader + ref.head_size + offset, size, out);
}

Status SegmentLog::ReadRange(const RecordRef& ref, uint64_t from, uint64_t size,
                             std::string& out) const {
  const auto it = files_.find(ref.segment);
  const std::string what =
      "record " + std::to_string(ref.record) + " (segment " + std::to_string(ref.segment) + ")";
  if (it == files_.end())
    return Error{"journal log " + dir_ + ": " + what + " is in a segment no longer kept"};
  out.resize(size);
  if (size == 0) return Ok{};
  if (!ReadAt(it->second->fd, ref.offset + from, out.data(), size)) {
    if (errno == 0)
      return Error{"journal log " + dir_ + ": " + what + " lies past the end of " +
                   SegmentPath(ref.segment) + ". " + detail::kRestore};
    return Error{Errno("journal log " + dir_ + ": cannot read " + what + " from " +
                       SegmentPath(ref.segment))};
  }
  return Ok{};
}

Result<uint64_t> SegmentLog::DeleteSegmentsBefore(uint64_t segment) {
  uint64_t deleted = 0;
  while (!files_.empty() && files_.begin()->first < segment && files_.begin()->first != current_) {
    const std::string path = SegmentPath(files_.begin()->first);
    if (unlink(path.c_str()) != 0 && errno != ENOENT)
      return Error{Errno("journal log " + dir_ + ": cannot delete " + path)};
    files_.erase(files_.begin());
    ++deleted;
  }
  if (deleted > 0 && !SyncDir(dir_))
    return Error{Errno("journal log " + dir_ + ": cannot sync the directory after deleting " +
                       "old segments")};
  return deleted;
}

uint64_t SegmentLog::bytes() const {
  uint64_t total = 0;
  for (const auto& [number, file] : files_) {
    struct stat st{};
    if (fstat(file->fd, &st) == 0) total += static_cast<uint64_t>(st.st_size);
  }
  return total;
}

}  // namespace renrakumo::store
