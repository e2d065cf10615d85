// The journal's in-memory index of stored message keys: KeyHash(sender, message_id) -> the
// message's position. Every submission is looked up here before it is routed, and every
// stored one is added, so the common case must cost one probe of a flat table: a node-based
// std::unordered_multimap cost two dependent cache misses per look-up and an allocation per
// insert (~190-270 ns per message for look-up, duplicate check and insert against ~100 ns,
// measured with 50,000 and 1,000,000 keys).
//
// Two different keys with equal 64-bit hashes are possible but rare: the first position of a
// hash lives in the flat table, any further one in a small overflow map. Callers tell such
// positions apart by reading the stored key, so a collision costs a read, never a wrong answer.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/journal.h"
#include "core/result.h"

namespace renrakumo::store {

class KeyIndex {
 public:
  size_t size() const { return first_.size() + more_.size(); }

  bool Contains(uint64_t hash) const { return first_.contains(hash); }

  void Insert(uint64_t hash, int64_t position) {
    auto [it, inserted] = first_.try_emplace(hash, position);
    if (!inserted) more_.emplace(hash, position);
  }

  // Removes this (hash, position) pair if present; other positions of the hash stay.
  void Erase(uint64_t hash, int64_t position);

  // Every position stored under this hash; a miss (the usual case) allocates nothing.
  std::vector<int64_t> Positions(uint64_t hash) const;

 private:
  absl::flat_hash_map<uint64_t, int64_t> first_;
  std::unordered_multimap<uint64_t, int64_t> more_;  // second and later positions of a hash
};

// A stored message looked up by its key (sender, message id): nullopt if there is none, or an
// Error if a candidate could not be read.
using StoredLookup = std::function<Result<std::optional<core::StoredMessage>>(
    std::string_view sender, std::string_view message_id)>;

// Both journals' check before Append: why the batch may not be stored because a key is in it
// twice (its hashes sorted, equal neighbours' keys compared: no allocation per message) or is
// already stored (`keys` names the candidates, `lookup` confirms one by reading it; its Error
// stops the check and is returned), or nullopt. hashes[i] is KeyHash of batch[i]. The refusal
// names the journal at `journal_path` and ends with of_batch(), called only when refusing.
std::optional<Error> RefuseDuplicateKeys(std::span<const core::Commit> batch,
                                         const std::vector<uint64_t>& hashes, const KeyIndex& keys,
                                         const StoredLookup& lookup,
                                         const std::string& journal_path,
                                         const std::function<std::string()>& of_batch);

}  // namespace renrakumo::store
