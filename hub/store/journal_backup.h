// A consistent copy of a journal while the hub keeps writing to it (`renrakumo-hub backup`).
#pragma once

#include <string>

#include "core/result.h"

namespace renrakumo::store {

// Copies the journal at `path` to `dest` (a file that must not exist yet), and a log journal's
// log (path.log/) to dest.log/, then opens the copy as the hub would (which checks it whole,
// here every record's body hash too) and says what it holds.
//
// The SQLite file is copied with SQLite's online backup. The log's segments are hard-linked
// into a staging directory inside the log first, so that retention deleting a segment while
// the backup runs cannot take it from the copy; segments created while SQLite was copied are
// linked too, so the copy's log holds every record its SQLite file has copied rows of. The last
// segment may end in a record being written: the check-open cuts it, as a restart would.
Result<std::string> BackupJournal(const std::string& path, const std::string& dest);

}  // namespace renrakumo::store
