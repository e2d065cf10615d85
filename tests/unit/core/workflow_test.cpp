// Incidents and escalation, with a fake clock (plain millisecond values): history across
// phases and assessments, the Cabinet notice in both escalation modes, before and after the
// deadline, into and out of (d)/(e), and drills that never escalate as real.
#include "core/workflow.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "shipped_config.h"

namespace renrakumo::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

constexpr int64_t T0 = 1'700'000'000'000;
constexpr int64_t kMinute = 60'000;

class Workflow : public ::testing::Test {
 protected:
  v1::Envelope ReportEnvelope(const char* incident, v1::Situation s, v1::Likelihood l,
                              v1::ReportPhase phase, v1::MessageStatus status) {
    v1::Envelope env;
    env.set_message_id("m" + std::to_string(++messages_));
    env.set_status(status);
    v1::IncidentReport* r = env.mutable_report();
    r->set_incident_id(incident);
    r->set_phase(phase);
    r->set_situation(s);
    r->set_likelihood(l);
    r->set_affected_system("other");
    r->add_evidence(v1::EVIDENCE_BACKDOOR);
    return env;
  }

  std::optional<core::Rejection> Report(const char* reporter, const char* incident, v1::Situation s,
                                        v1::Likelihood l, int64_t at,
                                        v1::ReportPhase phase = v1::PHASE_FLASH,
                                        v1::MessageStatus status = v1::STATUS_ACTUAL) {
    const v1::Envelope env = ReportEnvelope(incident, s, l, phase, status);
    const v1::Node& node = *topology_.node(reporter);
    const core::Filed f{node, env, at};
    const core::Classification c =
        core::Classify(rules_, *topology_.sector(node.sector()), env.report());
    EXPECT_TRUE(c.valid) << c.rejection.reason;
    if (auto bad = core::CheckReport(state_, f)) return bad;
    core::ApplyReport(rules_, topology_, state_, f, c);
    return std::nullopt;
  }

  std::optional<core::Rejection> Assess(const char* by, const char* reporter, const char* incident,
                                        v1::Situation s, v1::Likelihood l, int64_t at,
                                        v1::MessageStatus status = v1::STATUS_ACTUAL) {
    v1::Envelope env;
    env.set_message_id("a" + std::to_string(++messages_));
    env.set_status(status);
    v1::Assessment* a = env.mutable_assessment();
    a->set_incident_id(incident);
    a->set_reporter(reporter);
    a->set_situation(s);
    a->set_likelihood(l);
    const core::Filed f{*topology_.node(by), env, at};
    if (auto bad = core::CheckAssessment(rules_, state_, f)) return bad;
    core::ApplyAssessment(rules_, state_, f);
    return std::nullopt;
  }

  std::vector<core::Action> Due(int64_t now) { return core::Due(rules_, state_, now); }

  const v1::IncidentRecord& Incident(const char* reporter, const char* id) {
    return state_.incidents.at(core::IncidentKey(reporter, id));
  }

  void Automatic(uint32_t deadline_seconds) {
    rules_.mutable_escalation()->set_mode(v1::ESCALATION_MODE_AUTOMATIC);
    rules_.mutable_escalation()->set_deadline_seconds(deadline_seconds);
  }

  v1::Rules rules_ = ShippedRules();  // ministry mode, 30 minutes
  const core::Topology& topology_ = ShippedTopology();
  core::WorkflowState state_;
  int messages_ = 0;
};

constexpr auto PRECURSOR = v1::SITUATION_PRECURSOR;
constexpr auto MINOR = v1::SITUATION_MINOR_FAILURE;
constexpr auto SERIOUS = v1::SITUATION_SERIOUS_FAILURE;
constexpr auto ATTACK = v1::SITUATION_ATTACK_CONFIRMED;
constexpr auto C = v1::LIKELIHOOD_POSSIBLE_UNCLEAR;
constexpr auto D = v1::LIKELIHOOD_HIGH;
constexpr auto E = v1::LIKELIHOOD_CONFIRMED;

// --- History -----------------------------------------------------------------------------

TEST_F(Workflow, PhasesAndAssessmentsAttachToOneIncident) {
  ASSERT_FALSE(Report("power-a", "inc-1", MINOR, C, T0));
  ASSERT_FALSE(Assess("meti", "power-a", "inc-1", SERIOUS, C, T0 + kMinute));
  ASSERT_FALSE(Report("power-a", "inc-1", SERIOUS, C, T0 + 2 * kMinute, v1::PHASE_FOLLOW_UP));
  const auto& rec = Incident("power-a", "inc-1");
  EXPECT_EQ(rec.sector(), "electricity");
  EXPECT_EQ(rec.ministry(), "meti");
  EXPECT_EQ(rec.cabinet(), "cabinet");
  ASSERT_EQ(rec.history_size(), 3);
  EXPECT_EQ(rec.history(1).source(), v1::CHANGE_SOURCE_ASSESSMENT);
  EXPECT_EQ(rec.history(1).by(), "meti");
  EXPECT_EQ(rec.history(2).phase(), v1::PHASE_FOLLOW_UP);
  EXPECT_EQ(core::CellWords(rec.cell()), "(serious_failure, possible_unclear)");
  EXPECT_EQ(core::OpenIncidents(state_, false).size(), 1u);
  ASSERT_FALSE(Report("power-a", "inc-1", SERIOUS, C, T0 + 3 * kMinute, v1::PHASE_FINAL));
  EXPECT_TRUE(Incident("power-a", "inc-1").closed());
  EXPECT_THAT(core::OpenIncidents(state_, false), IsEmpty());
}

TEST_F(Workflow, IncidentIdsBelongToTheirReporter) {
  ASSERT_FALSE(Report("power-a", "inc-1", MINOR, C, T0));
  ASSERT_FALSE(Report("gas-a", "inc-1", MINOR, C, T0));
  EXPECT_EQ(state_.incidents.size(), 2u);
}

TEST_F(Workflow, WarningsAreKeptInTheHistory) {
  v1::Envelope env =
      ReportEnvelope("inc-1", MINOR, v1::LIKELIHOOD_NEGLIGIBLE, v1::PHASE_FLASH, v1::STATUS_ACTUAL);
  env.mutable_report()->mutable_impact()->set_households_affected(600);
  const v1::Node& gas = *topology_.node("gas-a");
  const core::Filed f{gas, env, T0};
  core::ApplyReport(rules_, topology_, state_, f,
                    core::Classify(rules_, *topology_.sector("gas"), env.report()));
  EXPECT_THAT(Incident("gas-a", "inc-1").history(0).warnings(),
              ElementsAre(HasSubstr("meets the statutory threshold for a serious failure")));
}

TEST_F(Workflow, AssessmentsNeedAKnownIncidentAndAValidCell) {
  auto unknown = Assess("meti", "power-a", "nope", MINOR, C, T0);
  ASSERT_TRUE(unknown);
  EXPECT_THAT(unknown->reason, HasSubstr("never reported"));
  ASSERT_FALSE(Report("power-a", "inc-1", MINOR, C, T0));
  auto bad = Assess("meti", "power-a", "inc-1", PRECURSOR, v1::LIKELIHOOD_NEGLIGIBLE, T0);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->code, v1::REJECT_INVALID_FIELD);
  EXPECT_THAT(bad->reason, HasSubstr("no cell (precursor, negligible) for this assessment"));
}

TEST_F(Workflow, ProvidersReportsAreNotIncidents) {
  const v1::Envelope env = ReportEnvelope("inc-1", MINOR, C, v1::PHASE_FLASH, v1::STATUS_ACTUAL);
  const core::Filed f{*topology_.node("provider-a"), env, T0};
  auto touched =
      core::ApplyReport(rules_, topology_, state_, f,
                        core::Classify(rules_, *topology_.sector("it_services"), env.report()));
  EXPECT_THAT(touched.incidents, IsEmpty());
  EXPECT_TRUE(state_.incidents.empty());
}

// --- Escalation, ministry mode -----------------------------------------------------------

TEST_F(Workflow, MinistryMode_NothingBeforeTheDeadline_ReminderAfterIt_Once) {
  ASSERT_FALSE(Report("power-a", "inc-1", PRECURSOR, D, T0));
  EXPECT_EQ(core::NextDueAt(state_), T0 + 30 * kMinute);
  EXPECT_THAT(Due(T0 + 30 * kMinute - 1), IsEmpty());
  auto due = Due(T0 + 30 * kMinute);
  ASSERT_EQ(due.size(), 1u);
  const core::Action& a = due[0];
  EXPECT_EQ(a.kind, core::ActionKind::kEscalationOverdue);
  EXPECT_EQ(a.cabinet_notice, v1::OBLIGATION_NOTIFY_CABINET_ATTACK_HIGHLY_LIKELY);
  EXPECT_EQ(a.status, v1::STATUS_ACTUAL);
  ASSERT_EQ(a.notices.size(), 2u);
  EXPECT_EQ(a.notices[0].to, "meti");
  EXPECT_THAT(a.notices[0].text, AllOf(StartsWith("reminder: incident inc-1 of power-a"),
                                       HasSubstr("attack highly likely"), HasSubstr("30 minutes")));
  EXPECT_EQ(a.notices[1].to, "cabinet");
  EXPECT_THAT(a.notices[1].text, StartsWith("notice overdue: meti has not notified you"));
  auto touched = core::Complete(state_, a, T0 + 31 * kMinute);
  EXPECT_THAT(touched.incidents, ElementsAre("power-a/inc-1"));
  EXPECT_THAT(Due(T0 + 24 * 60 * kMinute), IsEmpty());
  EXPECT_THAT(core::Complete(state_, a, T0 + 32 * kMinute).incidents, IsEmpty());
  EXPECT_EQ(Incident("power-a", "inc-1").deadlines(0).state(), v1::DEADLINE_ACTED);
  EXPECT_EQ(core::NextDueAt(state_), std::nullopt);
}

TEST_F(Workflow, MinistryMode_MinistrysAssessmentInTimeIsTheNotice) {
  ASSERT_FALSE(Report("power-a", "inc-1", PRECURSOR, D, T0));
  ASSERT_FALSE(Assess("meti", "power-a", "inc-1", PRECURSOR, D, T0 + 10 * kMinute));
  const auto& rec = Incident("power-a", "inc-1");
  EXPECT_EQ(rec.deadlines(0).state(), v1::DEADLINE_MET);
  EXPECT_THAT(rec.deadlines(0).closed_why(), HasSubstr("meti notified the Cabinet"));
  EXPECT_THAT(rec.notified(), ElementsAre(D));
  EXPECT_THAT(Due(T0 + 60 * kMinute), IsEmpty());
}

TEST_F(Workflow, AssessmentMovingIntoDByTheMinistryNeedsNoDeadline) {
  ASSERT_FALSE(Report("gas-a", "inc-1", MINOR, C, T0));
  EXPECT_EQ(core::NextDueAt(state_), std::nullopt);
  ASSERT_FALSE(Assess("meti", "gas-a", "inc-1", MINOR, D, T0 + kMinute));
  EXPECT_THAT(Incident("gas-a", "inc-1").notified(), ElementsAre(D));
  EXPECT_EQ(core::NextDueAt(state_), std::nullopt);
}

TEST_F(Workflow, AssessmentMovingIntoEByTheCabinetNeedsNoNotice) {
  ASSERT_FALSE(Report("gas-a", "inc-1", SERIOUS, C, T0));
  ASSERT_FALSE(Assess("cabinet", "gas-a", "inc-1", ATTACK, E, T0 + kMinute));
  EXPECT_THAT(Incident("gas-a", "inc-1").notified(), ElementsAre(E));
  EXPECT_THAT(Due(T0 + 24 * 60 * kMinute), IsEmpty());
}

TEST_F(Workflow, AssessmentMovingOutOfDWithdrawsTheDeadline) {
  ASSERT_FALSE(Report("gas-a", "inc-1", SERIOUS, D, T0));
  ASSERT_FALSE(Assess("meti", "gas-a", "inc-1", SERIOUS, C, T0 + 5 * kMinute));
  const auto& d = Incident("gas-a", "inc-1").deadlines(0);
  EXPECT_EQ(d.state(), v1::DEADLINE_WITHDRAWN);
  EXPECT_THAT(d.closed_why(), HasSubstr("no longer owed: the incident moved from (d) highly "
                                        "likely to (c) possible"));
  EXPECT_THAT(Due(T0 + 60 * kMinute), IsEmpty());
}

TEST_F(Workflow, FollowUpReportMovingFromDToEReplacesTheNoticeDue) {
  ASSERT_FALSE(Report("railway-a", "inc-1", SERIOUS, D, T0));
  ASSERT_FALSE(Report("railway-a", "inc-1", ATTACK, E, T0 + 10 * kMinute, v1::PHASE_FOLLOW_UP));
  const auto& rec = Incident("railway-a", "inc-1");
  ASSERT_EQ(rec.deadlines_size(), 2);
  EXPECT_EQ(rec.deadlines(0).state(), v1::DEADLINE_WITHDRAWN);
  EXPECT_THAT(rec.deadlines(0).closed_why(), StartsWith("superseded"));
  EXPECT_EQ(rec.deadlines(1).column(), E);
  EXPECT_THAT(Due(T0 + 39 * kMinute), IsEmpty());
  auto due = Due(T0 + 40 * kMinute);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].cabinet_notice, v1::OBLIGATION_NOTIFY_CABINET_ATTACK_OCCURRED);
  EXPECT_EQ(due[0].notices[0].to, "mlit");
}

TEST_F(Workflow, ReportsOfMinistrySystemsReachTheCabinetDirectly) {
  ASSERT_FALSE(Report("ministry-system-a", "inc-1", ATTACK, E, T0));
  EXPECT_THAT(Incident("ministry-system-a", "inc-1").notified(), ElementsAre(E));
  EXPECT_EQ(core::NextDueAt(state_), std::nullopt);
}

// --- Escalation, automatic mode ----------------------------------------------------------

TEST_F(Workflow, AutomaticMode_TheHubNotifiesAtOnce) {
  Automatic(0);
  ASSERT_FALSE(Report("megabank-a", "inc-1", ATTACK, E, T0));
  auto due = Due(T0);
  ASSERT_EQ(due.size(), 1u);
  const core::Action& a = due[0];
  EXPECT_EQ(a.kind, core::ActionKind::kSendEscalation);
  EXPECT_EQ(a.cabinet_notice, v1::OBLIGATION_NOTIFY_CABINET_ATTACK_OCCURRED);
  EXPECT_EQ(a.deadline.party(), "fsa");
  ASSERT_EQ(a.notices.size(), 2u);
  EXPECT_EQ(a.notices[0].to, "cabinet");
  EXPECT_THAT(a.notices[0].text, AllOf(StartsWith("escalation from fsa, sent automatically"),
                                       HasSubstr("attack has occurred"),
                                       HasSubstr("incident inc-1 of megabank-a (finance sector)")));
  EXPECT_EQ(a.notices[1].to, "fsa");
  core::Complete(state_, a, T0);
  EXPECT_THAT(Incident("megabank-a", "inc-1").notified(), ElementsAre(E));
  ASSERT_FALSE(Report("megabank-a", "inc-1", ATTACK, E, T0 + kMinute, v1::PHASE_FOLLOW_UP));
  EXPECT_THAT(Due(T0 + 60 * kMinute), IsEmpty());  // (e) was notified: no second notice
}

TEST_F(Workflow, AutomaticMode_GraceLetsTheMinistryGoFirst) {
  Automatic(600);
  ASSERT_FALSE(Report("megabank-a", "inc-1", PRECURSOR, D, T0));
  EXPECT_THAT(Due(T0 + 10 * kMinute - 1), IsEmpty());
  ASSERT_FALSE(Assess("fsa", "megabank-a", "inc-1", PRECURSOR, D, T0 + 5 * kMinute));
  EXPECT_THAT(Due(T0 + 60 * kMinute), IsEmpty());
}

TEST_F(Workflow, AutomaticMode_AfterTheGraceTheHubSends) {
  Automatic(600);
  ASSERT_FALSE(Report("megabank-a", "inc-1", PRECURSOR, D, T0));
  auto due = Due(T0 + 10 * kMinute);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].kind, core::ActionKind::kSendEscalation);
}

TEST_F(Workflow, AutomaticMode_DThenENotifiesTwice) {
  Automatic(0);
  ASSERT_FALSE(Report("megabank-a", "inc-1", PRECURSOR, D, T0));
  core::Complete(state_, Due(T0).at(0), T0);
  ASSERT_FALSE(Report("megabank-a", "inc-1", ATTACK, E, T0 + kMinute, v1::PHASE_FOLLOW_UP));
  auto due = Due(T0 + kMinute);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].cabinet_notice, v1::OBLIGATION_NOTIFY_CABINET_ATTACK_OCCURRED);
  core::Complete(state_, due[0], T0 + kMinute);
  EXPECT_THAT(Incident("megabank-a", "inc-1").notified(), ElementsAre(D, E));
}

TEST_F(Workflow, AutomaticMode_LeavingDBeforeTheGraceEndsSendsNothing) {
  Automatic(600);
  ASSERT_FALSE(Report("megabank-a", "inc-1", SERIOUS, D, T0));
  ASSERT_FALSE(Report("megabank-a", "inc-1", SERIOUS, C, T0 + kMinute, v1::PHASE_FOLLOW_UP));
  EXPECT_THAT(Due(T0 + 60 * kMinute), IsEmpty());
}

// --- Durability --------------------------------------------------------------------------

TEST_F(Workflow, ReplayingAMessageChangesNothing) {
  const v1::Envelope env = ReportEnvelope("inc-1", SERIOUS, D, v1::PHASE_FLASH, v1::STATUS_ACTUAL);
  const core::Filed f{*topology_.node("gas-a"), env, T0};
  const auto c = core::Classify(rules_, *topology_.sector("gas"), env.report());
  EXPECT_THAT(core::ApplyReport(rules_, topology_, state_, f, c).incidents,
              ElementsAre("gas-a/inc-1"));
  EXPECT_THAT(core::ApplyReport(rules_, topology_, state_, f, c).incidents, IsEmpty());
  EXPECT_EQ(Incident("gas-a", "inc-1").history_size(), 1);
  EXPECT_EQ(Incident("gas-a", "inc-1").deadlines_size(), 1);
}

TEST_F(Workflow, DeadlinesSurviveARestart) {
  ASSERT_FALSE(Report("gas-a", "inc-1", SERIOUS, D, T0));
  // What the journal would store: each record's bytes. A new hub process reads them back.
  core::WorkflowState restarted;
  for (const auto& [key, rec] : state_.incidents)
    ASSERT_TRUE(restarted.incidents[key].ParseFromString(rec.SerializeAsString()));
  state_ = core::WorkflowState();
  EXPECT_EQ(core::NextDueAt(restarted), T0 + 30 * kMinute);
  auto due = core::Due(rules_, restarted, T0 + 30 * kMinute);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].kind, core::ActionKind::kEscalationOverdue);
  core::Complete(restarted, due[0], T0 + 30 * kMinute);
  EXPECT_THAT(core::Due(rules_, restarted, T0 + 60 * kMinute), IsEmpty());
}

// --- Drills ------------------------------------------------------------------------------

TEST_F(Workflow, ADrillEscalatesOnlyAsADrill) {
  Automatic(0);
  ASSERT_FALSE(Report("power-a", "drill-1", ATTACK, E, T0, v1::PHASE_FLASH, v1::STATUS_EXERCISE));
  auto due = Due(T0);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].status, v1::STATUS_EXERCISE);
  EXPECT_EQ(due[0].deadline.status(), v1::STATUS_EXERCISE);
  for (const auto& n : due[0].notices) EXPECT_THAT(n.text, StartsWith("[exercise] ")) << n.to;
}

TEST_F(Workflow, TestMessagesAreLabelledTest) {
  ASSERT_FALSE(Report("power-a", "t-1", PRECURSOR, D, T0, v1::PHASE_FLASH, v1::STATUS_TEST));
  auto due = Due(T0 + 30 * kMinute);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].status, v1::STATUS_TEST);
  for (const auto& n : due[0].notices) EXPECT_THAT(n.text, StartsWith("[test] "));
}

TEST_F(Workflow, DrillsNeverCountAsRealIncidents) {
  ASSERT_FALSE(Report("power-a", "drill-1", MINOR, C, T0, v1::PHASE_FLASH, v1::STATUS_EXERCISE));
  ASSERT_FALSE(Report("power-a", "real-1", MINOR, C, T0));
  auto real = core::OpenIncidents(state_, false);
  ASSERT_EQ(real.size(), 1u);
  EXPECT_EQ(real[0]->incident_id(), "real-1");
  EXPECT_EQ(core::OpenIncidents(state_, true).size(), 2u);
}

TEST_F(Workflow, DrillsAndRealIncidentsNeverMix) {
  ASSERT_FALSE(Report("power-a", "inc-1", MINOR, C, T0, v1::PHASE_FLASH, v1::STATUS_EXERCISE));
  auto real = Report("power-a", "inc-1", MINOR, D, T0 + kMinute, v1::PHASE_FOLLOW_UP);
  ASSERT_TRUE(real);
  EXPECT_THAT(real->reason, HasSubstr("is an exercise, but this report is real"));
  auto assessed = Assess("meti", "power-a", "inc-1", MINOR, D, T0 + kMinute);
  ASSERT_TRUE(assessed);
  EXPECT_THAT(assessed->reason, HasSubstr("drills and real incidents never mix"));
  EXPECT_FALSE(Assess("meti", "power-a", "inc-1", MINOR, D, T0 + kMinute, v1::STATUS_EXERCISE));
  EXPECT_EQ(core::CellWords(Incident("power-a", "inc-1").cell()), "(minor_failure, high)");
}

}  // namespace
}  // namespace renrakumo::testing
