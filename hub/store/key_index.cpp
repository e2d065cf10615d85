// The journal's in-memory key index (see key_index.h).
#include "store/key_index.h"

#include <algorithm>
#include <utility>

namespace renrakumo::store {

void KeyIndex::Erase(uint64_t hash, int64_t position) {
  auto it = first_.find(hash);
  if (it == first_.end()) return;
  auto [from, to] = more_.equal_range(hash);
  if (it->second == position) {
    // Keep the invariant that more_ holds only hashes first_ has: promote a further position.
    if (from == to) {
      first_.erase(it);
    } else {
      it->second = from->second;
      more_.erase(from);
    }
    return;
  }
  for (; from != to; ++from) {
    if (from->second == position) {
      more_.erase(from);
      return;
    }
  }
}

std::vector<int64_t> KeyIndex::Positions(uint64_t hash) const {
  std::vector<int64_t> out;
  auto it = first_.find(hash);
  if (it == first_.end()) return out;  // more_ only ever holds hashes that first_ has
  out.push_back(it->second);
  auto [from, to] = more_.equal_range(hash);
  for (; from != to; ++from) out.push_back(from->second);
  return out;
}

std::optional<Error> RefuseDuplicateKeys(std::span<const core::Commit> batch,
                                         const std::vector<uint64_t>& hashes, const KeyIndex& keys,
                                         const StoredLookup& lookup,
                                         const std::string& journal_path,
                                         const std::function<std::string()>& of_batch) {
  auto refuse = [&](size_t index, const char* where) {
    const core::Commit& commit = batch[index];
    return Error{"journal " + journal_path + ": cannot store message " + commit.message_id +
                 " from " + commit.sender + of_batch() + ": UNIQUE constraint failed: it is " +
                 where + ". A sender must not reuse a message id"};
  };
  std::vector<std::pair<uint64_t, size_t>> sorted;
  sorted.reserve(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) sorted.emplace_back(hashes[i], i);
  std::sort(sorted.begin(), sorted.end());
  for (size_t k = 1; k < sorted.size(); ++k) {
    for (size_t j = k; j > 0 && sorted[j - 1].first == sorted[k].first; --j) {
      const auto& a = batch[sorted[j - 1].second];
      const auto& b = batch[sorted[k].second];
      if (a.sender == b.sender && a.message_id == b.message_id)
        return refuse(std::max(sorted[j - 1].second, sorted[k].second), "twice in the batch");
    }
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!keys.Contains(hashes[i])) continue;
    auto found = lookup(batch[i].sender, batch[i].message_id);
    if (!found) return Error{found.error() + of_batch()};
    if (found->has_value()) return refuse(i, "already in the journal");
  }
  return std::nullopt;
}

}  // namespace renrakumo::store
