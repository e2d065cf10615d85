// The packed rows of schema version 6 (see sqlite_journal.h): a batch as Append() builds it,
// reading envelopes back out of a batch, and converting an older journal's per-message rows.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/journal.h"
#include "core/result.h"
#include "renrakumo/v1/journal.pb.h"

struct sqlite3;
struct sqlite3_blob;
struct sqlite3_stmt;

namespace renrakumo::store {

// One journal transaction's messages before they are written: the directory, the envelopes
// concatenated in entry order, and per stream the batch reaches its first and last seq (the
// seqs in between are all the batch's, in entry order).
// The journal keeps one and Clear()s it for every batch: the cleared entries, their strings
// and the envelopes' buffer keep their memory, so that a batch allocates (and page-faults in
// a fresh half-megabyte buffer) almost nothing.
struct PackedBatch {
  void Clear() {
    directory.Clear();
    envelopes.clear();
    oldest_ms = 0;
    runs.clear();
  }
  v1::JournalBatch directory;
  std::string envelopes;
  int64_t oldest_ms = 0;  // the earliest accepted_at_ms of its entries
  std::unordered_map<std::string, std::pair<uint64_t, uint64_t>> runs;
};

namespace detail {

// Whether the entry's envelope lies within a batch's `stored` bytes of envelopes (a directory
// that points past them was changed behind the hub's back).
inline bool EnvelopeWithin(const v1::JournalEntry& entry, uint64_t stored) {
  return entry.envelope_offset() <= stored &&
         entry.envelope_size() <= stored - entry.envelope_offset();
}

// A stored entry's deliveries still above their stream's floor, ordered by stream, then seq
// (what Journal::Find answers; both journals' directories hold JournalEntry).
std::vector<core::Position> LiveDeliveries(const v1::JournalEntry& entry,
                                           const std::function<uint64_t(const std::string&)>& floor);

// Parses a batches.directory column; false if the bytes are not a directory.
bool ParseDirectory(sqlite3_stmt* statement, int column, v1::JournalBatch& out);

// Reads envelopes out of batches.envelopes through one incremental-blob handle, moved from row
// to row; the handle (and with it the read snapshot) is closed when the reader goes.
class EnvelopeReader {
 public:
  explicit EnvelopeReader(sqlite3* db) : db_(db) {}
  ~EnvelopeReader();
  EnvelopeReader(const EnvelopeReader&) = delete;
  EnvelopeReader& operator=(const EnvelopeReader&) = delete;
  // The envelope of `entry` in the batch at first_position: SQLITE_OK, or the error code
  // (SQLITE_CORRUPT if the directory points past the stored bytes).
  int Read(int64_t first_position, const v1::JournalEntry& entry, std::string& out);

 private:
  sqlite3* db_;
  sqlite3_blob* blob_ = nullptr;
  int64_t row_ = 0;
};

// Schema 5 -> 6, inside the upgrade's transaction: every row of `messages` becomes a batch of
// one at its old rowid (so positions, and a saved workflow snapshot, keep their meaning), each
// of its deliveries a run of one. Logs progress for large journals.
Result<Ok> ConvertRowsToBatches(sqlite3* db, const std::string& path);

}  // namespace detail
}  // namespace renrakumo::store
