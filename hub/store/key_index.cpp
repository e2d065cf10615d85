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

}  // namespace renrakumo::store
