// Internal to hub/store: what the SqliteJournal's source files share — binding and stepping
// prepared statements, reading columns, and the error sentences. Not part of the store's API.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

namespace spdlog {
class logger;
}

namespace renrakumo::store::detail {

constexpr const char* kRestore = "Restore the journal from backup (see docs/operations.md)";

// The "hub.store" logger (another part of the hub may have set it up: then that one).
std::shared_ptr<spdlog::logger> Logger();

// What the operator should do about an SQLite error, by its primary result code.
std::string Advice(int code);

// A sentence: which journal, what failed, SQLite's own words, and what to do.
Error Describe(const std::string& path, sqlite3* db, const std::string& what);

// Resetting a statement ends its read snapshot (so checkpoints can proceed) and readies it
// for the next use; the bound values are rebound every time, so they are not cleared.
struct ResetStatement {
  void operator()(sqlite3_stmt* statement) const { sqlite3_reset(statement); }
};
using ResetOnExit = std::unique_ptr<sqlite3_stmt, ResetStatement>;

inline int StepOnce(sqlite3_stmt* statement) {
  ResetOnExit reset(statement);
  return sqlite3_step(statement);
}

// Steps through the rows of a statement whose binding returned rc, calling on_row for each;
// returns SQLITE_DONE, or the error that stopped it. The caller resets the statement.
template <typename OnRow>
int EachRow(sqlite3_stmt* statement, int rc, OnRow on_row) {
  if (rc != SQLITE_OK) return rc;
  while ((rc = sqlite3_step(statement)) == SQLITE_ROW) on_row();
  return rc;
}

struct Blob {
  std::string_view bytes;
};

// The bound bytes must outlive the step (no destructor is passed: SQLITE_STATIC). An empty
// view may have a null data(), which SQLite would store as NULL, so point it at "".
inline int BindOne(sqlite3_stmt* s, int i, std::string_view text) {
  return sqlite3_bind_text64(s, i, text.empty() ? "" : text.data(), text.size(), nullptr,
                             SQLITE_UTF8);
}
inline int BindOne(sqlite3_stmt* s, int i, Blob blob) {
  return sqlite3_bind_blob64(s, i, blob.bytes.empty() ? "" : blob.bytes.data(),
                             blob.bytes.size(), nullptr);
}
inline int BindOne(sqlite3_stmt* s, int i, int64_t value) {
  return sqlite3_bind_int64(s, i, value);
}

// Binds args to ?1, ?2, ... and returns the first error (SQLITE_OK if none).
template <typename... Args>
int Bind(sqlite3_stmt* statement, const Args&... args) {
  int index = 0;
  int rc = SQLITE_OK;
  ((rc = rc == SQLITE_OK ? BindOne(statement, ++index, args) : rc), ...);
  return rc;
}

// TEXT and BLOB columns alike, byte-exact (NULs included).
std::string ColumnBytes(sqlite3_stmt* statement, int column);

// Sequence numbers are uint64_t in the interface and INTEGER (int64) in SQLite; every stored
// one is in 0..INT64_MAX, so the conversion is exact.
inline int64_t SqlSeq(uint64_t seq) { return static_cast<int64_t>(seq); }
inline uint64_t ColumnSeq(sqlite3_stmt* statement, int column) {
  return static_cast<uint64_t>(sqlite3_column_int64(statement, column));
}

}  // namespace renrakumo::store::detail
