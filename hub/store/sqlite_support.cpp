// Helpers shared by the SqliteJournal's source files: logger, error sentences, columns.
#include "store/sqlite_support.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace renrakumo::store::detail {

std::shared_ptr<spdlog::logger> Logger() {
  // Another part of the hub may have set up "hub.store" (e.g. JSON lines): use theirs.
  if (auto existing = spdlog::get("hub.store")) return existing;
  return spdlog::stdout_color_mt("hub.store");
}

std::string Advice(int code) {
  switch (code & 0xff) {
    case SQLITE_CONSTRAINT:
      return "A message with this sender and id is already in the journal or twice in the "
             "batch: the caller must look it up with Find() and leave it out";
    case SQLITE_FULL: return "The disk is full: free space on the journal's filesystem";
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return "Another process holds the journal's lock: make sure only one hub uses it";
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_CANTOPEN:
      return "Check that the path names a file in an existing directory where the hub's user "
             "may write (SQLite also creates the -wal and -shm files beside it)";
    case SQLITE_NOTADB:
      return "Check that the journal path in hub.yaml names the renrakumo journal; if it does, "
             "the file is damaged. " + std::string(kRestore);
    case SQLITE_CORRUPT: return kRestore;
    case SQLITE_IOERR: return "Check the disk and the kernel log (dmesg) for I/O errors";
    default: return "See the hub log and the SQLite error above";
  }
}

Error Describe(const std::string& path, sqlite3* db, const std::string& what) {
  return Error{"journal " + path + ": " + what + ": " + sqlite3_errmsg(db) + ". " +
               Advice(sqlite3_errcode(db))};
}

std::string ColumnBytes(sqlite3_stmt* statement, int column) {
  const void* bytes = sqlite3_column_blob(statement, column);
  const int size = sqlite3_column_bytes(statement, column);
  if (bytes == nullptr) return {};
  return std::string(static_cast<const char*>(bytes), static_cast<size_t>(size));
}

}  // namespace renrakumo::store::detail
