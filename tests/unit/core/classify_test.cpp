// Classification against the shipped rules.yaml and topology.yaml: every column's
// obligations, every cell outside the matrix, note 1 in both policies, and note 2 for every
// sector with a statutory threshold, just below and at it.
#include "core/classify.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "shipped_config.h"

namespace renrakumo::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

v1::IncidentReport Filed(v1::Situation s, v1::Likelihood l) {
  v1::IncidentReport r;
  r.set_incident_id("inc-1");
  r.set_phase(v1::PHASE_FLASH);
  r.set_situation(s);
  r.set_likelihood(l);
  r.set_affected_system("other");
  if (s == v1::SITUATION_PRECURSOR) r.add_evidence(v1::EVIDENCE_BACKDOOR);
  return r;
}

core::Classification In(const char* sector, const v1::IncidentReport& r,
                        const v1::Rules& rules = ShippedRules()) {
  return core::Classify(rules, ShippedSector(sector), r);
}

// --- Obligations per column --------------------------------------------------------------

TEST(Obligations, ColumnA_OrdinaryHandling) {
  auto c = In("finance", Filed(v1::SITUATION_MINOR_FAILURE, v1::LIKELIHOOD_NEGLIGIBLE));
  ASSERT_TRUE(c.valid) << c.rejection.reason;
  EXPECT_THAT(c.obligations, IsEmpty());
}

TEST(Obligations, ColumnB_AccidentReportToTheMinistry) {
  auto c =
      In("finance", Filed(v1::SITUATION_SERIOUS_FAILURE, v1::LIKELIHOOD_HIGH_IMPACT_IF_ATTACK));
  ASSERT_TRUE(c.valid) << c.rejection.reason;
  EXPECT_THAT(c.obligations,
              ElementsAre(v1::OBLIGATION_ACCIDENT_REPORT, v1::OBLIGATION_MINISTRY_ANALYSES));
}

TEST(Obligations, ColumnC_ReportToTheMinistry) {
  auto c = In("finance", Filed(v1::SITUATION_PRECURSOR, v1::LIKELIHOOD_POSSIBLE_UNCLEAR));
  ASSERT_TRUE(c.valid) << c.rejection.reason;
  EXPECT_THAT(c.obligations,
              ElementsAre(v1::OBLIGATION_REPORT_TO_MINISTRY, v1::OBLIGATION_MINISTRY_ANALYSES));
}

TEST(Obligations, ColumnD_CabinetNotifiedAttackHighlyLikelyAndOperatorsWarned) {
  auto c = In("finance", Filed(v1::SITUATION_PRECURSOR, v1::LIKELIHOOD_HIGH));
  ASSERT_TRUE(c.valid) << c.rejection.reason;
  EXPECT_THAT(c.obligations,
              ElementsAre(v1::OBLIGATION_REPORT_TO_MINISTRY, v1::OBLIGATION_MINISTRY_ANALYSES,
                          v1::OBLIGATION_MINISTRY_WARNS_OPERATORS_AT_RISK,
                          v1::OBLIGATION_NOTIFY_CABINET_ATTACK_HIGHLY_LIKELY,
                          v1::OBLIGATION_CABINET_ANALYSES));
  EXPECT_EQ(core::CabinetNotice(ShippedRules(), v1::LIKELIHOOD_HIGH),
            v1::OBLIGATION_NOTIFY_CABINET_ATTACK_HIGHLY_LIKELY);
}

TEST(Obligations, ColumnE_CabinetNotifiedAttackOccurred) {
  auto c = In("finance", Filed(v1::SITUATION_ATTACK_CONFIRMED, v1::LIKELIHOOD_CONFIRMED));
  ASSERT_TRUE(c.valid) << c.rejection.reason;
  EXPECT_THAT(
      c.obligations,
      ElementsAre(v1::OBLIGATION_REPORT_TO_MINISTRY, v1::OBLIGATION_MINISTRY_ANALYSES,
                  v1::OBLIGATION_MINISTRY_WARNS_OPERATORS_AT_RISK,
                  v1::OBLIGATION_NOTIFY_CABINET_ATTACK_OCCURRED, v1::OBLIGATION_CABINET_ANALYSES,
                  v1::OBLIGATION_CABINET_CONSIDERS_COUNTERMEASURES));
}

TEST(Obligations, EveryObligationHasASentence) {
  for (int o = v1::Obligation_MIN + 1; o <= v1::Obligation_MAX; ++o)
    EXPECT_NE(core::ObligationText(static_cast<v1::Obligation>(o)), "no obligation") << o;
}

// --- The matrix --------------------------------------------------------------------------

TEST(Matrix, ACellOutsideTheMatrixIsRejectedCitingTheRule) {
  auto c = In("finance", Filed(v1::SITUATION_PRECURSOR, v1::LIKELIHOOD_NEGLIGIBLE));
  EXPECT_FALSE(c.valid);
  EXPECT_EQ(c.rejection.code, v1::REJECT_INVALID_FIELD);
  EXPECT_EQ(c.rejection.reason,
            "the matrix has no cell (precursor, negligible) for this report: a precursor is "
            "(c) possible or (d) highly likely (rules.yaml matrix)");
  EXPECT_THAT(c.obligations, IsEmpty());
}

TEST(Matrix, EveryCellIsAcceptedExactlyWhenTheMatrixHasIt) {
  int valid = 0;
  for (int s = v1::Situation_MIN + 1; s <= v1::Situation_MAX; ++s) {
    for (int l = v1::Likelihood_MIN + 1; l <= v1::Likelihood_MAX; ++l) {
      const auto cell =
          core::MakeCell(static_cast<v1::Situation>(s), static_cast<v1::Likelihood>(l));
      auto c = In("telecom", Filed(cell.situation(), cell.likelihood()));
      EXPECT_EQ(c.valid, core::CellExists(ShippedRules(), cell)) << core::CellWords(cell);
      if (c.valid) {
        ++valid;
      } else {
        EXPECT_THAT(c.rejection.reason, HasSubstr(core::CellWords(cell)));
      }
    }
  }
  EXPECT_EQ(valid, 9);  // c,d + a,c,d + b,c,d + e
}

TEST(Matrix, ConfirmedAttackNamesItsOnlyColumn) {
  auto c = In("gas", Filed(v1::SITUATION_ATTACK_CONFIRMED, v1::LIKELIHOOD_HIGH));
  EXPECT_THAT(c.rejection.reason, HasSubstr("a confirmed attack is (e) confirmed"));
}

// --- Note 1 ------------------------------------------------------------------------------

v1::IncidentReport Precursor(std::initializer_list<v1::Evidence> evidence) {
  v1::IncidentReport r = Filed(v1::SITUATION_PRECURSOR, v1::LIKELIHOOD_HIGH);
  r.clear_evidence();
  for (v1::Evidence e : evidence) r.add_evidence(e);
  return r;
}

v1::Rules AcceptPortScansAsC() {
  v1::Rules r = ShippedRules();
  r.mutable_precursor_evidence()->set_policy(v1::NOTE1_POLICY_ACCEPT_WITH_WARNING);
  *r.mutable_precursor_evidence()->mutable_accept_as() =
      core::MakeCell(v1::SITUATION_PRECURSOR, v1::LIKELIHOOD_POSSIBLE_UNCLEAR);
  return r;
}

TEST(Note1, QualifyingEvidenceMakesAPrecursor) {
  for (v1::Evidence e :
       {v1::EVIDENCE_SNIFFER_ON_GATEWAY, v1::EVIDENCE_BACKDOOR, v1::EVIDENCE_ATTACK_NOTICE}) {
    auto c = In("electricity", Precursor({v1::EVIDENCE_PORT_SCAN, e}));
    EXPECT_TRUE(c.valid) << c.rejection.reason;
    EXPECT_EQ(c.note1, core::Note1Outcome::kSatisfied);
    EXPECT_THAT(c.warnings, IsEmpty());
  }
}

TEST(Note1, PortScanOnlyIsRejectedCitingNote1) {
  auto c = In("electricity", Precursor({v1::EVIDENCE_PORT_SCAN, v1::EVIDENCE_PORT_SCAN}));
  EXPECT_FALSE(c.valid);
  EXPECT_EQ(c.note1, core::Note1Outcome::kRejected);
  EXPECT_EQ(c.rejection.code, v1::REJECT_INVALID_FIELD);
  EXPECT_THAT(c.rejection.reason, HasSubstr("more than a mere port scan (note 1)"));
  EXPECT_THAT(c.rejection.reason, HasSubstr("only evidence is a port scan"));
  EXPECT_THAT(c.rejection.reason, HasSubstr("sniffer_on_gateway"));
}

TEST(Note1, NoEvidenceIsRejectedToo) {
  auto c = In("electricity", Precursor({}));
  EXPECT_FALSE(c.valid);
  EXPECT_THAT(c.rejection.reason, HasSubstr("names no evidence"));
}

TEST(Note1, NonQualifyingEvidenceIsNamed) {
  v1::Rules narrow = ShippedRules();
  narrow.mutable_precursor_evidence()->clear_qualifying();
  narrow.mutable_precursor_evidence()->add_qualifying(v1::EVIDENCE_BACKDOOR);
  auto c = In("gas", Precursor({v1::EVIDENCE_PORT_SCAN, v1::EVIDENCE_OTHER}), narrow);
  EXPECT_FALSE(c.valid);
  EXPECT_THAT(c.rejection.reason, HasSubstr("(port_scan, other) includes none of them"));
}

TEST(Note1, AcceptWithWarningMovesTheReportAndSaysWhy) {
  auto c = In("electricity", Precursor({v1::EVIDENCE_PORT_SCAN}), AcceptPortScansAsC());
  ASSERT_TRUE(c.valid) << c.rejection.reason;
  EXPECT_EQ(c.note1, core::Note1Outcome::kAcceptedWithWarning);
  EXPECT_EQ(core::CellWords(c.filed), "(precursor, high)");
  EXPECT_EQ(core::CellWords(c.cell), "(precursor, possible_unclear)");
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_THAT(c.warnings[0], HasSubstr("accepted as (precursor, possible_unclear) instead of "
                                       "(precursor, high)"));
  EXPECT_THAT(c.warnings[0], HasSubstr("note 1"));
  // The obligations are the new column's: (c) does not escalate a port scan to the Cabinet.
  EXPECT_THAT(c.obligations,
              ElementsAre(v1::OBLIGATION_REPORT_TO_MINISTRY, v1::OBLIGATION_MINISTRY_ANALYSES));
}

TEST(Note1, OnlyPrecursorsNeedEvidence) {
  v1::IncidentReport r = Filed(v1::SITUATION_MINOR_FAILURE, v1::LIKELIHOOD_POSSIBLE_UNCLEAR);
  r.add_evidence(v1::EVIDENCE_PORT_SCAN);
  auto c = In("gas", r);
  EXPECT_TRUE(c.valid);
  EXPECT_EQ(c.note1, core::Note1Outcome::kNotApplicable);
}

TEST(Note1, AnInvalidCellIsRejectedBeforeNote1) {
  v1::IncidentReport r = Precursor({v1::EVIDENCE_PORT_SCAN});
  r.set_likelihood(v1::LIKELIHOOD_CONFIRMED);
  auto c = In("gas", r);
  EXPECT_THAT(c.rejection.reason, HasSubstr("the matrix has no cell"));
}

// --- Note 2 ------------------------------------------------------------------------------

v1::IncidentReport Minor(v1::Impact impact) {
  v1::IncidentReport r = Filed(v1::SITUATION_MINOR_FAILURE, v1::LIKELIHOOD_NEGLIGIBLE);
  *r.mutable_impact() = std::move(impact);
  return r;
}

v1::Impact Users(uint64_t users, uint64_t minutes) {
  v1::Impact i;
  i.set_users_affected(users);
  i.set_duration_minutes(minutes);
  return i;
}

v1::Impact Kw(uint64_t kw, uint64_t minutes) {
  v1::Impact i;
  i.set_supply_lost_kw(kw);
  i.set_duration_minutes(minutes);
  return i;
}

v1::Impact Households(uint64_t n) {
  v1::Impact i;
  i.set_households_affected(n);
  return i;
}

v1::Impact Railway(uint64_t delay_minutes, uint64_t cancelled) {
  v1::Impact i;
  i.set_max_delay_minutes(delay_minutes);
  i.set_trains_cancelled(cancelled);
  return i;
}

bool Flagged(const char* sector, v1::Impact impact) {
  auto c = In(sector, Minor(std::move(impact)));
  EXPECT_TRUE(c.valid) << c.rejection.reason;
  return c.note2.flagged;
}

TEST(Note2, TelecomNeedsBothUsersAndDuration) {
  EXPECT_FALSE(Flagged("telecom", Users(29999, 120)));
  EXPECT_FALSE(Flagged("telecom", Users(30000, 119)));
  EXPECT_TRUE(Flagged("telecom", Users(30000, 120)));
  EXPECT_TRUE(Flagged("telecom", Users(1000000, 600)));
  EXPECT_FALSE(Flagged("telecom", Users(30000, 0)));  // duration not given: not reached
}

TEST(Note2, ElectricityHasTwoThresholdsEitherWillDo) {
  EXPECT_FALSE(Flagged("electricity", Kw(69999, 60)));
  EXPECT_FALSE(Flagged("electricity", Kw(70000, 59)));
  EXPECT_TRUE(Flagged("electricity", Kw(70000, 60)));
  EXPECT_FALSE(Flagged("electricity", Kw(99999, 10)));
  EXPECT_FALSE(Flagged("electricity", Kw(100000, 9)));
  EXPECT_TRUE(Flagged("electricity", Kw(100000, 10)));
  auto c = In("electricity", Minor(Kw(100000, 10)));
  EXPECT_THAT(c.note2.threshold, HasSubstr("100,000 kW"));
}

TEST(Note2, GasCountsHouseholds) {
  EXPECT_FALSE(Flagged("gas", Households(499)));
  EXPECT_TRUE(Flagged("gas", Households(500)));
}

TEST(Note2, RailwayDelayOrCancellation) {
  EXPECT_FALSE(Flagged("railway", Railway(29, 0)));
  EXPECT_TRUE(Flagged("railway", Railway(30, 0)));
  EXPECT_TRUE(Flagged("railway", Railway(0, 1)));
  EXPECT_FALSE(Flagged("railway", Railway(0, 0)));
}

TEST(Note2, QualitativeThresholdsAreLeftToTheOperator) {
  v1::Impact everything = Users(10000000, 10000);
  everything.set_max_delay_minutes(600);
  EXPECT_FALSE(Flagged("finance", everything));
  EXPECT_FALSE(Flagged("aviation", everything));
  EXPECT_FALSE(Flagged("government", everything));
}

TEST(Note2, FlagSentenceGoesToReporterAndMinistry) {
  auto c = In("telecom", Minor(Users(30000, 120)));
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_THAT(c.warnings[0], HasSubstr("meets the statutory threshold for a serious failure"));
  EXPECT_THAT(c.warnings[0], HasSubstr("30,000 users"));
  EXPECT_THAT(c.warnings[0], HasSubstr("Telecommunications Business Act"));
  EXPECT_EQ(core::CellWords(c.cell), "(minor_failure, negligible)");  // flagged, not moved
}

TEST(Note2, FiledAsSeriousMeetsButIsNotFlagged) {
  v1::IncidentReport r = Filed(v1::SITUATION_SERIOUS_FAILURE, v1::LIKELIHOOD_HIGH_IMPACT_IF_ATTACK);
  *r.mutable_impact() = Households(800);
  auto c = In("gas", r);
  EXPECT_TRUE(c.note2.meets_serious_threshold);
  EXPECT_FALSE(c.note2.flagged);
  EXPECT_THAT(c.warnings, IsEmpty());
}

TEST(Note2, AppliesInEveryColumnOfTheMinorRow) {
  v1::IncidentReport r = Filed(v1::SITUATION_MINOR_FAILURE, v1::LIKELIHOOD_HIGH);
  *r.mutable_impact() = Households(500);
  EXPECT_TRUE(In("gas", r).note2.flagged);
}

}  // namespace
}  // namespace renrakumo::testing
