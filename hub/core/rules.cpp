// Lookups over rules.yaml and the words the hub's sentences use for its values. The checks
// are in rules_check.cpp.
#include "core/rules.h"

#include <algorithm>
#include <cassert>

namespace renrakumo::core {
namespace {

namespace pb = google::protobuf;

// The YAML spelling of an enum value: the type's prefix (Likelihood -> LIKELIHOOD_) dropped,
// lower case, as hub/config/yaml_proto reads it.
std::string EnumWord(const pb::EnumValueDescriptor* v) {
  if (v == nullptr) return "unknown";
  std::string prefix;
  const std::string& type = v->type()->name();
  for (size_t i = 0; i < type.size(); ++i) {
    const bool upper = type[i] >= 'A' && type[i] <= 'Z';
    if (upper && i > 0 && !(type[i - 1] >= 'A' && type[i - 1] <= 'Z')) prefix += '_';
    prefix += static_cast<char>(upper || !(type[i] >= 'a' && type[i] <= 'z') ? type[i]
                                                                             : type[i] - 'a' + 'A');
  }
  prefix += '_';
  std::string name = v->name();
  if (name.rfind(prefix, 0) == 0) name = name.substr(prefix.size());
  std::transform(name.begin(), name.end(), name.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return name;
}

}  // namespace

Cell MakeCell(v1::Situation situation, v1::Likelihood likelihood) {
  Cell c;
  c.set_situation(situation);
  c.set_likelihood(likelihood);
  return c;
}

uint32_t SecondsFor(const v1::SeverityDeadlines& d, v1::Severity s) {
  switch (s) {
    case v1::SEVERITY_EXTREME:
      return d.extreme_seconds();
    case v1::SEVERITY_SEVERE:
      return d.severe_seconds();
    case v1::SEVERITY_MODERATE:
      return d.moderate_seconds();
    default:
      return d.minor_seconds();
  }
}

// The sector's own relay deadlines, 0 where it defers to rules.yaml.
v1::SeverityDeadlines SectorOwnRelayDeadlines(const v1::Sector& s) {
  v1::SeverityDeadlines d;
  d.set_extreme_seconds(s.relay_deadline_extreme_seconds());
  d.set_severe_seconds(s.relay_deadline_severe_seconds());
  d.set_moderate_seconds(s.relay_deadline_moderate_seconds());
  d.set_minor_seconds(s.relay_deadline_minor_seconds());
  return d;
}

// The relay deadlines a sector's advisories get: its own where set, else rules.yaml's.
v1::SeverityDeadlines SectorRelayDeadlines(const Rules& rules, const v1::Sector& s) {
  const v1::SeverityDeadlines own = SectorOwnRelayDeadlines(s);
  const v1::SeverityDeadlines& base = rules.relay_deadlines();
  auto either = [&](v1::Severity sev) {
    return SecondsFor(own, sev) ? SecondsFor(own, sev) : SecondsFor(base, sev);
  };
  v1::SeverityDeadlines d;
  d.set_extreme_seconds(either(v1::SEVERITY_EXTREME));
  d.set_severe_seconds(either(v1::SEVERITY_SEVERE));
  d.set_moderate_seconds(either(v1::SEVERITY_MODERATE));
  d.set_minor_seconds(either(v1::SEVERITY_MINOR));
  return d;
}

const v1::Column& ColumnOf(const Rules& rules, v1::Likelihood likelihood) {
  for (const v1::Column& c : rules.columns())
    if (c.likelihood() == likelihood) return c;
  assert(false && "ColumnOf on rules that did not pass ValidateRules");
  static const v1::Column kNone;
  return kNone;
}

bool CellExists(const Rules& rules, const Cell& cell) {
  for (const v1::MatrixRow& row : rules.matrix()) {
    if (row.situation() != cell.situation()) continue;
    const auto& ls = row.likelihoods();
    return std::find(ls.begin(), ls.end(), cell.likelihood()) != ls.end();
  }
  return false;
}

v1::Obligation CabinetNotice(const Rules& rules, v1::Likelihood likelihood) {
  for (int o : ColumnOf(rules, likelihood).obligations())
    if (o == v1::OBLIGATION_NOTIFY_CABINET_ATTACK_HIGHLY_LIKELY ||
        o == v1::OBLIGATION_NOTIFY_CABINET_ATTACK_OCCURRED)
      return static_cast<v1::Obligation>(o);
  return v1::OBLIGATION_UNSPECIFIED;
}

int64_t RelayDeadlineMs(const Rules& rules, const v1::Sector& sector, v1::Severity severity) {
  return int64_t{SecondsFor(SectorRelayDeadlines(rules, sector), severity)} * 1000;
}

int64_t AcknowledgementDeadlineMs(const Rules& rules, v1::Severity severity) {
  return int64_t{SecondsFor(rules.acknowledgement_deadlines(), severity)} * 1000;
}

int64_t EscalationDeadlineMs(const Rules& rules) {
  return int64_t{rules.escalation().deadline_seconds()} * 1000;
}

std::string SituationWord(v1::Situation s) {
  return EnumWord(v1::Situation_descriptor()->FindValueByNumber(s));
}
std::string LikelihoodWord(v1::Likelihood l) {
  return EnumWord(v1::Likelihood_descriptor()->FindValueByNumber(l));
}
std::string SeverityWord(v1::Severity s) {
  return EnumWord(v1::Severity_descriptor()->FindValueByNumber(s));
}
std::string EvidenceWord(v1::Evidence e) {
  return EnumWord(v1::Evidence_descriptor()->FindValueByNumber(e));
}
std::string ObligationWord(v1::Obligation o) {
  return EnumWord(v1::Obligation_descriptor()->FindValueByNumber(o));
}

std::string CellWords(const Cell& cell) {
  return "(" + SituationWord(cell.situation()) + ", " + LikelihoodWord(cell.likelihood()) + ")";
}

std::string ColumnLabel(const Rules& rules, v1::Likelihood likelihood) {
  const v1::Column& c = ColumnOf(rules, likelihood);
  return "(" + c.letter() + ") " + c.name();
}

std::string RowName(const Rules& rules, v1::Situation situation) {
  for (const v1::MatrixRow& row : rules.matrix())
    if (row.situation() == situation && !row.name().empty()) return row.name();
  std::string words = SituationWord(situation);
  std::replace(words.begin(), words.end(), '_', ' ');
  return (words.find_first_of("aeiou") == 0 ? "an " : "a ") + words;
}

std::string_view ObligationText(v1::Obligation o) {
  switch (o) {
    case v1::OBLIGATION_REPORT_TO_MINISTRY:
      return "the operator contacts its supervising ministry";
    case v1::OBLIGATION_ACCIDENT_REPORT:
      return "the operator reports to its supervising ministry as an accident report";
    case v1::OBLIGATION_MINISTRY_ANALYSES:
      return "the ministry gathers and analyses information";
    case v1::OBLIGATION_MINISTRY_WARNS_OPERATORS_AT_RISK:
      return "the ministry warns other operators that may be harmed";
    case v1::OBLIGATION_NOTIFY_CABINET_ATTACK_HIGHLY_LIKELY:
      return "the ministry notifies the Cabinet Secretariat: attack highly likely";
    case v1::OBLIGATION_NOTIFY_CABINET_ATTACK_OCCURRED:
      return "the ministry notifies the Cabinet Secretariat: attack has occurred";
    case v1::OBLIGATION_CABINET_ANALYSES:
      return "the Cabinet Secretariat gathers and analyses information";
    case v1::OBLIGATION_CABINET_CONSIDERS_COUNTERMEASURES:
      return "the Cabinet Secretariat considers countermeasures";
    default:
      return "no obligation";
  }
}

std::string DurationWords(int64_t ms) {
  auto unit = [](int64_t n, const char* word) {
    return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
  };
  const int64_t s = ms / 1000;
  if (s % 3600 == 0 && s >= 3600) return unit(s / 3600, "hour");
  if (s % 60 == 0 && s >= 60) return unit(s / 60, "minute");
  return unit(s, "second");
}

}  // namespace renrakumo::core
