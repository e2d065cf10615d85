// For each of the eight sample sectors, an advisory from its ministry reaches exactly the
// nodes the seed's path says (domain.md §3) and no one else; via-association sectors get
// it through the association's relay.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "core/streams.h"
#include "network.h"

namespace renrakumo::testing {
namespace {

using ::testing::HasSubstr;

// The seed's table 2: how government reaches each sector's operators in an emergency.
const std::map<std::string, v1::AdvisoryPath> kSeedPaths = {
    {"telecom", v1::ADVISORY_PATH_DIRECT},      {"it_services", v1::ADVISORY_PATH_DIRECT},
    {"finance", v1::ADVISORY_PATH_VIA_ASSOCIATION}, {"aviation", v1::ADVISORY_PATH_DIRECT},
    {"railway", v1::ADVISORY_PATH_DIRECT},      {"electricity", v1::ADVISORY_PATH_VIA_ASSOCIATION},
    {"gas", v1::ADVISORY_PATH_VIA_ASSOCIATION}, {"government", v1::ADVISORY_PATH_DIRECT}};

// Which nodes received the message with this id (directly or inside a relay), by node id.
std::set<std::string> Receivers(const TestNetwork& net, const std::string& message_id,
                                std::map<std::string, std::string>* notes = nullptr) {
  std::set<std::string> out;
  for (const auto& n : net.topology().config().nodes()) {
    auto client = net.Connect(n.id());
    if (!client) continue;
    for (const auto& d : Drain(*client)) {
      v1::Envelope env;
      EXPECT_TRUE(env.ParseFromString(d.envelope()));
      const bool direct = env.message_id() == message_id;
      const bool relayed = env.has_relay() && env.relay().original_message_id() == message_id;
      if (!direct && !relayed) continue;
      out.insert(n.id());
      if (notes) (*notes)[n.id()] = d.note();
    }
  }
  return out;
}

class SectorPath : public ::testing::TestWithParam<std::string> {};

TEST_P(SectorPath, AdvisoryReachesExactlyTheNodesOfTheSeedsPath) {
  TestNetwork net;
  const std::string sector_id = GetParam();
  const v1::Sector* sector = net.topology().sector(sector_id);
  ASSERT_NE(sector, nullptr) << "the sample topology lacks sector " << sector_id;
  ASSERT_EQ(sector->advisory_path(), kSeedPaths.at(sector_id)) << "sample topology disagrees with the seed";

  const std::string ministry = sector->ministries(0);
  auto issuer = net.Connect(ministry);
  ASSERT_TRUE(issuer);
  auto env = MakeAdvisory("adv-" + sector_id, {sector_id});
  auto outcome = issuer->Submit(env);
  ASSERT_TRUE(outcome) << outcome.error();
  ASSERT_TRUE(outcome->accepted) << outcome->rejected_reply.reason();

  std::set<std::string> operators;  // the sector's operators (and providers)
  for (const auto* n : net.topology().sector_members(sector_id)) operators.insert(n->id());
  ASSERT_GE(operators.size(), 2u) << "the seed's network has at least two operators per sector";

  if (sector->advisory_path() == v1::ADVISORY_PATH_DIRECT) {
    std::set<std::string> expected = operators;
    // A Cabinet Secretariat notice also goes to the other ministries concerned (seed).
    if (net.topology().node(ministry)->kind() == v1::NODE_KIND_CABINET)
      for (const auto& m : sector->ministries())
        if (m != ministry) expected.insert(m);
    EXPECT_EQ(Receivers(net, env.message_id()), expected);
    return;
  }
  // Via association: only the relay association(s) get the government's message...
  const std::set<std::string> relays(sector->relay_associations().begin(),
                                     sector->relay_associations().end());
  std::map<std::string, std::string> notes;
  EXPECT_EQ(Receivers(net, env.message_id(), &notes), relays);
  // ...and once each relays it, unchanged, every member operator has it.
  std::set<std::string> members;
  for (const auto& assoc_id : relays) {
    EXPECT_THAT(notes[assoc_id], HasSubstr("relay it to your members"));
    auto assoc = net.Connect(assoc_id);
    ASSERT_TRUE(assoc);
    auto original = assoc->GetMessage(ministry, env.message_id());
    ASSERT_TRUE(original) << original.error();
    auto relay = MakeRelay("relay-" + sector_id + "-" + assoc_id, ministry, env.message_id(),
                           original->envelope(), "Members: act on this today.");
    auto relayed = assoc->Submit(relay);
    ASSERT_TRUE(relayed) << relayed.error();
    ASSERT_TRUE(relayed->accepted) << relayed->rejected_reply.reason();
    const auto* node = net.topology().node(assoc_id);
    members.insert(node->members().begin(), node->members().end());
  }
  members.insert(relays.begin(), relays.end());  // associations still hold the original
  EXPECT_EQ(Receivers(net, env.message_id()), members);
  for (const auto& op : operators) EXPECT_TRUE(members.count(op)) << op << " was left out";
}

INSTANTIATE_TEST_SUITE_P(EightSeedSectors, SectorPath,
                         ::testing::Values("telecom", "it_services", "finance", "aviation",
                                           "railway", "electricity", "gas", "government"));

TEST(SectorPath, CabinetPreventionNoticeReachesEverySectorAndTheMinistries) {
  TestNetwork net;
  auto cabinet = net.Connect("cabinet");
  ASSERT_TRUE(cabinet);
  auto env = MakeAdvisory("prevention-1", {}, v1::ADVISORY_PREVENTION_NOTICE);
  env.mutable_advisory()->mutable_audience()->set_everyone(true);
  auto outcome = cabinet->Submit(env);
  ASSERT_TRUE(outcome) << outcome.error();
  ASSERT_TRUE(outcome->accepted) << outcome->rejected_reply.reason();
  std::set<std::string> expected;
  for (const auto& s : net.topology().config().sectors()) {
    if (s.advisory_path() == v1::ADVISORY_PATH_DIRECT)
      for (const auto* n : net.topology().sector_members(s.id())) expected.insert(n->id());
    else
      expected.insert(s.relay_associations().begin(), s.relay_associations().end());
    for (const auto& m : s.ministries())
      if (m != "cabinet") expected.insert(m);
  }
  EXPECT_EQ(Receivers(net, env.message_id()), expected);
}

}  // namespace
}  // namespace renrakumo::testing
