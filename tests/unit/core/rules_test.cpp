// rules.yaml: the shipped file loads and validates; every broken rule is named with its key
// and value; deadlines are looked up per sector and severity.
#include "core/rules.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "config/rules_load.h"
#include "config/yaml_proto.h"
#include "shipped_config.h"

namespace renrakumo::testing {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::vector<std::string> Problems(const v1::Rules& r) { return core::ValidateRules(r); }

// One problem sentence naming both the key and the value.
::testing::Matcher<std::vector<std::string>> Names(const std::string& key,
                                                   const std::string& value) {
  return Contains(AllOf(HasSubstr(key), HasSubstr(value)));
}

TEST(ShippedRules, LoadAndValidate) {
  Result<v1::Rules> rules = config::LoadRules(SourcePath("config/rules.yaml"));
  ASSERT_TRUE(rules) << rules.error();
  EXPECT_THAT(core::ValidateRules(*rules), IsEmpty());
  EXPECT_EQ(rules->matrix_size(), 4);
  EXPECT_EQ(rules->columns_size(), 5);
  EXPECT_EQ(rules->precursor_evidence().policy(), v1::NOTE1_POLICY_REJECT);
  EXPECT_EQ(rules->escalation().mode(), v1::ESCALATION_MODE_MINISTRY);
}

TEST(ShippedRules, FitTheShippedTopology) {
  v1::Topology t = ShippedTopology().config();
  EXPECT_THAT(core::ValidateSectorDeadlines(ShippedRules(), t), IsEmpty());
  EXPECT_TRUE(config::CheckSectorDeadlines(ShippedRules(), t, "topology.yaml"));
}

TEST(ShippedRules, CellsAreThePlausibleReadingOfTheSeed) {
  const auto& r = ShippedRules();
  auto has = [&](v1::Situation s, v1::Likelihood l) {
    return core::CellExists(r, core::MakeCell(s, l));
  };
  EXPECT_TRUE(has(v1::SITUATION_PRECURSOR, v1::LIKELIHOOD_POSSIBLE_UNCLEAR));
  EXPECT_TRUE(has(v1::SITUATION_PRECURSOR, v1::LIKELIHOOD_HIGH));
  EXPECT_FALSE(has(v1::SITUATION_PRECURSOR, v1::LIKELIHOOD_NEGLIGIBLE));
  EXPECT_TRUE(has(v1::SITUATION_MINOR_FAILURE, v1::LIKELIHOOD_NEGLIGIBLE));
  EXPECT_FALSE(has(v1::SITUATION_MINOR_FAILURE, v1::LIKELIHOOD_HIGH_IMPACT_IF_ATTACK));
  EXPECT_TRUE(has(v1::SITUATION_SERIOUS_FAILURE, v1::LIKELIHOOD_HIGH_IMPACT_IF_ATTACK));
  EXPECT_FALSE(has(v1::SITUATION_SERIOUS_FAILURE, v1::LIKELIHOOD_CONFIRMED));
  EXPECT_TRUE(has(v1::SITUATION_ATTACK_CONFIRMED, v1::LIKELIHOOD_CONFIRMED));
  EXPECT_FALSE(has(v1::SITUATION_ATTACK_CONFIRMED, v1::LIKELIHOOD_HIGH));
}

TEST(ValidateRules, EmptyRulesNameEverythingMissing) {
  const auto p = Problems(v1::Rules());
  EXPECT_THAT(p, Names("matrix", "precursor"));
  EXPECT_THAT(p, Names("columns", "confirmed"));
  EXPECT_THAT(p, Names("precursor_evidence.policy", "missing"));
  EXPECT_THAT(p, Names("escalation.mode", "missing"));
  EXPECT_THAT(p, Names("relay_deadlines.extreme_seconds", "missing"));
  EXPECT_THAT(p, Names("acknowledgement_deadlines.minor_seconds", "missing"));
  EXPECT_THAT(p, Names("acknowledged_at_least", "missing"));
}

TEST(ValidateRules, DuplicateRowsAndColumnsAreNamed) {
  v1::Rules r = ShippedRules();
  *r.add_matrix() = r.matrix(0);
  *r.add_columns() = r.columns(3);
  r.mutable_columns(5)->set_letter("dd");
  const auto p = Problems(r);
  EXPECT_THAT(p, Names("matrix[4] (precursor).situation", "matrix[0]"));
  EXPECT_THAT(p, Names("columns[5] (high).likelihood", "columns[3]"));
  EXPECT_THAT(p, Names("columns[5] (high).letter", "'dd'"));
}

TEST(ValidateRules, ObligationsMustBeConsistent) {
  v1::Rules r = ShippedRules();
  v1::Column* d = r.mutable_columns(3);
  d->add_obligations(v1::OBLIGATION_NOTIFY_CABINET_ATTACK_OCCURRED);
  d->add_obligations(v1::OBLIGATION_ACCIDENT_REPORT);
  v1::Column* a = r.mutable_columns(0);
  a->add_obligations(v1::OBLIGATION_NOTIFY_CABINET_ATTACK_HIGHLY_LIKELY);
  const auto p = Problems(r);
  EXPECT_THAT(p, Names("columns[3] (high).obligations", "both Cabinet notices"));
  EXPECT_THAT(p, Names("columns[3] (high).obligations", "accident_report"));
  EXPECT_THAT(p, Names("columns[0] (negligible).obligations", "without report_to_ministry"));
}

TEST(ValidateRules, PortScanNeverQualifiesAPrecursor) {
  v1::Rules r = ShippedRules();
  r.mutable_precursor_evidence()->add_qualifying(v1::EVIDENCE_PORT_SCAN);
  EXPECT_THAT(Problems(r), Names("precursor_evidence.qualifying[6]", "port_scan"));
}

TEST(ValidateRules, AcceptAsMustBeAQuietCellOfTheMatrix) {
  v1::Rules r = ShippedRules();
  v1::PrecursorEvidence* p = r.mutable_precursor_evidence();
  p->set_policy(v1::NOTE1_POLICY_ACCEPT_WITH_WARNING);
  EXPECT_THAT(Problems(r), Names("precursor_evidence.accept_as", "needs situation and likelihood"));
  *p->mutable_accept_as() = core::MakeCell(v1::SITUATION_PRECURSOR, v1::LIKELIHOOD_NEGLIGIBLE);
  EXPECT_THAT(Problems(r), Names("precursor_evidence.accept_as", "(precursor, negligible)"));
  *p->mutable_accept_as() = core::MakeCell(v1::SITUATION_PRECURSOR, v1::LIKELIHOOD_HIGH);
  EXPECT_THAT(Problems(r), Names("precursor_evidence.accept_as", "Cabinet notice"));
  *p->mutable_accept_as() =
      core::MakeCell(v1::SITUATION_PRECURSOR, v1::LIKELIHOOD_POSSIBLE_UNCLEAR);
  EXPECT_THAT(Problems(r), IsEmpty());
  p->set_policy(v1::NOTE1_POLICY_REJECT);
  EXPECT_THAT(Problems(r), Names("precursor_evidence.accept_as", "only used with"));
}

TEST(ValidateRules, MinistryModeNeedsTime) {
  v1::Rules r = ShippedRules();
  r.mutable_escalation()->set_deadline_seconds(0);
  EXPECT_THAT(Problems(r), Names("escalation.deadline_seconds", "0 with mode ministry"));
  r.mutable_escalation()->set_mode(v1::ESCALATION_MODE_AUTOMATIC);
  EXPECT_THAT(Problems(r), IsEmpty());  // automatic with 0: notify at once
  r.mutable_escalation()->set_deadline_seconds(8 * 24 * 3600);
  EXPECT_THAT(Problems(r), Names("escalation.deadline_seconds", "691200"));
}

TEST(ValidateRules, HigherSeverityNeverGetsMoreTime) {
  v1::Rules r = ShippedRules();
  r.mutable_relay_deadlines()->set_extreme_seconds(2000);  // severe is 1800
  EXPECT_THAT(Problems(r), Names("relay_deadlines.extreme_seconds", "2000"));
}

TEST(ValidateRules, AcknowledgementComesAfterTheRelay) {
  v1::Rules r = ShippedRules();
  r.mutable_acknowledgement_deadlines()->set_extreme_seconds(900);  // relay extreme is 900
  EXPECT_THAT(Problems(r), Names("acknowledgement_deadlines.extreme_seconds", "900"));
}

TEST(SectorDeadlines, OverrideRulesAndAreChecked) {
  v1::Topology t = ShippedTopology().config();
  v1::Sector* finance = nullptr;
  for (auto& s : *t.mutable_sectors())
    if (s.id() == "finance") finance = &s;
  ASSERT_NE(finance, nullptr);
  const auto& rules = ShippedRules();
  EXPECT_EQ(core::RelayDeadlineMs(rules, *finance, v1::SEVERITY_SEVERE), 1800 * 1000);
  finance->set_relay_deadline_severe_seconds(600);
  EXPECT_EQ(core::RelayDeadlineMs(rules, *finance, v1::SEVERITY_SEVERE), 600 * 1000);
  EXPECT_EQ(core::RelayDeadlineMs(rules, *finance, v1::SEVERITY_EXTREME), 900 * 1000);
  EXPECT_THAT(core::ValidateSectorDeadlines(rules, t),
              ElementsAre("sectors[2] (finance).relay_deadline_severe_seconds: 600 leaves extreme "
                          "advisories more time than severe ones (extreme: 900, from rules.yaml); "
                          "set relay_deadline_extreme_seconds too"));
  finance->set_relay_deadline_extreme_seconds(300);
  EXPECT_THAT(core::ValidateSectorDeadlines(rules, t), IsEmpty());
  finance->set_relay_deadline_minor_seconds(86400);  // acknowledgement minor is 86400
  EXPECT_THAT(core::ValidateSectorDeadlines(rules, t),
              Names("sectors[2] (finance).relay_deadline_minor_seconds", "86400"));
  EXPECT_FALSE(config::CheckSectorDeadlines(rules, t, "topology.yaml"));
}

TEST(SectorDeadlines, ALongerOwnDeadlineForAHigherSeverityIsBlamed) {
  v1::Topology t;
  v1::Sector* gas = t.add_sectors();
  ASSERT_TRUE(config::ParseYamlString("id: gas\nrelay_deadline_extreme_seconds: 2000\n",
                                      "topology.yaml", gas));
  EXPECT_THAT(core::ValidateSectorDeadlines(ShippedRules(), t),
              ElementsAre(HasSubstr("sectors[0] (gas).relay_deadline_extreme_seconds: 2000 leaves "
                                    "extreme advisories more time than severe ones (severe: "
                                    "1800, from rules.yaml)")));
}

TEST(Deadlines, NoSeverityCountsAsMinor) {
  const auto& r = ShippedRules();
  EXPECT_EQ(core::AcknowledgementDeadlineMs(r, v1::SEVERITY_UNSPECIFIED),
            core::AcknowledgementDeadlineMs(r, v1::SEVERITY_MINOR));
  EXPECT_EQ(core::RelayDeadlineMs(r, ShippedSector("gas"), v1::SEVERITY_UNSPECIFIED), 14400 * 1000);
}

TEST(Words, AsRulesYamlWritesThem) {
  const auto& r = ShippedRules();
  EXPECT_EQ(core::CellWords(core::MakeCell(v1::SITUATION_MINOR_FAILURE, v1::LIKELIHOOD_HIGH)),
            "(minor_failure, high)");
  EXPECT_EQ(core::ColumnLabel(r, v1::LIKELIHOOD_HIGH), "(d) highly likely");
  EXPECT_EQ(core::RowName(r, v1::SITUATION_ATTACK_CONFIRMED), "a confirmed attack");
  v1::Rules unnamed = r;
  unnamed.mutable_matrix(3)->clear_name();
  EXPECT_EQ(core::RowName(unnamed, v1::SITUATION_ATTACK_CONFIRMED), "an attack confirmed");
  EXPECT_EQ(core::DurationWords(1800 * 1000), "30 minutes");
  EXPECT_EQ(core::DurationWords(3600 * 1000), "1 hour");
  EXPECT_EQ(core::DurationWords(90 * 1000), "90 seconds");
}

TEST(LoadRules, UnknownKeyAndBadRuleNameTheFile) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("renrakumo-rules-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "rules.yaml").string();
  std::ofstream(path) << "escalation: {mode: ministry, deadline_minutes: 30}\n";
  Result<v1::Rules> bad_key = config::LoadRules(path);
  ASSERT_FALSE(bad_key);
  EXPECT_THAT(bad_key.error(), AllOf(HasSubstr("rules.yaml"), HasSubstr("deadline_minutes")));
  std::ofstream(path) << "escalation: {mode: ministry, deadline_seconds: 0}\n";
  Result<v1::Rules> bad_rule = config::LoadRules(path);
  ASSERT_FALSE(bad_rule);
  EXPECT_THAT(bad_rule.error(), HasSubstr(path + ": escalation.deadline_seconds: 0"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace renrakumo::testing
