#include "core/streams.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fixture.h"

namespace renrakumo::testing {
namespace {

using ::testing::ElementsAre;

TEST(Streams, OperatorsReadTheirInboxTheirSectorAndAll) {
  const auto& t = SmallNetwork();
  EXPECT_THAT(core::ReadableStreams(t, *t.node("bank-a")),
              ElementsAre("node.bank-a.", "sector.finance.", "all."));
}

TEST(Streams, MinistriesAndAssociationsHaveNoSectorStream) {
  const auto& t = SmallNetwork();
  EXPECT_THAT(core::ReadableStreams(t, *t.node("fsa")), ElementsAre("node.fsa.", "all."));
  EXPECT_THAT(core::ReadableStreams(t, *t.node("jba")), ElementsAre("node.jba.", "all."));
}

TEST(Streams, EntitlementIsExactNeverAPrefix) {
  const auto& t = SmallNetwork();
  const auto& bank = *t.node("bank-a");
  EXPECT_TRUE(core::MayRead(t, bank, "node.bank-a."));
  EXPECT_FALSE(core::MayRead(t, bank, ""));
  EXPECT_FALSE(core::MayRead(t, bank, "node."));
  EXPECT_FALSE(core::MayRead(t, bank, "node.bank-a"));
  EXPECT_FALSE(core::MayRead(t, bank, "node.bank-b."));
  EXPECT_FALSE(core::MayRead(t, bank, "sector.telecom."));
}

TEST(Topology, KeysMapToTheirNode) {
  const auto& t = SmallNetwork();
  ASSERT_NE(t.node_for_key("key-carrier-a"), nullptr);
  EXPECT_EQ(t.node_for_key("key-carrier-a")->id(), "carrier-a");
  EXPECT_EQ(t.node_for_key("unknown"), nullptr);
}

}  // namespace
}  // namespace renrakumo::testing
