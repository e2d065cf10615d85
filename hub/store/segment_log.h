// The record log of the log-structured journal (docs/journal-log.md, part 1): numbered records
// appended to segment files in one directory, each checked by XXH3 hashes so that opening finds
// a torn tail (cut off) and damage (refused).
//
// A record is two parts: a head (the journal's metadata, read back at open) and a body (the
// envelopes, read only when asked for). Append() writes one record with one pwritev on the
// caller's thread; it is durable once a Sync() that started after it returned. Sync() may run
// on another thread while Append() runs.
//
// Files: DIR/LOCK (held with flock while the log is open: one process at a time) and
// DIR/<20-digit segment number>.seg. A segment starts with a 32-byte file header (magic,
// its number, the number of its first record, hash), then records:
//
//   offset  size
//        0     4  magic "RREC"
//        4     4  head size (little-endian)
//        8     4  body size
//       12     4  zero (reserved)
//       16     8  record number
//       24     8  XXH3-64 of the body
//       32     8  XXH3-64 of the head, seeded with XXH3-64 of bytes 0..32 (covers the header)
//       40        head, then body
//
// Rotation: once the current segment holds segment_bytes or more, the next Append() syncs it
// (it is then sealed: synced whole, never written again), creates the next segment and syncs
// the directory before writing into it. So at open a bad record in a sealed segment is damage,
// while in the last segment it can only be a write no sync ever covered (a crash): that record
// and everything after it were never reported durable, and the segment is cut there.
//
// Not thread-safe apart from Sync(): one thread appends, reads and deletes.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"

namespace renrakumo::store {

struct SegmentLogOptions {
  uint64_t segment_bytes = uint64_t{64} << 20;  // a segment is sealed once it reaches this
  // Open() checks every record's head; with this also every body (it reads the whole log).
  // The last segment's bodies are always checked: that is where a torn write can be.
  bool verify_bodies = false;
};

// Where a record is, as Append() and Open() report it.
struct RecordRef {
  uint64_t record = 0;   // its number: 1, 2, ... in the order appended, never reused
  uint64_t segment = 0;  // the segment file holding it
  uint64_t offset = 0;   // its header's offset in that file
  uint32_t head_size = 0;
  uint32_t body_size = 0;
};

// What Open() found.
struct SegmentLogOpened {
  uint64_t records = 0;     // valid records visited
  uint64_t bytes_cut = 0;   // bytes removed from the last segment's torn tail (0: none)
};

class SegmentLog {
 public:
  // Called by Open() for every valid record, in order, with its head. An Error stops the open
  // and is returned.
  using Visit = std::function<Status(const RecordRef& ref, std::string_view head)>;

  // Opens the log in dir, creating dir and the first segment if there is none. Refuses (with a
  // sentence naming the file) a log another process has open, a segment that is not one, a
  // gap in the segments' numbers or records, and a bad record in a sealed segment. Cuts a bad
  // tail off the last segment, logs it, and reports it in `opened`.
  static Result<std::unique_ptr<SegmentLog>> Open(const std::string& dir,
                                                  const SegmentLogOptions& options,
                                                  const Visit& visit,
                                                  SegmentLogOpened* opened = nullptr);
  ~SegmentLog();
  SegmentLog(const SegmentLog&) = delete;
  SegmentLog& operator=(const SegmentLog&) = delete;

  // Appends one record: head, then the body parts concatenated. On failure nothing of it
  // remains in the file (a partial write is truncated away); if even that fails the log
  // refuses every later Append, since the file's end is no longer known.
  Result<RecordRef> Append(std::string_view head, std::span<const std::string_view> body);

  // Makes every record appended before the call durable (fdatasync of the current segment;
  // sealed ones were synced when sealed). Safe to call from another thread than Append's.
  Status Sync();

  // The record's head, or `size` bytes of its body from `offset`; checks the bounds against
  // the record, not the hashes.
  Status ReadHead(const RecordRef& ref, std::string& out) const;
  Status ReadBody(const RecordRef& ref, uint64_t offset, uint64_t size, std::string& out) const;

  // Deletes every sealed segment numbered below `segment` (never the current one) and syncs
  // the directory. Returns how many files it deleted.
  Result<uint64_t> DeleteSegmentsBefore(uint64_t segment);

  uint64_t next_record() const { return next_record_; }
  uint64_t current_segment() const { return current_; }
  uint64_t first_segment() const { return files_.begin()->first; }
  // Bytes in the segments (file headers included).
  uint64_t bytes() const;
  const std::string& dir() const { return dir_; }

 private:
  struct File;
  SegmentLog(std::string dir, SegmentLogOptions options, int lock_fd);
  std::string SegmentPath(uint64_t segment) const;
  // Syncs the current segment, creates the next one and syncs the directory.
  Status Rotate();
  // Creates segment `number` whose first record is `first_record`, synced with its directory.
  Status CreateSegment(uint64_t number, uint64_t first_record);
  // Reads and checks one segment, visiting its records; `last` allows cutting a torn tail.
  Status Scan(uint64_t segment, bool last, const Visit& visit, SegmentLogOpened& opened);
  // `size` bytes of the record from `from` (counted from its header's first byte).
  Status ReadRange(const RecordRef& ref, uint64_t from, uint64_t size, std::string& out) const;

  std::string dir_;
  SegmentLogOptions options_;
  int lock_fd_ = -1;
  std::map<uint64_t, std::shared_ptr<File>> files_;  // by segment number; the last is current
  uint64_t current_ = 0;
  uint64_t end_ = 0;           // the current segment's size: where the next record goes
  uint64_t next_record_ = 1;
  bool broken_ = false;        // a failed append could not be undone
  std::string broken_reason_;
  mutable std::mutex sync_mutex_;  // guards which descriptor Sync() uses against Rotate()
  std::shared_ptr<const File> sync_file_;
  std::string header_buffer_;  // reused by Append
};

}  // namespace renrakumo::store
