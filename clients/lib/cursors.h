// Per-stream cursors: the highest sequence a node has processed on each stream. Kept in
// the node's state file so a restarted node resumes where it stopped instead of replaying
// or, worse, skipping.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "core/result.h"

namespace renrakumo::client {

class Cursors {
 public:
  uint64_t get(const std::string& stream) const;
  void set(const std::string& stream, uint64_t seq) { seqs_[stream] = seq; }
  const std::map<std::string, uint64_t>& all() const { return seqs_; }

  // File format: one "stream seq" per line. A missing file is an empty set of cursors.
  static Result<Cursors> Load(const std::string& path);
  // Writes to a temporary file and renames it, so a crash never leaves half a file.
  Status Save(const std::string& path) const;

 private:
  std::map<std::string, uint64_t> seqs_;
};

}  // namespace renrakumo::client
