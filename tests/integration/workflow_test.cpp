// The seed's incident workflow in the running hub: the matrix and notes 1 and 2 decide what
// is accepted, assessments re-classify, history is kept, and the hub rebuilds it on restart.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sqlite3.h>

#include <set>
#include <string>
#include <vector>

#include "config/signing.h"
#include "network.h"
#include "renrakumo/v1/workflow.pb.h"
#include "store/sqlite_journal.h"

namespace renrakumo::testing {
namespace {

using ::testing::HasSubstr;

v1::Envelope Report(const std::string& id, const std::string& incident, v1::Situation situation,
                    v1::Likelihood likelihood) {
  auto env = MakeReport(id);
  env.mutable_report()->set_incident_id(incident);
  env.mutable_report()->set_situation(situation);
  env.mutable_report()->set_likelihood(likelihood);
  return env;
}

TEST(Workflow, ACellOutsideTheMatrixIsRejectedCitingTheRule) {
  TestNetwork net;
  auto carrier = net.Connect("carrier-a");
  auto env = Report("r1", "inc-1", v1::SITUATION_PRECURSOR, v1::LIKELIHOOD_NEGLIGIBLE);
  env.mutable_report()->add_evidence(v1::EVIDENCE_ATTACK_NOTICE);
  auto outcome = carrier->Submit(env);
  ASSERT_TRUE(outcome);
  ASSERT_FALSE(outcome->accepted);
  EXPECT_EQ(outcome->rejected_reply.code(), v1::REJECT_INVALID_FIELD);
  EXPECT_THAT(outcome->rejected_reply.reason(), HasSubstr("matrix"));
}

TEST(Workflow, APrecursorWithOnlyAPortScanIsRejectedCitingNoteOne) {
  TestNetwork net;
  auto carrier = net.Connect("carrier-a");
  auto env = Report("r1", "inc-1", v1::SITUATION_PRECURSOR, v1::LIKELIHOOD_HIGH);
  env.mutable_report()->add_evidence(v1::EVIDENCE_PORT_SCAN);
  auto outcome = carrier->Submit(env);
  ASSERT_TRUE(outcome);
  ASSERT_FALSE(outcome->accepted);
  EXPECT_THAT(outcome->rejected_reply.reason(), HasSubstr("note 1"));
  env.set_message_id("r2");
  env.mutable_report()->add_evidence(v1::EVIDENCE_SNIFFER_ON_GATEWAY);
  EXPECT_TRUE(carrier->Submit(env)->accepted);
}

// A busy operator's reports arrive pipelined, so the hub decides many of them in one batch
// and applies the workflow to each once the batch is stored: every accepted report opens its
// own incident and reaches the ministry once, a refused one among them changes nothing, and a
// retry inside the burst is answered without a second incident.
TEST(Workflow, EachReportOfAPipelinedBurstOpensItsOwnIncident) {
  TestNetwork net;
  std::vector<v1::Envelope> burst;
  for (int i = 0; i < 40; ++i) burst.push_back(MakeReport("burst-" + std::to_string(i)));
  auto refused = Report("burst-refused", "inc-refused", v1::SITUATION_PRECURSOR,
                        v1::LIKELIHOOD_NEGLIGIBLE);
  refused.mutable_report()->add_evidence(v1::EVIDENCE_ATTACK_NOTICE);
  burst.insert(burst.begin() + 20, refused);
  burst.push_back(burst[5]);  // the same message again: answered as a duplicate
  EXPECT_EQ(SubmitMany(net, "carrier-a", burst), 41u);  // all but the refused one

  auto list = net.Connect("carrier-a")->Incidents({});
  ASSERT_TRUE(list) << list.error();
  std::set<std::string> incidents;
  for (const auto& record : list->incidents()) {
    incidents.insert(record.incident_id());
    EXPECT_EQ(record.cell().situation(), v1::SITUATION_SERIOUS_FAILURE) << record.key();
    ASSERT_GE(record.history_size(), 1) << record.key();
    EXPECT_EQ(record.history(0).by(), "carrier-a");
  }
  EXPECT_EQ(list->incidents_size(), 40);
  EXPECT_EQ(incidents.size(), 40u);
  EXPECT_EQ(incidents.count("inc-refused"), 0u);
  EXPECT_EQ(incidents.count("inc-burst-0"), 1u);
  EXPECT_EQ(incidents.count("inc-burst-39"), 1u);
  EXPECT_EQ(Drain(*net.Connect("mic")).size(), 40u);
}

// A minor failure whose impact meets the statutory threshold of a serious one (note 2): the
// hub accepts it with a warning.
v1::Envelope MinorFailureOverTheThreshold() {
  auto env = Report("r1", "inc-1", v1::SITUATION_MINOR_FAILURE, v1::LIKELIHOOD_NEGLIGIBLE);
  env.mutable_report()->mutable_impact()->set_users_affected(40000);
  env.mutable_report()->mutable_impact()->set_duration_minutes(150);
  return env;
}

TEST(Workflow, AMinorFailureOverTheStatutoryThresholdIsFlaggedToReporterAndMinistry) {
  TestNetwork net;
  auto carrier = net.Connect("carrier-a");
  auto env = MinorFailureOverTheThreshold();
  auto outcome = carrier->Submit(env);
  ASSERT_TRUE(outcome && outcome->accepted) << (outcome ? outcome->rejected_reply.reason() : outcome.error());
  ASSERT_EQ(outcome->accepted_reply.warnings_size(), 1);
  EXPECT_THAT(outcome->accepted_reply.warnings(0),
              HasSubstr("meets the statutory threshold for a serious failure"));
  auto mic = net.Connect("mic");
  auto got = Drain(*mic);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_THAT(got[0].note(), HasSubstr("meets the statutory threshold"));
}

// A reporter whose answer was lost retries: the duplicate answer carries the same warning,
// also after a restart (the journal keeps what the sender was told).
TEST(Workflow, ARetryIsAnsweredWithTheOriginalWarnings) {
  TestNetwork net;
  auto carrier = net.Connect("carrier-a");
  auto env = MinorFailureOverTheThreshold();
  auto first = carrier->Submit(env);
  ASSERT_TRUE(first && first->accepted);
  ASSERT_EQ(first->accepted_reply.warnings_size(), 1);
  for (int round = 0; round < 2; ++round) {
    auto retry = carrier->Submit(env);
    ASSERT_TRUE(retry && retry->accepted) << "round " << round;
    EXPECT_TRUE(retry->accepted_reply.duplicate());
    ASSERT_EQ(retry->accepted_reply.warnings_size(), 1) << "round " << round;
    EXPECT_EQ(retry->accepted_reply.warnings(0), first->accepted_reply.warnings(0));
    if (round == 0) {
      carrier.reset();
      net.RestartHub();
      carrier = net.Connect("carrier-a");
    }
  }
}

TEST(Workflow, AssessmentReclassifiesEscalatesAndTheHistorySurvivesARestart) {
  TestNetwork net;
  auto carrier = net.Connect("carrier-a");
  auto flash = Report("r1", "inc-9", v1::SITUATION_SERIOUS_FAILURE, v1::LIKELIHOOD_POSSIBLE_UNCLEAR);
  ASSERT_TRUE(carrier->Submit(flash)->accepted);
  auto mic = net.Connect("mic");
  v1::Envelope assess;
  assess.set_message_id("as-1");
  assess.set_tlp(v1::TLP_AMBER);
  auto* a = assess.mutable_assessment();
  a->set_incident_id("inc-9");
  a->set_reporter("carrier-a");
  a->set_situation(v1::SITUATION_SERIOUS_FAILURE);
  a->set_likelihood(v1::LIKELIHOOD_HIGH);
  a->set_other_operators_at_risk(true);
  auto assessed = mic->Submit(assess);
  ASSERT_TRUE(assessed && assessed->accepted) << assessed->rejected_reply.reason();

  // The Cabinet Secretariat is notified: attack highly likely (column d).
  auto cabinet = net.Connect("cabinet");
  auto escalations = Drain(*cabinet);
  ASSERT_EQ(escalations.size(), 1u);
  EXPECT_THAT(escalations[0].note(), HasSubstr("attack highly likely"));

  // An assessment of an incident nobody reported is refused.
  assess.set_message_id("as-2");
  assess.mutable_assessment()->set_incident_id("inc-unknown");
  auto unknown = mic->Submit(assess);
  ASSERT_TRUE(unknown);
  EXPECT_FALSE(unknown->accepted);

  net.RestartHub();
  v1::IncidentsQuery one;
  one.set_reporter("carrier-a");
  one.set_incident_id("inc-9");
  auto again = net.Connect("mic");
  auto list = again->Incidents(one);
  ASSERT_TRUE(list) << list.error();
  ASSERT_EQ(list->incidents_size(), 1);
  const auto& record = list->incidents(0);
  EXPECT_EQ(record.cell().likelihood(), v1::LIKELIHOOD_HIGH);
  ASSERT_EQ(record.history_size(), 2);
  EXPECT_EQ(record.history(0).by(), "carrier-a");
  EXPECT_EQ(record.history(1).by(), "mic");

  // Only as far as necessary: the reporter and the Cabinet see it, another carrier does not.
  EXPECT_EQ(net.Connect("carrier-a")->Incidents({})->incidents_size(), 1);
  EXPECT_EQ(net.Connect("cabinet")->Incidents({})->incidents_size(), 1);
  EXPECT_EQ(net.Connect("carrier-b")->Incidents({})->incidents_size(), 0);
  EXPECT_EQ(net.Connect("fsa")->Incidents({})->incidents_size(), 0);
}

std::vector<std::string> NoticeTexts(client::Client& node) {
  std::vector<std::string> out;
  for (const auto& d : Drain(node)) {
    v1::Envelope env;
    if (d.sender() == "hub" && env.ParseFromString(d.envelope()) && env.has_notice())
      out.push_back(env.notice().text());
  }
  return out;
}

TEST(Workflow, AnEscalationTheMinistryDoesNotSendIsRemindedAndTheCabinetToldItIsOverdue) {
  TestNetwork net({}, [](v1::Rules& r) { r.mutable_escalation()->set_deadline_seconds(0); });
  auto carrier = net.Connect("carrier-a");
  auto env = Report("r1", "inc-d", v1::SITUATION_PRECURSOR, v1::LIKELIHOOD_HIGH);
  env.mutable_report()->add_evidence(v1::EVIDENCE_BACKDOOR);
  ASSERT_TRUE(carrier->Submit(env)->accepted);
  ASSERT_TRUE(TestNetwork::WaitFor([&] { return net.hub().counters().deadline_actions.load() >= 1; }));
  auto cabinet = net.Connect("cabinet");
  auto to_cabinet = NoticeTexts(*cabinet);
  ASSERT_EQ(to_cabinet.size(), 1u);
  EXPECT_THAT(to_cabinet[0], HasSubstr("overdue"));
  auto mic = net.Connect("mic");
  EXPECT_EQ(NoticeTexts(*mic).size(), 1u);
  // Acted on once, even across a restart.
  net.RestartHub();
  auto again = net.Connect("carrier-a");
  ASSERT_TRUE(again->Fetch("node.carrier-a.", 0, 1));  // the restarted hub has run its loop
  auto cabinet2 = net.Connect("cabinet");
  EXPECT_EQ(NoticeTexts(*cabinet2).size(), 1u);
}

TEST(Workflow, ShorterDeadlinesInAReloadedRulesFileApplyWithoutARestart) {
  TestNetwork net;  // the shipped rules: a severe advisory's relay deadline is minutes away
  auto fsa = net.Connect("fsa");
  auto advisory = MakeAdvisory("fsa-reloaded", {"finance"});
  ASSERT_TRUE(fsa->Submit(advisory)->accepted);
  auto jba = net.Connect("jba");
  ASSERT_TRUE(jba->Fetch("node.jba.", 0, 1));  // the loop has run past the advisory
  EXPECT_EQ(net.hub().counters().deadline_actions.load(), 0u);
  // The operator shortens the relay deadline and sends SIGHUP: the advisory already filed is
  // judged by the new rules, as after a restart, and the fallback happens once.
  v1::Rules shorter = net.rules();
  shorter.mutable_relay_deadlines()->set_severe_seconds(0);
  net.ReloadRules(shorter);
  ASSERT_TRUE(TestNetwork::WaitFor([&] { return net.hub().counters().deadline_actions.load() >= 1; }));
  auto bank = net.Connect("megabank-a");
  auto got = Drain(*bank);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].sender(), "hub");
  EXPECT_THAT(got[0].note(), HasSubstr("fallback"));
  // A second reload with the same rules repeats nothing.
  net.ReloadRules(shorter);
  auto again = net.Connect("regional-bank-b");
  EXPECT_EQ(Drain(*again).size(), 1u);
  EXPECT_TRUE(Drain(*bank).empty());
}

// The workflow snapshot the running hub saved before its last prune, read behind its back.
std::optional<v1::WorkflowSnapshot> SavedSnapshot(const TestNetwork& net) {
  sqlite3* db = nullptr;
  std::optional<v1::WorkflowSnapshot> out;
  if (sqlite3_open_v2((net.dir() / "journal.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) ==
      SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT state FROM workflow_snapshot", -1, &st, nullptr) ==
            SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
      out.emplace();
      out->ParseFromArray(sqlite3_column_blob(st, 0), sqlite3_column_bytes(st, 0));
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return out;
}

bool JbaRelayedInSnapshot(const TestNetwork& net) {
  auto snapshot = SavedSnapshot(net);
  if (!snapshot) return false;
  for (const auto& a : snapshot->advisories())
    for (const auto& sector : a.relays())
      for (const auto& assoc : sector.associations())
        if (assoc.association() == "jba" && assoc.relayed()) return true;
  return false;
}

// fsa's advisory to finance, relayed by jba; then a relay deadline of 0 s for severe ones.
void AdviseRelayAndShortenTheDeadline(TestNetwork& net) {
  auto fsa = net.Connect("fsa");
  auto advisory = MakeAdvisory("fsa-kept", {"finance"});
  ASSERT_TRUE(fsa->Submit(advisory)->accepted);
  auto jba = net.Connect("jba");
  auto original = jba->GetMessage("fsa", "fsa-kept");
  ASSERT_TRUE(original) << original.error();
  auto relay = MakeRelay("jba-kept", "fsa", "fsa-kept", original->envelope());
  auto relayed = jba->Submit(relay);
  ASSERT_TRUE(relayed && relayed->accepted);
  v1::Rules shorter = net.rules();
  shorter.mutable_relay_deadlines()->set_severe_seconds(0);
  net.ReloadRules(shorter);
}

// What retention does to the relay once every member has processed it and it is old enough:
// its deliveries go, and the message with them (the advisory stays: jba's cursor is behind).
void PruneTheRelay(TestNetwork& net) {
  net.StopHub();
  auto journal = store::OpenJournal((net.dir() / "journal.db").string());
  ASSERT_TRUE(journal) << journal.error();
  auto pruned = (*journal)->Prune(INT64_MAX, {{"node.megabank-a.", 1},
                                              {"node.regional-bank-b.", 1},
                                              {"node.shinkin-c.", 1}});
  ASSERT_TRUE(pruned) << pruned.error();
  ASSERT_EQ(*pruned, 3u);
  EXPECT_FALSE((*journal)->Find("jba", "jba-kept"));
  EXPECT_TRUE((*journal)->Find("fsa", "fsa-kept"));
}

// After a restart, the hub has run ActOnDeadlines at least once (each reply is followed by it).
void LetTheLoopRun(const TestNetwork& net) {
  auto cabinet = net.Connect("cabinet");
  ASSERT_TRUE(cabinet->Fetch("node.cabinet.", 0, 1));
  ASSERT_TRUE(cabinet->Fetch("node.cabinet.", 0, 1));
}

TEST(Workflow, ARestartAfterRetentionPrunedARelayDoesNotFallBackAgain) {
  TestNetwork net([](v1::HubConfig& c) {
    c.mutable_retention()->set_keep_days(1);  // nothing here is old enough: only the snapshot
    c.mutable_retention()->set_prune_interval_s(1);
  });
  AdviseRelayAndShortenTheDeadline(net);
  // The hub saves its workflow before each prune (every second here).
  ASSERT_TRUE(TestNetwork::WaitFor([&] { return JbaRelayedInSnapshot(net); }));
  PruneTheRelay(net);
  net.StartHub();
  LetTheLoopRun(net);
  EXPECT_EQ(net.hub().counters().deadline_actions.load(), 0u)
      << "the rebuilt workflow forgot that jba relayed";
  auto bank = net.Connect("megabank-a");
  for (const auto& d : Drain(*bank)) EXPECT_NE(d.sender(), "hub") << d.note();
}

TEST(Workflow, WithoutASnapshotAPrunedRelayWouldBeRelayedAgainByTheHub) {
  // Why the snapshot exists: the same pruning, but no snapshot (retention off in the hub, the
  // prune done by hand), and the restarted hub sees an advisory nobody relayed.
  TestNetwork net;
  AdviseRelayAndShortenTheDeadline(net);
  EXPECT_FALSE(SavedSnapshot(net).has_value());
  PruneTheRelay(net);
  net.StartHub();
  ASSERT_TRUE(TestNetwork::WaitFor([&] { return net.hub().counters().deadline_actions.load() >= 1; }));
}

TEST(Workflow, AnAdvisoryTheAssociationDoesNotRelayInTimeIsDeliveredDirectly) {
  TestNetwork net({}, [](v1::Rules& r) { r.mutable_relay_deadlines()->set_severe_seconds(0); });
  auto fsa = net.Connect("fsa");
  auto advisory = MakeAdvisory("fsa-urgent", {"finance"});  // severity severe
  ASSERT_TRUE(fsa->Submit(advisory)->accepted);
  ASSERT_TRUE(TestNetwork::WaitFor([&] { return net.hub().counters().deadline_actions.load() >= 1; }));
  for (const char* bank : {"megabank-a", "regional-bank-b", "shinkin-c"}) {
    auto node = net.Connect(bank);
    auto got = Drain(*node);
    ASSERT_EQ(got.size(), 1u) << bank;
    EXPECT_EQ(got[0].sender(), "hub");
    v1::Envelope env;
    ASSERT_TRUE(env.ParseFromString(got[0].envelope()));
    ASSERT_TRUE(env.has_relay());
    // Unaltered: the issuer's bytes, its signature included, which the member checks.
    auto unsigned_part = config::SignedPart(env.relay().original_envelope());
    ASSERT_TRUE(unsigned_part);
    EXPECT_EQ(*unsigned_part, advisory.SerializeAsString());
    const auto provenance = node->Check(got[0]);
    EXPECT_TRUE(provenance.trusted()) << provenance.trouble;
    EXPECT_TRUE(provenance.fallback);
    ASSERT_TRUE(provenance.issuer);
    EXPECT_EQ(provenance.issuer->result.verdict, config::Verdict::kValid);
    EXPECT_THAT(provenance.Describe(), HasSubstr("issued by Financial Services Agency"));
    EXPECT_THAT(got[0].note(), HasSubstr("fallback"));
    // A member can acknowledge the government's advisory it got through the fallback.
    auto ack = node->Acknowledge("fsa", "fsa-urgent", v1::ACK_READ);
    ASSERT_TRUE(ack && ack->accepted) << (ack ? ack->rejected_reply.reason() : ack.error());
  }
  // The issuer and the association are told why.
  EXPECT_FALSE(NoticeTexts(*fsa).empty());
  auto jba = net.Connect("jba");
  EXPECT_FALSE(NoticeTexts(*jba).empty());
}

}  // namespace
}  // namespace renrakumo::testing

namespace renrakumo::testing {
namespace {

// Issue 4's chain, end to end: a (d) report → its ministry → the escalation the ministry does
// not send, reported overdue to the Cabinet → the Cabinet's prevention notice to the other
// sectors → a relay by one association and a fallback for another → acknowledgements.
TEST(Workflow, AColumnDIncidentEndToEnd) {
  TestNetwork net({}, [](v1::Rules& r) {
    r.mutable_escalation()->set_deadline_seconds(0);
    r.mutable_relay_deadlines()->set_severe_seconds(0);
  });
  auto bank = net.Connect("megabank-a");
  auto report = Report("flash-d", "inc-d", v1::SITUATION_PRECURSOR, v1::LIKELIHOOD_HIGH);
  report.mutable_report()->set_affected_system("core_banking");
  report.mutable_report()->add_evidence(v1::EVIDENCE_SNIFFER_ON_GATEWAY);
  ASSERT_TRUE(bank->Submit(report)->accepted);
  auto fsa = net.Connect("fsa");
  const auto at_fsa = Drain(*fsa);
  ASSERT_FALSE(at_fsa.empty());
  EXPECT_EQ(at_fsa[0].kind(), "report");  // the ministry has the report
  EXPECT_EQ(at_fsa[0].sender(), "megabank-a");

  // The FSA does not notify the Cabinet in time: the hub says so to both.
  ASSERT_TRUE(TestNetwork::WaitFor([&] { return net.hub().counters().deadline_actions.load() >= 1; }));
  auto cabinet = net.Connect("cabinet");
  auto overdue = NoticeTexts(*cabinet);
  ASSERT_EQ(overdue.size(), 1u);
  EXPECT_THAT(overdue[0], HasSubstr("overdue"));

  // The Cabinet issues a prevention notice to the other via-association sectors.
  auto notice = MakeAdvisory("cab-prevent-1", {"electricity", "gas"}, v1::ADVISORY_PREVENTION_NOTICE);
  notice.mutable_advisory()->add_incident_refs("inc-d");
  ASSERT_TRUE(cabinet->Submit(notice)->accepted);
  // The gas association relays at once; the electricity association does not.
  auto jga = net.Connect("jga");
  auto original = jga->GetMessage("cabinet", "cab-prevent-1");
  ASSERT_TRUE(original) << original.error();
  auto relay = MakeRelay("jga-relay-1", "cabinet", "cab-prevent-1", original->envelope());
  auto relayed = jga->Submit(relay);
  ASSERT_TRUE(relayed && relayed->accepted) << relayed->rejected_reply.reason();
  // The relay deadline (0 s) passes: the electricity members get it from the hub directly.
  auto power = net.Connect("power-a");
  ASSERT_TRUE(TestNetwork::WaitFor([&] {
    auto got = power->Fetch("node.power-a.", 0, 10);
    return got && got->deliveries_size() > 0;
  }));
  for (const char* op : {"power-a", "gas-a"}) {
    auto node = net.Connect(op);
    auto got = Drain(*node);
    ASSERT_FALSE(got.empty()) << op;
    v1::Envelope env;
    ASSERT_TRUE(env.ParseFromString(got.back().envelope()));
    ASSERT_TRUE(env.has_relay()) << op;
    EXPECT_EQ(got.back().sender(), std::string(op) == "power-a" ? "hub" : "jga");
    auto ack = node->Acknowledge("cabinet", "cab-prevent-1", v1::ACK_ACTED_ON, "checked");
    ASSERT_TRUE(ack && ack->accepted) << op << ": " << (ack ? ack->rejected_reply.reason() : ack.error());
  }
  // The Cabinet sees who acted and who has not answered yet.
  auto status = cabinet->Status("cabinet", "cab-prevent-1");
  ASSERT_TRUE(status) << status.error();
  std::map<std::string, v1::AckState> acks;
  for (const auto& r : status->recipients()) acks[r.node()] = r.ack();
  EXPECT_EQ(acks["power-a"], v1::ACK_ACTED_ON);
  EXPECT_EQ(acks["gas-a"], v1::ACK_ACTED_ON);
  EXPECT_EQ(acks["gas-b"], v1::ACK_STATE_UNSPECIFIED);
  EXPECT_TRUE(acks.count("power-b")) << "reached through the fallback";
}

}  // namespace
}  // namespace renrakumo::testing
