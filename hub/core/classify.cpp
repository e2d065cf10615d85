// Classify: matrix cell, note 1, note 2, obligations — in that order, because an invalid cell
// makes the notes meaningless and a note-1 rejection makes note 2 moot.
#include "core/classify.h"

#include <algorithm>

namespace renrakumo::core {
namespace {

// "x", "x or y", "x, y or z".
std::string OrList(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i)
    out += (i == 0 ? "" : i + 1 == items.size() ? " or " : ", ") + items[i];
  return out;
}

std::string CommaList(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

// What the row allows, in the seed's words: "a precursor is (c) possible or (d) highly likely".
std::string RowAllows(const Rules& rules, v1::Situation situation) {
  std::vector<std::string> labels;
  for (const v1::MatrixRow& row : rules.matrix())
    if (row.situation() == situation)
      for (int l : row.likelihoods())
        labels.push_back(ColumnLabel(rules, static_cast<v1::Likelihood>(l)));
  if (labels.empty()) return RowName(rules, situation) + " has no row in the matrix";
  return RowName(rules, situation) + " is " + OrList(labels);
}

bool Qualifies(const v1::PrecursorEvidence& rule, const v1::IncidentReport& report) {
  for (int e : report.evidence()) {
    const auto& q = rule.qualifying();
    if (std::find(q.begin(), q.end(), e) != q.end()) return true;
  }
  return false;
}

// Why a precursor's evidence falls short, ending the note-1 sentence.
std::string EvidenceShortfall(const v1::IncidentReport& report) {
  if (report.evidence().empty()) return "this report names no evidence";
  const bool only_scans = std::all_of(report.evidence().begin(), report.evidence().end(),
                                      [](int e) { return e == v1::EVIDENCE_PORT_SCAN; });
  if (only_scans) return "this report's only evidence is a port scan";
  std::vector<std::string> given;
  for (int e : report.evidence()) given.push_back(EvidenceWord(static_cast<v1::Evidence>(e)));
  return "this report's evidence (" + CommaList(given) + ") includes none of them";
}

std::string Note1Rule(const v1::PrecursorEvidence& rule) {
  std::vector<std::string> words;
  for (int e : rule.qualifying()) words.push_back(EvidenceWord(static_cast<v1::Evidence>(e)));
  return "a precursor needs evidence of organised preparation, more than a mere port scan "
         "(note 1): " +
         OrList(words);
}

// Returns false when note 1 rejects the report (c.rejection is then set).
bool ApplyNote1(const Rules& rules, const v1::IncidentReport& report, Classification& c) {
  if (report.situation() != v1::SITUATION_PRECURSOR) return true;
  const v1::PrecursorEvidence& rule = rules.precursor_evidence();
  if (Qualifies(rule, report)) {
    c.note1 = Note1Outcome::kSatisfied;
    return true;
  }
  const std::string why = Note1Rule(rule) + "; " + EvidenceShortfall(report);
  if (rule.policy() != v1::NOTE1_POLICY_ACCEPT_WITH_WARNING) {
    c.note1 = Note1Outcome::kRejected;
    c.rejection = {v1::REJECT_INVALID_FIELD,
                   "not accepted as a precursor: " + why +
                       ". Add the evidence, or report what you saw as another situation "
                       "(rules.yaml precursor_evidence)"};
    return false;
  }
  c.note1 = Note1Outcome::kAcceptedWithWarning;
  c.cell = rule.accept_as();
  c.warnings.push_back("accepted as " + CellWords(c.cell) + " instead of " + CellWords(c.filed) +
                       ": " + why + " (rules.yaml precursor_evidence)");
  return true;
}

void ApplyNote2(const v1::Sector& sector, const v1::IncidentReport& report, Classification& c) {
  const v1::Threshold* met = SeriousThresholdMet(sector, report.impact());
  if (met == nullptr) return;
  c.note2.meets_serious_threshold = true;
  c.note2.threshold = met->description();
  if (report.situation() != v1::SITUATION_MINOR_FAILURE) return;
  c.note2.flagged = true;
  std::string basis = sector.threshold_basis().empty() ? "" : ", " + sector.threshold_basis();
  c.warnings.push_back(
      "meets the statutory threshold for a serious failure (note 2): " + met->description() +
      " in the " + sector.id() + " sector" + basis + "; it was filed as a minor failure");
}

bool HasFigures(const v1::Threshold& t) {
  return t.min_users() || t.min_duration_minutes() || t.min_supply_lost_kw() ||
         t.min_households() || t.min_delay_minutes() || t.min_trains_cancelled();
}

// Every figure the threshold gives must be reached; a figure it leaves at 0 does not count.
bool Reaches(const v1::Threshold& t, const v1::Impact& i) {
  return i.users_affected() >= t.min_users() && i.duration_minutes() >= t.min_duration_minutes() &&
         i.supply_lost_kw() >= t.min_supply_lost_kw() &&
         i.households_affected() >= t.min_households() &&
         i.max_delay_minutes() >= t.min_delay_minutes() &&
         i.trains_cancelled() >= t.min_trains_cancelled();
}

}  // namespace

std::optional<Rejection> CheckCell(const Rules& rules, const Cell& cell, std::string_view field) {
  if (CellExists(rules, cell)) return std::nullopt;
  return Rejection{v1::REJECT_INVALID_FIELD,
                   "the matrix has no cell " + CellWords(cell) + " for this " + std::string(field) +
                       ": " + RowAllows(rules, cell.situation()) + " (rules.yaml matrix)"};
}

const v1::Threshold* SeriousThresholdMet(const v1::Sector& sector, const v1::Impact& impact) {
  for (const v1::Threshold& t : sector.serious_failure_thresholds())
    if (HasFigures(t) && Reaches(t, impact)) return &t;
  return nullptr;
}

Classification Classify(const Rules& rules, const v1::Sector& sector,
                        const v1::IncidentReport& report) {
  Classification c;
  c.filed = MakeCell(report.situation(), report.likelihood());
  c.cell = c.filed;
  if (auto bad = CheckCell(rules, c.filed, "report")) {
    c.rejection = *bad;
    return c;
  }
  if (!ApplyNote1(rules, report, c)) return c;
  ApplyNote2(sector, report, c);
  for (int o : ColumnOf(rules, c.cell.likelihood()).obligations())
    c.obligations.push_back(static_cast<v1::Obligation>(o));
  c.valid = true;
  return c;
}

}  // namespace renrakumo::core
