// Advisories with a fake clock: relay deadlines and the direct fallback (once, never twice),
// acknowledgement reminders, updates that withdraw deadlines, and drills.
#include <gmock/gmock.h>
#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include "core/workflow.h"
#include "shipped_config.h"

namespace renrakumo::testing {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;
using ::testing::UnorderedElementsAre;

constexpr int64_t T0 = 1'700'000'000'000;
constexpr int64_t kMinute = 60'000;

// Which advisory to issue: In({"gas"}).Severity(v1::SEVERITY_EXTREME), Everyone(), ...
struct AdvisoryOptions {
  std::vector<std::string> sectors;
  v1::Severity severity = v1::SEVERITY_SEVERE;
  v1::MessageStatus status = v1::STATUS_ACTUAL;
  std::vector<std::string> nodes;
  bool everyone = false;
  std::string replaces;

  AdvisoryOptions& Severity(v1::Severity s) {
    severity = s;
    return *this;
  }
  AdvisoryOptions& Status(v1::MessageStatus s) {
    status = s;
    return *this;
  }
  AdvisoryOptions& Nodes(std::vector<std::string> n) {
    nodes = std::move(n);
    return *this;
  }
  AdvisoryOptions& Replaces(std::string id) {
    replaces = std::move(id);
    return *this;
  }
};

AdvisoryOptions In(std::vector<std::string> sectors) {
  AdvisoryOptions o;
  o.sectors = std::move(sectors);
  return o;
}

AdvisoryOptions Everyone() {
  AdvisoryOptions o;
  o.everyone = true;
  return o;
}

class Advisories : public ::testing::Test {
 protected:
  void Advise(const char* issuer, const char* id, int64_t at, const AdvisoryOptions& o) {
    v1::Envelope env;
    env.set_message_id(id);
    env.set_status(o.status);
    v1::Advisory* a = env.mutable_advisory();
    a->set_kind(v1::ADVISORY_WARNING);
    a->set_severity(o.severity);
    a->set_title("Patch the VPN gateways");
    for (const auto& s : o.sectors) a->mutable_audience()->add_sectors(s);
    for (const auto& n : o.nodes) a->mutable_audience()->add_nodes(n);
    a->mutable_audience()->set_everyone(o.everyone);
    if (!o.replaces.empty()) {
      a->set_lifecycle(v1::LIFECYCLE_UPDATE);
      a->set_replaces(o.replaces);
    }
    core::ApplyAdvisory(rules_, *topology_, state_, {*topology_->node(issuer), env, at});
  }

  core::Touched Relay(const char* association, const char* issuer, const char* original,
                      const char* relay_id, int64_t at) {
    v1::Envelope env;
    env.set_message_id(relay_id);
    env.mutable_relay()->set_original_sender(issuer);
    env.mutable_relay()->set_original_message_id(original);
    return core::ApplyRelay(state_, {*topology_->node(association), env, at});
  }

  core::Touched Ack(const char* node, const char* sender, const char* id, v1::AckState s,
                    int64_t at) {
    v1::Envelope env;
    env.set_message_id(std::string("ack-") + node + "-" + id);
    env.mutable_acknowledgement()->set_message_sender(sender);
    env.mutable_acknowledgement()->set_message_id(id);
    env.mutable_acknowledgement()->set_state(s);
    return core::ApplyAcknowledgement(rules_, state_, {*topology_->node(node), env, at});
  }

  std::vector<core::Action> Due(int64_t now, core::ActionKind kind) {
    std::vector<core::Action> out;
    for (auto& a : core::Due(rules_, state_, now))
      if (a.kind == kind) out.push_back(std::move(a));
    return out;
  }

  const v1::AdvisoryRecord& Record(const char* issuer, const char* id) {
    return state_.advisories.at(core::AdvisoryKey(issuer, id));
  }

  void UseTopology(v1::Topology config) {
    own_ = std::make_unique<core::Topology>(std::move(config));
    topology_ = own_.get();
  }

  v1::Rules rules_ = ShippedRules();
  const core::Topology* topology_ = &ShippedTopology();
  std::unique_ptr<core::Topology> own_;
  core::WorkflowState state_;
};

constexpr auto kFallback = core::ActionKind::kRelayFallback;
constexpr auto kReminder = core::ActionKind::kAcknowledgementReminder;

// --- Relay deadlines ---------------------------------------------------------------------

TEST_F(Advisories, RelayedInTime_NoFallback) {
  Advise("fsa", "adv-1", T0, In({"finance"}));
  EXPECT_EQ(core::NextDueAt(state_), T0 + 30 * kMinute);  // severe: 30 minutes
  auto touched = Relay("jba", "fsa", "adv-1", "relay-1", T0 + 10 * kMinute);
  EXPECT_THAT(touched.advisories, ElementsAre("fsa/adv-1"));
  const v1::Deadline& relay = Record("fsa", "adv-1").deadlines(0);
  EXPECT_EQ(relay.kind(), v1::DEADLINE_KIND_RELAY);
  EXPECT_EQ(relay.state(), v1::DEADLINE_MET);
  EXPECT_THAT(relay.closed_why(), HasSubstr("relayed to the finance sector by jba"));
  EXPECT_THAT(Due(T0 + 24 * 60 * kMinute, kFallback), IsEmpty());
}

TEST_F(Advisories, NotRelayed_FallbackOnceNeverTwice) {
  Advise("fsa", "adv-1", T0, In({"finance"}));
  EXPECT_THAT(Due(T0 + 30 * kMinute - 1, kFallback), IsEmpty());
  auto due = Due(T0 + 30 * kMinute, kFallback);
  ASSERT_EQ(due.size(), 1u);
  const core::Action& a = due[0];
  EXPECT_EQ(a.deadline.party(), "finance");
  EXPECT_THAT(a.deliver_to, ElementsAre("megabank-a", "regional-bank-b", "shinkin-c"));
  EXPECT_EQ(a.delivery_note,
            "direct fallback: jba did not relay this advisory from fsa within 30 minutes");
  ASSERT_EQ(a.notices.size(), 2u);
  EXPECT_EQ(a.notices[0].to, "fsa");
  EXPECT_THAT(a.notices[0].text, AllOf(HasSubstr("adv-1 (severe) was not relayed to the finance "
                                                 "sector by jba within 30 minutes"),
                                       HasSubstr("marked as a direct fallback")));
  EXPECT_EQ(a.notices[1].to, "jba");
  EXPECT_THAT(a.notices[1].text, StartsWith("you did not relay advisory adv-1 from fsa"));
  EXPECT_THAT(core::Complete(state_, a, T0 + 30 * kMinute).advisories, ElementsAre("fsa/adv-1"));
  EXPECT_THAT(Record("fsa", "adv-1").relays(0).fallback_to(),
              ElementsAre("megabank-a", "regional-bank-b", "shinkin-c"));
  EXPECT_THAT(Due(T0 + 31 * kMinute, kFallback), IsEmpty());
  EXPECT_THAT(core::Complete(state_, a, T0 + 31 * kMinute).advisories, IsEmpty());
  // A late relay is recorded, and changes nothing that was done.
  Relay("jba", "fsa", "adv-1", "relay-1", T0 + 40 * kMinute);
  EXPECT_TRUE(Record("fsa", "adv-1").relays(0).associations(0).relayed());
  EXPECT_EQ(Record("fsa", "adv-1").deadlines(0).state(), v1::DEADLINE_ACTED);
  EXPECT_THAT(Due(T0 + 41 * kMinute, kFallback), IsEmpty());
}

TEST_F(Advisories, HigherSeverityShorterRelayDeadline) {
  Advise("meti", "x", T0, In({"gas"}).Severity(v1::SEVERITY_EXTREME));
  Advise("meti", "m", T0, In({"gas"}).Severity(v1::SEVERITY_MINOR));
  Advise("meti", "u", T0, In({"gas"}).Severity(v1::SEVERITY_UNSPECIFIED));
  EXPECT_EQ(Record("meti", "x").deadlines(0).due_at_ms(), T0 + 15 * kMinute);
  EXPECT_EQ(Record("meti", "m").deadlines(0).due_at_ms(), T0 + 240 * kMinute);
  EXPECT_EQ(Record("meti", "u").deadlines(0).due_at_ms(), T0 + 240 * kMinute);
  auto due = Due(T0 + 15 * kMinute, kFallback);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_THAT(due[0].deliver_to, ElementsAre("gas-a", "gas-b"));
  EXPECT_EQ(due[0].notices[1].to, "jga");
}

TEST_F(Advisories, ASectorsOwnRelayDeadlineWins) {
  v1::Topology config = ShippedTopology().config();
  for (auto& s : *config.mutable_sectors())
    if (s.id() == "electricity") s.set_relay_deadline_severe_seconds(300);
  UseTopology(std::move(config));
  Advise("meti", "adv-1", T0, In({"electricity"}));
  EXPECT_EQ(Record("meti", "adv-1").deadlines(0).due_at_ms(), T0 + 5 * kMinute);
  EXPECT_THAT(Due(T0 + 5 * kMinute, kFallback).at(0).deliver_to, ElementsAre("power-a", "power-b"));
}

TEST_F(Advisories, DirectSectorsHaveNoRelayDeadline) {
  Advise("mic", "adv-1", T0, In({"telecom"}));
  const auto& rec = Record("mic", "adv-1");
  ASSERT_EQ(rec.deadlines_size(), 1);
  EXPECT_EQ(rec.deadlines(0).kind(), v1::DEADLINE_KIND_ACKNOWLEDGEMENT);
  EXPECT_THAT(rec.relays(), IsEmpty());
}

TEST_F(Advisories, CabinetNoticeToEveryoneWatchesEveryRelay) {
  Advise("cabinet", "prev-1", T0, Everyone());
  const auto& rec = Record("cabinet", "prev-1");
  std::vector<std::string> relayed;
  for (const auto& r : rec.relays()) relayed.push_back(r.sector());
  EXPECT_THAT(relayed, ElementsAre("finance", "electricity", "gas"));
  size_t members = 0;  // every operator and provider; no ministries, no associations
  for (const auto& s : topology_->config().sectors())
    members += topology_->sector_members(s.id()).size();
  EXPECT_EQ(static_cast<size_t>(rec.recipients_size()), members);
  for (const auto& r : rec.recipients())
    EXPECT_NE(topology_->node(r.node())->kind(), v1::NODE_KIND_MINISTRY) << r.node();
  Relay("fepc", "cabinet", "prev-1", "r-fepc", T0 + kMinute);
  auto due = Due(T0 + 30 * kMinute, kFallback);
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].deadline.party(), "finance");
  EXPECT_EQ(due[1].deadline.party(), "gas");
}

v1::Topology TwoRelays() {
  v1::Topology t;
  google::protobuf::TextFormat::ParseFromString(
      R"pb(
        sectors {
          id: "finance"
          ministries: "fsa"
          advisory_path: ADVISORY_PATH_VIA_ASSOCIATION
          peer_sharing: PEER_SHARING_NONE
          relay_associations: "north"
          relay_associations: "south"
        }
        nodes { id: "cabinet" kind: NODE_KIND_CABINET }
        nodes { id: "fsa" kind: NODE_KIND_MINISTRY }
        nodes {
          id: "north"
          kind: NODE_KIND_ASSOCIATION
          sector: "finance"
          members: "a"
          members: "b"
        }
        nodes {
          id: "south"
          kind: NODE_KIND_ASSOCIATION
          sector: "finance"
          members: "b"
          members: "c"
        }
        nodes { id: "a" kind: NODE_KIND_OPERATOR sector: "finance" }
        nodes { id: "b" kind: NODE_KIND_OPERATOR sector: "finance" }
        nodes { id: "c" kind: NODE_KIND_OPERATOR sector: "finance" }
      )pb",
      &t);
  return t;
}

TEST_F(Advisories, FallbackReachesOnlyMembersNoRelayCovered) {
  UseTopology(TwoRelays());
  Advise("fsa", "adv-1", T0, In({"finance"}));
  Relay("north", "fsa", "adv-1", "r-north", T0 + kMinute);
  EXPECT_EQ(Record("fsa", "adv-1").deadlines(0).state(), v1::DEADLINE_PENDING);
  auto due = Due(T0 + 30 * kMinute, kFallback);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_THAT(due[0].deliver_to, ElementsAre("c"));  // b came through north
  ASSERT_EQ(due[0].notices.size(), 2u);
  EXPECT_EQ(due[0].notices[1].to, "south");
  EXPECT_THAT(due[0].notices[1].text, HasSubstr("delivered it directly to c,"));
}

TEST_F(Advisories, EveryAssociationRelayingMeetsTheDeadline) {
  UseTopology(TwoRelays());
  Advise("fsa", "adv-1", T0, In({"finance"}));
  Relay("north", "fsa", "adv-1", "r-north", T0 + kMinute);
  Relay("south", "fsa", "adv-1", "r-south", T0 + 2 * kMinute);
  EXPECT_EQ(Record("fsa", "adv-1").deadlines(0).state(), v1::DEADLINE_MET);
}

TEST_F(Advisories, AnUpdateWithdrawsTheDeadlinesOfWhatItReplaces) {
  Advise("fsa", "adv-1", T0, In({"finance"}));
  Advise("fsa", "adv-2", T0 + 5 * kMinute, In({"finance"}).Replaces("adv-1"));
  const auto& old = Record("fsa", "adv-1");
  EXPECT_EQ(old.replaced_by(), "adv-2");
  for (const auto& d : old.deadlines()) {
    EXPECT_EQ(d.state(), v1::DEADLINE_WITHDRAWN);
    EXPECT_EQ(d.closed_why(), "replaced by adv-2");
  }
  EXPECT_THAT(Due(T0 + 34 * kMinute, kFallback), IsEmpty());
  EXPECT_EQ(Due(T0 + 35 * kMinute, kFallback).at(0).deadline.subject(), "fsa/adv-2");
}

TEST_F(Advisories, ReplayingAnAdvisoryChangesNothing) {
  Advise("fsa", "adv-1", T0, In({"finance"}));
  Advise("fsa", "adv-1", T0, In({"finance"}));
  EXPECT_EQ(Record("fsa", "adv-1").deadlines_size(), 2);  // one relay, one acknowledgement
  EXPECT_EQ(Record("fsa", "adv-1").relays_size(), 1);
}

TEST_F(Advisories, VendorInformationIsNotWatched) {
  v1::Envelope env;
  env.set_message_id("sec-1");
  env.mutable_advisory()->set_kind(v1::ADVISORY_SECURITY_INFORMATION);
  env.mutable_advisory()->mutable_audience()->set_everyone(true);
  auto touched =
      core::ApplyAdvisory(rules_, *topology_, state_, {*topology_->node("vendor-x"), env, T0});
  EXPECT_THAT(touched.advisories, IsEmpty());
  EXPECT_TRUE(state_.advisories.empty());
}

// --- Acknowledgements --------------------------------------------------------------------

TEST_F(Advisories, ReminderGoesToWhoeverHasNotAcknowledged) {
  Advise("mic", "adv-1", T0, In({"telecom"}));
  Ack("carrier-a", "mic", "adv-1", v1::ACK_READ, T0 + 10 * kMinute);
  Ack("carrier-b", "mic", "adv-1", v1::ACK_RECEIVED, T0 + 10 * kMinute);  // below ack_read
  EXPECT_THAT(Due(T0 + 120 * kMinute - 1, kReminder), IsEmpty());
  auto due = Due(T0 + 120 * kMinute, kReminder);
  ASSERT_EQ(due.size(), 1u);
  std::vector<std::string> to;
  for (const auto& n : due[0].notices) to.push_back(n.to);
  EXPECT_THAT(to, ElementsAre("carrier-b", "broadcaster-c", "mic"));
  EXPECT_THAT(due[0].notices[0].text, StartsWith("please acknowledge advisory adv-1 from mic"));
  EXPECT_EQ(due[0].notices[2].text,
            "2 of 3 recipients have not acknowledged advisory adv-1 within 2 hours: carrier-b "
            "and broadcaster-c; the hub reminded them");
  core::Complete(state_, due[0], T0 + 120 * kMinute);
  EXPECT_THAT(Due(T0 + 240 * kMinute, kReminder), IsEmpty());
}

TEST_F(Advisories, EveryoneAcknowledgedMeetsTheDeadline) {
  Advise("mlit", "adv-1", T0, In({"railway"}).Nodes({"airline-a"}));
  for (const char* node : {"railway-a", "railway-b", "airline-a"})
    Ack(node, "mlit", "adv-1", v1::ACK_ACTED_ON, T0 + kMinute);
  const auto& d = Record("mlit", "adv-1").deadlines(0);
  EXPECT_EQ(d.state(), v1::DEADLINE_MET);
  EXPECT_THAT(Due(T0 + 24 * 60 * kMinute, kReminder), IsEmpty());
  EXPECT_EQ(core::NextDueAt(state_), std::nullopt);
}

TEST_F(Advisories, AcknowledgingTheRelayCountsForTheOriginal) {
  Advise("fsa", "adv-1", T0, In({"finance"}));
  Relay("jba", "fsa", "adv-1", "relay-7", T0 + kMinute);
  auto touched = Ack("megabank-a", "jba", "relay-7", v1::ACK_READ, T0 + 2 * kMinute);
  EXPECT_THAT(touched.advisories, ElementsAre("fsa/adv-1"));
  const auto& rec = Record("fsa", "adv-1");
  EXPECT_EQ(rec.recipients(0).node(), "megabank-a");
  EXPECT_EQ(rec.recipients(0).via(), "relay:finance");
  EXPECT_TRUE(rec.recipients(0).acknowledged());
  EXPECT_THAT(Ack("megabank-a", "fsa", "adv-1", v1::ACK_READ, T0 + 3 * kMinute).advisories,
              IsEmpty());  // already counted
}

TEST_F(Advisories, RelayComesDueBeforeTheReminder) {
  Advise("meti", "adv-1", T0, In({"gas"}));
  EXPECT_EQ(core::NextDueAt(state_), T0 + 30 * kMinute);
  auto due = core::Due(rules_, state_, T0 + 120 * kMinute);
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].kind, kFallback);
  EXPECT_EQ(due[1].kind, kReminder);
}

// --- Drills ------------------------------------------------------------------------------

TEST_F(Advisories, ADrillsFallbackAndRemindersAreLabelled) {
  Advise("meti", "drill-1", T0, In({"gas"}).Status(v1::STATUS_EXERCISE));
  auto due = core::Due(rules_, state_, T0 + 120 * kMinute);
  ASSERT_EQ(due.size(), 2u);
  for (const auto& a : due) {
    EXPECT_EQ(a.status, v1::STATUS_EXERCISE);
    for (const auto& n : a.notices) EXPECT_THAT(n.text, StartsWith("[exercise] "));
  }
  EXPECT_THAT(due[0].delivery_note, StartsWith("[exercise] direct fallback"));
}

}  // namespace
}  // namespace renrakumo::testing
