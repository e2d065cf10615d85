// The checks of rules.yaml. Like config_check.cpp, every check reports and carries on, so one
// --check-config run lists every problem at once.
#include <map>
#include <set>

#include "core/rules.h"

namespace renrakumo::core {
namespace {

using Errors = std::vector<std::string>;

// Deadlines above these are almost certainly unit mistakes (milliseconds written as seconds).
constexpr uint32_t kMaxEscalationSeconds = 7 * 24 * 3600;
constexpr uint32_t kMaxDeadlineSeconds = 30 * 24 * 3600;

std::string Quote(const std::string& s) { return "'" + s + "'"; }
std::string Item(const std::string& at, int i) { return at + "[" + std::to_string(i) + "]"; }

// "higher severity, never a longer deadline": each severity against the next higher one.
void CheckDescending(Errors& out, const std::string& key_prefix, const v1::SeverityDeadlines& d) {
  for (size_t i = 1; i < kSeveritiesHighestFirst.size(); ++i) {
    const uint32_t higher = SecondsFor(d, kSeveritiesHighestFirst[i - 1]);
    const uint32_t lower = SecondsFor(d, kSeveritiesHighestFirst[i]);
    if (higher == 0 || lower == 0 || higher <= lower) continue;
    out.push_back(key_prefix + SeverityWord(kSeveritiesHighestFirst[i - 1]) +
                  "_seconds: " + std::to_string(higher) + " is longer than the " +
                  SeverityWord(kSeveritiesHighestFirst[i]) + " deadline (" + std::to_string(lower) +
                  "); a more severe advisory must never get more time");
  }
}

class RulesChecker {
 public:
  explicit RulesChecker(const Rules& r) : r_(r) {}

  Errors Run() {
    CheckColumns();
    CheckMatrix();
    CheckPrecursorEvidence();
    CheckEscalation();
    CheckSeverityDeadlines("relay_deadlines", r_.relay_deadlines());
    CheckSeverityDeadlines("acknowledgement_deadlines", r_.acknowledgement_deadlines());
    CheckAcknowledgementAfterRelay();
    if (r_.acknowledged_at_least() == v1::ACK_STATE_UNSPECIFIED)
      Add("acknowledged_at_least", "missing; set ack_received, ack_read or ack_acted_on");
    return std::move(out_);
  }

 private:
  void Add(const std::string& key, const std::string& sentence) {
    out_.push_back(key + ": " + sentence);
  }

  void CheckColumns() {
    std::map<int, int> seen;
    std::set<std::string> letters;
    for (int i = 0; i < r_.columns_size(); ++i) {
      const v1::Column& c = r_.columns(i);
      const std::string at = Item("columns", i) + " (" + LikelihoodWord(c.likelihood()) + ")";
      if (c.likelihood() == v1::LIKELIHOOD_UNSPECIFIED)
        Add(at + ".likelihood", "missing");
      else if (auto [it, fresh] = seen.emplace(c.likelihood(), i); !fresh)
        Add(at + ".likelihood", "a second column for " + LikelihoodWord(c.likelihood()) +
                                    " (the first is " + Item("columns", it->second) + ")");
      if (c.letter().size() != 1 || c.letter()[0] < 'a' || c.letter()[0] > 'z')
        Add(at + ".letter", Quote(c.letter()) + " is not one lower-case letter, e.g. d");
      else if (!letters.insert(c.letter()).second)
        Add(at + ".letter", Quote(c.letter()) + " is used by another column");
      if (c.name().empty()) Add(at + ".name", "missing; a short name, e.g. \"highly likely\"");
      CheckObligations(at, c);
    }
    for (int l = v1::Likelihood_MIN + 1; l <= v1::Likelihood_MAX; ++l)
      if (seen.count(l) == 0)
        Add("columns", "no column for likelihood " +
                           Quote(LikelihoodWord(static_cast<v1::Likelihood>(l))) +
                           "; every likelihood of the matrix needs one");
  }

  void CheckObligations(const std::string& at, const v1::Column& c) {
    std::set<int> seen;
    for (int j = 0; j < c.obligations_size(); ++j)
      if (!seen.insert(c.obligations(j)).second)
        Add(Item(at + ".obligations", j), ObligationWord(c.obligations(j)) + " is listed twice");
    auto has = [&](v1::Obligation o) { return seen.count(o) > 0; };
    if (has(v1::OBLIGATION_NOTIFY_CABINET_ATTACK_HIGHLY_LIKELY) &&
        has(v1::OBLIGATION_NOTIFY_CABINET_ATTACK_OCCURRED))
      Add(at + ".obligations",
          "both Cabinet notices; a column gives the Cabinet one notice, "
          "\"attack highly likely\" or \"attack has occurred\"");
    if (has(v1::OBLIGATION_REPORT_TO_MINISTRY) && has(v1::OBLIGATION_ACCIDENT_REPORT))
      Add(at + ".obligations",
          "both report_to_ministry and accident_report; an operator files "
          "one or the other");
    const bool notice = has(v1::OBLIGATION_NOTIFY_CABINET_ATTACK_HIGHLY_LIKELY) ||
                        has(v1::OBLIGATION_NOTIFY_CABINET_ATTACK_OCCURRED);
    if (notice && !has(v1::OBLIGATION_REPORT_TO_MINISTRY) && !has(v1::OBLIGATION_ACCIDENT_REPORT))
      Add(at + ".obligations",
          "a Cabinet notice without report_to_ministry; the ministry can "
          "only notify the Cabinet of what was reported to it");
  }

  void CheckMatrix() {
    std::map<int, int> seen;
    for (int i = 0; i < r_.matrix_size(); ++i) {
      const v1::MatrixRow& row = r_.matrix(i);
      const std::string at = Item("matrix", i) + " (" + SituationWord(row.situation()) + ")";
      if (row.situation() == v1::SITUATION_UNSPECIFIED)
        Add(at + ".situation", "missing");
      else if (auto [it, fresh] = seen.emplace(row.situation(), i); !fresh)
        Add(at + ".situation", "a second row for " + SituationWord(row.situation()) +
                                   " (the first is " + Item("matrix", it->second) + ")");
      if (row.likelihoods().empty())
        Add(at + ".likelihoods", "empty; a situation with no column could never be reported");
      std::set<int> cells;
      for (int j = 0; j < row.likelihoods_size(); ++j)
        if (!cells.insert(row.likelihoods(j)).second)
          Add(Item(at + ".likelihoods", j),
              LikelihoodWord(row.likelihoods(j)) + " is listed twice");
    }
    for (int s = v1::Situation_MIN + 1; s <= v1::Situation_MAX; ++s)
      if (seen.count(s) == 0)
        Add("matrix", "no row for situation " +
                          Quote(SituationWord(static_cast<v1::Situation>(s))) +
                          "; every report in it would be rejected");
  }

  void CheckPrecursorEvidence() {
    const v1::PrecursorEvidence& p = r_.precursor_evidence();
    const std::string at = "precursor_evidence";
    if (p.qualifying().empty())
      Add(at + ".qualifying",
          "empty; list the evidence of organised preparation, e.g. "
          "sniffer_on_gateway, backdoor, attack_notice");
    std::set<int> seen;
    for (int i = 0; i < p.qualifying_size(); ++i) {
      const auto e = static_cast<v1::Evidence>(p.qualifying(i));
      if (e == v1::EVIDENCE_PORT_SCAN)
        Add(Item(at + ".qualifying", i),
            "port_scan cannot qualify a precursor: note 1 says "
            "organised preparation is more than a mere port scan");
      if (!seen.insert(e).second)
        Add(Item(at + ".qualifying", i), EvidenceWord(e) + " is listed twice");
    }
    const bool accept = p.policy() == v1::NOTE1_POLICY_ACCEPT_WITH_WARNING;
    if (p.policy() == v1::NOTE1_POLICY_UNSPECIFIED)
      Add(at + ".policy", "missing; set reject or accept_with_warning");
    if (!accept && p.has_accept_as())
      Add(at + ".accept_as", "set, but it is only used with policy accept_with_warning");
    if (accept) CheckAcceptAs(at + ".accept_as", p.accept_as());
  }

  void CheckAcceptAs(const std::string& at, const Cell& cell) {
    if (cell.situation() == v1::SITUATION_UNSPECIFIED ||
        cell.likelihood() == v1::LIKELIHOOD_UNSPECIFIED) {
      Add(at,
          "needs situation and likelihood with policy accept_with_warning, e.g. "
          "{situation: precursor, likelihood: possible_unclear}");
      return;
    }
    if (!CellExists(r_, cell))
      Add(at, CellWords(cell) + " is not a cell of the matrix");
    else if (CabinetNotice(r_, cell.likelihood()) != v1::OBLIGATION_UNSPECIFIED)
      Add(at, CellWords(cell) +
                  " obliges a Cabinet notice; a report note 1 does not accept "
                  "as a precursor must not escalate");
  }

  void CheckEscalation() {
    const v1::Escalation& e = r_.escalation();
    if (e.mode() == v1::ESCALATION_MODE_UNSPECIFIED)
      Add("escalation.mode", "missing; set automatic or ministry");
    if (e.mode() == v1::ESCALATION_MODE_MINISTRY && e.deadline_seconds() == 0)
      Add("escalation.deadline_seconds",
          "0 with mode ministry would call every notice overdue "
          "on arrival; give the ministry time, e.g. 1800");
    if (e.deadline_seconds() > kMaxEscalationSeconds)
      Add("escalation.deadline_seconds", std::to_string(e.deadline_seconds()) +
                                             " is more than 7 days (" +
                                             std::to_string(kMaxEscalationSeconds) + ")");
  }

  void CheckSeverityDeadlines(const std::string& at, const v1::SeverityDeadlines& d) {
    for (v1::Severity s : kSeveritiesHighestFirst) {
      const uint32_t v = SecondsFor(d, s);
      const std::string key = at + "." + SeverityWord(s) + "_seconds";
      if (v == 0) Add(key, "missing; every severity needs a deadline");
      if (v > kMaxDeadlineSeconds) Add(key, std::to_string(v) + " is more than 30 days");
    }
    CheckDescending(out_, at + ".", d);
  }

  // Operators of via-association sectors receive an advisory only after the relay, or after
  // the fallback at the relay deadline: reminding them earlier would be unfair noise.
  void CheckAcknowledgementAfterRelay() {
    for (v1::Severity s : kSeveritiesHighestFirst) {
      const uint32_t ack = SecondsFor(r_.acknowledgement_deadlines(), s);
      const uint32_t relay = SecondsFor(r_.relay_deadlines(), s);
      if (ack == 0 || relay == 0 || ack > relay) continue;
      Add("acknowledgement_deadlines." + SeverityWord(s) + "_seconds",
          std::to_string(ack) + " is not longer than relay_deadlines." + SeverityWord(s) +
              "_seconds (" + std::to_string(relay) +
              "); operators would be reminded before the relay is due");
    }
  }

  const Rules& r_;
  Errors out_;
};

}  // namespace

std::vector<std::string> ValidateRules(const Rules& rules) { return RulesChecker(rules).Run(); }

std::vector<std::string> ValidateSectorDeadlines(const Rules& rules, const v1::Topology& topology) {
  Errors out;
  for (int i = 0; i < topology.sectors_size(); ++i) {
    const v1::Sector& s = topology.sectors(i);
    const std::string at = Item("sectors", i) + " (" + s.id() + ").relay_deadline_";
    const v1::SeverityDeadlines own = SectorOwnRelayDeadlines(s);
    const v1::SeverityDeadlines d = SectorRelayDeadlines(rules, s);
    for (size_t k = 1; k < kSeveritiesHighestFirst.size(); ++k) {
      const v1::Severity higher = kSeveritiesHighestFirst[k - 1],
                         lower = kSeveritiesHighestFirst[k];
      if (SecondsFor(d, higher) <= SecondsFor(d, lower)) continue;
      // Blame the key the sector set: the other value may be rules.yaml's.
      const bool lower_set = SecondsFor(own, lower) != 0;
      const v1::Severity key = lower_set ? lower : higher, other = lower_set ? higher : lower;
      out.push_back(at + SeverityWord(key) + "_seconds: " + std::to_string(SecondsFor(d, key)) +
                    " leaves " + SeverityWord(higher) + " advisories more time than " +
                    SeverityWord(lower) + " ones (" + SeverityWord(other) + ": " +
                    std::to_string(SecondsFor(d, other)) +
                    (SecondsFor(own, other) ? "" : ", from rules.yaml") + "); set relay_deadline_" +
                    SeverityWord(other) + "_seconds too");
    }
    for (v1::Severity sev : kSeveritiesHighestFirst) {
      const uint32_t mine = SecondsFor(own, sev);
      const uint32_t ack = SecondsFor(rules.acknowledgement_deadlines(), sev);
      if (mine == 0 || mine < ack) continue;
      out.push_back(at + SeverityWord(sev) + "_seconds: " + std::to_string(mine) +
                    " is not shorter than rules.yaml's acknowledgement_deadlines." +
                    SeverityWord(sev) + "_seconds (" + std::to_string(ack) +
                    "); operators would be reminded before the relay");
    }
  }
  return out;
}

}  // namespace renrakumo::core
