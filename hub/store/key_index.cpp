// The journal's in-memory key index (see key_index.h).
#include "store/key_index.h"

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

}  // namespace renrakumo::store
