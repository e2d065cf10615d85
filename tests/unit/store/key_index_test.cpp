// The journal's in-memory key index: a hash held by several positions (two keys whose 64-bit
// hashes collide) keeps every position through inserts and erases in any order.
#include "store/key_index.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

namespace renrakumo::store {
namespace {

TEST(KeyIndex, FindsWhatWasInsertedAndForgetsWhatWasErased) {
  KeyIndex index;
  index.Insert(7, 100);
  index.Insert(8, 101);
  EXPECT_TRUE(index.Contains(7));
  EXPECT_FALSE(index.Contains(9));
  EXPECT_THAT(index.Positions(8), ::testing::ElementsAre(101));
  index.Erase(7, 100);
  EXPECT_FALSE(index.Contains(7));
  EXPECT_THAT(index.Positions(7), ::testing::IsEmpty());
  EXPECT_EQ(index.size(), 1u);
}

TEST(KeyIndex, KeepsEveryPositionOfACollidingHash) {
  KeyIndex index;
  index.Insert(42, 1);
  index.Insert(42, 2);
  index.Insert(42, 3);
  EXPECT_EQ(index.size(), 3u);
  EXPECT_THAT(index.Positions(42), ::testing::UnorderedElementsAre(1, 2, 3));

  index.Erase(42, 1);  // the first one: another takes its place
  EXPECT_TRUE(index.Contains(42));
  EXPECT_THAT(index.Positions(42), ::testing::UnorderedElementsAre(2, 3));

  index.Erase(42, 3);  // a later one
  EXPECT_THAT(index.Positions(42), ::testing::ElementsAre(2));

  index.Erase(42, 99);  // a position it never had: nothing changes
  EXPECT_THAT(index.Positions(42), ::testing::ElementsAre(2));

  index.Erase(42, 2);
  EXPECT_FALSE(index.Contains(42));
  EXPECT_EQ(index.size(), 0u);
}

}  // namespace
}  // namespace renrakumo::store
