// TLP 2.0 handling holds on every path of the small network: each row of docs/tlp.md, each
// allowed case and each refusal. Decisions come from core::Route, as in the hub.
#include "core/tlp.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <functional>

#include "core/route.h"
#include "fixture.h"

namespace renrakumo::testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr std::array<v1::Tlp, 5> kMarkings = {v1::TLP_CLEAR, v1::TLP_GREEN, v1::TLP_AMBER,
                                              v1::TLP_AMBER_STRICT, v1::TLP_RED};

// Routes `env` marked `tlp` from `sender` (routing must accept it: these tests are about the
// marking, not the path), then checks its handling.
std::optional<core::Rejection> Check(const char* sender, v1::Envelope env, v1::Tlp tlp,
                                     const core::StoredMessage* original = nullptr) {
  env.set_tlp(tlp);
  const auto& t = SmallNetwork();
  const v1::Node& node = *t.node(sender);
  const core::Decision d = core::Route(t, {node, env, original});
  EXPECT_TRUE(d.accepted) << sender << ": " << d.rejection.reason;
  return core::CheckHandling(t, node, env, d, original);
}

std::string Refusal(const std::optional<core::Rejection>& r) {
  if (!r) return "(allowed)";
  EXPECT_EQ(r->code, core::kHandlingRejectCode);
  return r->reason;
}

v1::Envelope ToNodes(std::initializer_list<const char*> nodes) {
  auto env = Advisory({});
  for (const char* n : nodes) env.mutable_advisory()->mutable_audience()->add_nodes(n);
  return env;
}

v1::Envelope ToEveryone(v1::AdvisoryKind kind) {
  auto env = Advisory({});
  env.mutable_advisory()->set_kind(kind);
  env.mutable_advisory()->mutable_audience()->set_everyone(true);
  return env;
}

v1::Envelope PeerShare() {
  v1::Envelope env;
  env.set_message_id("s1");
  env.mutable_share()->set_title("Phishing wave against our customers");
  return env;
}

v1::Envelope Assessed() {
  v1::Envelope env;
  env.set_message_id("as1");
  auto* a = env.mutable_assessment();
  a->set_incident_id("inc-1");
  a->set_reporter("bank-a");
  a->set_situation(v1::SITUATION_SERIOUS_FAILURE);
  a->set_likelihood(v1::LIKELIHOOD_HIGH);
  return env;
}

// One path of the network, and the markings that may take it (CLEAR, GREEN, AMBER,
// AMBER+STRICT, RED), as in the rule table of docs/tlp.md.
struct Path {
  const char* name;
  const char* sender;
  std::function<v1::Envelope()> envelope;
  std::array<bool, 5> allowed;
};

const std::vector<Path>& Paths() {
  static const std::vector<Path> paths = {
      {"report to the supervising ministry", "bank-a", [] { return Report("r1", "core_banking"); },
       {true, true, true, true, true}},
      {"provider report to the operators it serves", "provider-a", [] { return Report("r2"); },
       {true, true, true, true, true}},
      {"assessment, escalated to the Cabinet", "fsa", Assessed, {true, true, true, true, true}},
      {"advisory to named operators", "fsa", [] { return ToNodes({"bank-a", "bank-b"}); },
       {true, true, true, true, true}},
      {"Cabinet advisory to named nodes of two sectors", "cabinet",
       [] { return ToNodes({"carrier-a", "rail-a"}); }, {true, true, true, true, true}},
      {"advisory to an association by name", "fsa", [] { return ToNodes({"jba"}); },
       {true, true, true, true, true}},
      {"advisory to a direct sector (sector stream)", "mic", [] { return Advisory({"telecom"}); },
       {true, true, true, false, false}},
      {"advisory to a via-association sector (relay point)", "fsa",
       [] { return Advisory({"finance"}); }, {true, true, true, false, false}},
      {"Cabinet prevention notice to everyone", "cabinet",
       [] { return ToEveryone(v1::ADVISORY_PREVENTION_NOTICE); }, {true, true, true, false, false}},
      {"vendor security information (all. stream)", "vendor-x",
       [] { return ToEveryone(v1::ADVISORY_SECURITY_INFORMATION); },
       {true, false, false, false, false}},
      {"peer sharing on a sector stream", "carrier-a", PeerShare, {true, true, true, false, false}},
      {"peer sharing through the association", "bank-a", PeerShare,
       {true, true, true, false, false}},
  };
  return paths;
}

TEST(TlpHandling, EveryPathTakesExactlyTheMarkingsOfTheRuleTable) {
  for (const auto& path : Paths())
    for (size_t i = 0; i < kMarkings.size(); ++i) {
      const auto r = Check(path.sender, path.envelope(), kMarkings[i]);
      EXPECT_EQ(!r.has_value(), path.allowed[i])
          << path.name << " marked " << core::TlpName(kMarkings[i]) << ": " << Refusal(r);
    }
}

// RED row.
TEST(TlpRed, OnASectorStreamNamesTheRuleAndTheStream) {
  EXPECT_THAT(Refusal(Check("mic", Advisory({"telecom"}), v1::TLP_RED)),
              AllOf(HasSubstr("TLP:RED may go only to recipient nodes named one by one"),
                    HasSubstr("this advisory would reach the sector.telecom. stream (every "
                              "operator of the telecom sector)"),
                    HasSubstr("name the recipient nodes in the audience")));
}

TEST(TlpRed, ThroughAnAssociationIsARelayAndRefused) {
  EXPECT_THAT(Refusal(Check("fsa", Advisory({"finance"}), v1::TLP_RED)),
              AllOf(HasSubstr("never relayed"), HasSubstr("jba (node.jba.)"),
                    HasSubstr("relay to the finance sector's members")));
  EXPECT_THAT(Refusal(Check("bank-a", PeerShare(), v1::TLP_RED)),
              AllOf(HasSubstr("this share would go to jba"), HasSubstr("report it to your ministry")));
}

TEST(TlpRed, CabinetNoticeToEveryoneIsRefusedAtTheFirstSectorStream) {
  EXPECT_THAT(Refusal(Check("cabinet", ToEveryone(v1::ADVISORY_PREVENTION_NOTICE), v1::TLP_RED)),
              HasSubstr("sector.telecom."));
}

TEST(TlpRed, ReportsAndNamedAdvisoriesAreAllowed) {
  EXPECT_FALSE(Check("bank-a", Report("r1", "core_banking"), v1::TLP_RED));
  EXPECT_FALSE(Check("city-b", Report("r2"), v1::TLP_RED));
  EXPECT_FALSE(Check("fsa", ToNodes({"bank-b"}), v1::TLP_RED));
}

// AMBER+STRICT row.
TEST(TlpAmberStrict, OnlyNamedOrganisationsInboxes) {
  EXPECT_FALSE(Check("fsa", ToNodes({"bank-a"}), v1::TLP_AMBER_STRICT));
  EXPECT_THAT(Refusal(Check("mic", Advisory({"telecom"}), v1::TLP_AMBER_STRICT)),
              AllOf(HasSubstr("TLP:AMBER+STRICT may go only to named organisations' own inboxes"),
                    HasSubstr("sector.telecom.")));
  EXPECT_THAT(Refusal(Check("fsa", Advisory({"finance"}), v1::TLP_AMBER_STRICT)),
              AllOf(HasSubstr("not relayed"), HasSubstr("node.jba.")));
  EXPECT_THAT(Refusal(Check("carrier-a", PeerShare(), v1::TLP_AMBER_STRICT)),
              AllOf(HasSubstr("this share would reach the sector.telecom. stream"),
                    HasSubstr("peer sharing reaches the sector")));
}

// AMBER, GREEN and CLEAR rows: only the all. stream separates them from each other.
TEST(TlpAllStream, OnlyClearIsPublishedToEveryone) {
  const auto info = ToEveryone(v1::ADVISORY_SECURITY_INFORMATION);
  EXPECT_FALSE(Check("vendor-x", info, v1::TLP_CLEAR));
  EXPECT_THAT(Refusal(Check("vendor-x", info, v1::TLP_GREEN)),
              AllOf(HasSubstr("TLP:GREEN stays within the community"),
                    HasSubstr("would go on the all. stream, which every node of the network reads"),
                    HasSubstr("must be TLP:CLEAR")));
  EXPECT_THAT(Refusal(Check("vendor-x", info, v1::TLP_AMBER)),
              AllOf(HasSubstr("TLP:AMBER may go to named organisations"), HasSubstr("all.")));
  EXPECT_THAT(Refusal(Check("vendor-x", info, v1::TLP_RED)), HasSubstr("all."));
}

TEST(TlpAmber, SectorWideAdvisoriesAndSharingAreAllowed) {
  EXPECT_FALSE(Check("mic", Advisory({"telecom"}), v1::TLP_AMBER));
  EXPECT_FALSE(Check("fsa", Advisory({"finance"}), v1::TLP_AMBER));
  EXPECT_FALSE(Check("cabinet", ToEveryone(v1::ADVISORY_PREVENTION_NOTICE), v1::TLP_AMBER));
  EXPECT_FALSE(Check("carrier-a", PeerShare(), v1::TLP_AMBER));
}

// Relays: the original's marking must allow relaying, and the relay may not weaken it.
core::StoredMessage Stored(const char* sender, v1::Envelope env, int tlp) {
  env.set_tlp(static_cast<v1::Tlp>(tlp));
  const auto& t = SmallNetwork();
  const core::Decision d = core::Route(t, {*t.node(sender), env, nullptr});
  EXPECT_TRUE(d.accepted) << d.rejection.reason;
  core::StoredMessage m{sender, env.message_id(), 1, d.kind, env.SerializeAsString(), {}, {}};
  for (const auto& p : d.deliveries) m.deliveries.push_back({p.stream, 1});
  return m;
}

v1::Envelope RelayOf(const core::StoredMessage& m) {
  v1::Envelope env;
  env.set_message_id("relay-" + m.message_id);
  env.mutable_relay()->set_original_message_id(m.message_id);
  env.mutable_relay()->set_original_sender(m.sender);
  env.mutable_relay()->set_original_envelope(m.envelope);
  env.mutable_relay()->set_commentary("Members: act on this today.");
  return env;
}

TEST(TlpRelay, OriginalMarkingTimesRelayMarking) {
  // rows: the original's marking; columns: the relay's (CLEAR .. RED).
  const std::array<std::array<bool, 5>, 5> allowed = {{
      {true, true, true, true, false},       // CLEAR original
      {false, true, true, true, false},      // GREEN
      {false, false, true, true, false},     // AMBER
      {false, false, false, false, false},   // AMBER+STRICT: not relayed
      {false, false, false, false, false},   // RED: never relayed
  }};
  for (size_t o = 0; o < kMarkings.size(); ++o) {
    const auto original = Stored("fsa", ToNodes({"jba"}), kMarkings[o]);
    for (size_t r = 0; r < kMarkings.size(); ++r) {
      const auto result = Check("jba", RelayOf(original), kMarkings[r], &original);
      EXPECT_EQ(!result.has_value(), allowed[o][r])
          << core::TlpName(kMarkings[o]) << " original relayed as " << core::TlpName(kMarkings[r])
          << ": " << Refusal(result);
    }
  }
}

TEST(TlpRelay, AnAmberSectorAdvisoryReachesTheMembersThroughTheAssociation) {
  const auto original = Stored("fsa", Advisory({"finance"}), v1::TLP_AMBER);
  EXPECT_FALSE(Check("jba", RelayOf(original), v1::TLP_AMBER, &original));
  EXPECT_FALSE(Check("jba", RelayOf(original), v1::TLP_AMBER_STRICT, &original));
  const auto share = Stored("bank-a", PeerShare(), v1::TLP_GREEN);
  EXPECT_FALSE(Check("jba", RelayOf(share), v1::TLP_GREEN, &share));
}

TEST(TlpRelay, RefusalsNameTheOriginalAndTheRule) {
  const auto red = Stored("fsa", ToNodes({"jba"}), v1::TLP_RED);
  EXPECT_THAT(Refusal(Check("jba", RelayOf(red), v1::TLP_RED, &red)),
              AllOf(HasSubstr("TLP:RED is never relayed"), HasSubstr("FSA's advisory 'adv-1'")));
  const auto strict = Stored("fsa", ToNodes({"jba"}), v1::TLP_AMBER_STRICT);
  EXPECT_THAT(Refusal(Check("jba", RelayOf(strict), v1::TLP_AMBER_STRICT, &strict)),
              AllOf(HasSubstr("TLP:AMBER+STRICT is not relayed"), HasSubstr("inside jba itself")));
  const auto amber = Stored("fsa", Advisory({"finance"}), v1::TLP_AMBER);
  EXPECT_THAT(Refusal(Check("jba", RelayOf(amber), v1::TLP_GREEN, &amber)),
              HasSubstr("a relay may not weaken the marking: FSA's advisory 'adv-1' is TLP:AMBER, "
                        "so the relay must be TLP:AMBER or stricter, not TLP:GREEN"));
  EXPECT_THAT(Refusal(Check("jba", RelayOf(amber), v1::TLP_RED, &amber)),
              AllOf(HasSubstr("every member of jba (2 inboxes)"),
                    HasSubstr("mark the relay TLP:AMBER+STRICT")));
}

TEST(TlpRelay, WithoutTheJournalCopyTheEmbeddedOriginalIsRead) {
  const auto red = Stored("fsa", ToNodes({"jba"}), v1::TLP_RED);
  const auto& t = SmallNetwork();
  const auto env = [&] {
    auto e = RelayOf(red);
    e.set_tlp(v1::TLP_RED);
    return e;
  }();
  const core::Decision d = core::Route(t, {*t.node("jba"), env, &red});
  ASSERT_TRUE(d.accepted) << d.rejection.reason;
  EXPECT_THAT(Refusal(core::CheckHandling(t, *t.node("jba"), env, d, nullptr)),
              AllOf(HasSubstr("never relayed"), HasSubstr("FSA's message 'adv-1'")));
}

TEST(TlpRelay, AnOriginalWithoutAReadableMarkingIsNotRelayed) {
  const auto unmarked = Stored("fsa", Advisory({"finance"}), v1::TLP_UNSPECIFIED);
  EXPECT_THAT(Refusal(Check("jba", RelayOf(unmarked), v1::TLP_RED, &unmarked)),
              HasSubstr("cannot be read"));
  const auto unknown = Stored("fsa", Advisory({"finance"}), 9);
  EXPECT_THAT(Refusal(Check("jba", RelayOf(unknown), v1::TLP_AMBER, &unknown)),
              HasSubstr("cannot be read"));
}

// Edges of the check itself.
TEST(TlpHandling, AnUnknownMarkingIsAnInvalidField) {
  const auto& t = SmallNetwork();
  auto env = Report("r1", "core_banking");
  env.set_tlp(static_cast<v1::Tlp>(9));
  const core::Decision d = core::Route(t, {*t.node("bank-a"), env});
  const auto r = core::CheckHandling(t, *t.node("bank-a"), env, d, nullptr);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->code, v1::REJECT_INVALID_FIELD);
  EXPECT_THAT(r->reason, HasSubstr("tlp 9 is not a TLP 2.0 marking"));
}

TEST(TlpHandling, RejectedDecisionsAndAcknowledgementsHaveNothingToCheck) {
  const auto& t = SmallNetwork();
  auto env = Advisory({"finance"});
  env.set_tlp(v1::TLP_RED);
  const core::Decision refused = core::Route(t, {*t.node("bank-a"), env});
  ASSERT_FALSE(refused.accepted);
  EXPECT_FALSE(core::CheckHandling(t, *t.node("bank-a"), env, refused, nullptr));
  const auto original = Stored("fsa", ToNodes({"bank-a"}), v1::TLP_RED);
  v1::Envelope ack;
  ack.set_message_id("ack-1");
  ack.set_tlp(v1::TLP_CLEAR);
  ack.mutable_acknowledgement()->set_message_sender("fsa");
  ack.mutable_acknowledgement()->set_message_id(original.message_id);
  ack.mutable_acknowledgement()->set_state(v1::ACK_READ);
  const core::Decision d = core::Route(t, {*t.node("bank-a"), ack, &original});
  ASSERT_TRUE(d.accepted) << d.rejection.reason;
  EXPECT_FALSE(core::CheckHandling(t, *t.node("bank-a"), ack, d, &original));
}

TEST(TlpOrder, StrictnessAndNames) {
  for (size_t i = 0; i < kMarkings.size(); ++i)
    for (size_t j = 0; j < kMarkings.size(); ++j)
      EXPECT_EQ(core::AtLeastAsStrict(kMarkings[i], kMarkings[j]), i >= j);
  EXPECT_EQ(core::TlpName(v1::TLP_AMBER_STRICT), "TLP:AMBER+STRICT");
  EXPECT_EQ(core::TlpName(0), "TLP:?");
  EXPECT_TRUE(core::IsTlpMarking(v1::TLP_CLEAR));
  EXPECT_TRUE(core::IsTlpMarking(v1::TLP_RED));
  EXPECT_FALSE(core::IsTlpMarking(v1::TLP_UNSPECIFIED));
  EXPECT_FALSE(core::IsTlpMarking(6));
}

}  // namespace
}  // namespace renrakumo::testing
