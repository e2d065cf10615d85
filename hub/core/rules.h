// The workflow's rules (config/rules.yaml, schema proto/renrakumo/v1/rules.proto): checks
// and the lookups classification and deadlines need. Pure. ValidateRules is to rules.yaml
// what ValidateTopology is to topology.yaml: one sentence per problem, naming key and value.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "renrakumo/v1/config.pb.h"
#include "renrakumo/v1/messages.pb.h"
#include "renrakumo/v1/rules.pb.h"

namespace renrakumo::core {

using Rules = v1::Rules;
using Cell = v1::MatrixCell;

Cell MakeCell(v1::Situation situation, v1::Likelihood likelihood);

// Every cross-field rule of rules.yaml: each situation has a row, each likelihood a column,
// cells name existing columns, obligations are consistent, note 1 never lets a port scan
// qualify, deadlines are positive and shorter for higher severity. Empty = valid.
[[nodiscard]] std::vector<std::string> ValidateRules(const Rules& rules);

// The sectors' relay_deadline_*_seconds overrides against rules.yaml: shorter for higher
// severity, and shorter than the acknowledgement deadline (operators of a via-association
// sector cannot acknowledge what the relay has not yet brought them). Sentences name
// "sectors[i] (id).key"; the caller prefixes topology.yaml's path.
[[nodiscard]] std::vector<std::string> ValidateSectorDeadlines(const Rules& rules,
                                                               const v1::Topology& topology);

// Lookups; `rules` must have passed ValidateRules().
const v1::Column& ColumnOf(const Rules& rules, v1::Likelihood likelihood);
bool CellExists(const Rules& rules, const Cell& cell);

// The Cabinet notice a column obliges: NOTIFY_CABINET_* or OBLIGATION_UNSPECIFIED for none.
v1::Obligation CabinetNotice(const Rules& rules, v1::Likelihood likelihood);

// Severities from the highest down: a deadline may only grow along this list.
inline constexpr std::array<v1::Severity, 4> kSeveritiesHighestFirst = {
    v1::SEVERITY_EXTREME, v1::SEVERITY_SEVERE, v1::SEVERITY_MODERATE, v1::SEVERITY_MINOR};

// The field of `deadlines` for `severity`; no severity reads minor_seconds.
uint32_t SecondsFor(const v1::SeverityDeadlines& deadlines, v1::Severity severity);
// The sector's relay_deadline_*_seconds as a SeverityDeadlines, 0 where it defers to rules.yaml.
v1::SeverityDeadlines SectorOwnRelayDeadlines(const v1::Sector& sector);
// The relay deadlines the sector's advisories get: its own where set, else rules.yaml's.
v1::SeverityDeadlines SectorRelayDeadlines(const Rules& rules, const v1::Sector& sector);

// Deadlines in milliseconds. An advisory with no severity is held to the minor deadline.
int64_t RelayDeadlineMs(const Rules& rules, const v1::Sector& sector, v1::Severity severity);
int64_t AcknowledgementDeadlineMs(const Rules& rules, v1::Severity severity);
int64_t EscalationDeadlineMs(const Rules& rules);

// Words for sentences, as rules.yaml writes them: "precursor", "high", "(d) highly likely",
// "(precursor, high)", "a precursor" (the row's name).
std::string SituationWord(v1::Situation situation);
std::string LikelihoodWord(v1::Likelihood likelihood);
std::string SeverityWord(v1::Severity severity);
std::string EvidenceWord(v1::Evidence evidence);
std::string ObligationWord(v1::Obligation obligation);
std::string CellWords(const Cell& cell);
std::string ColumnLabel(const Rules& rules, v1::Likelihood likelihood);
std::string RowName(const Rules& rules, v1::Situation situation);
std::string_view ObligationText(v1::Obligation obligation);

// "90 seconds", "15 minutes", "2 hours": deadlines in sentences (the core has no clock to
// format instants with, and durations are what people act on).
std::string DurationWords(int64_t ms);

}  // namespace renrakumo::core
