// Classification of an incident report against the matrix of rules.yaml (domain.md §4):
// is the cell valid, does a precursor have evidence beyond a port scan (note 1), does a
// failure filed as minor meet the sector's statutory serious-failure threshold (note 2),
// and what the column obliges. Pure: no clock, no topology lookups beyond the sector given.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/decision.h"
#include "core/rules.h"
#include "renrakumo/v1/config.pb.h"
#include "renrakumo/v1/messages.pb.h"

namespace renrakumo::core {

enum class Note1Outcome {
  kNotApplicable,        // not a precursor
  kSatisfied,            // a precursor with qualifying evidence
  kRejected,             // a precursor without it, policy reject
  kAcceptedWithWarning,  // a precursor without it, moved to precursor_evidence.accept_as
};

struct Note2Outcome {
  bool meets_serious_threshold = false;  // the impact reaches one of the sector's thresholds
  std::string threshold;                 // that threshold's description
  bool flagged = false;                  // ... and the report says minor_failure
};

struct Classification {
  Cell filed;          // the cell the report names
  Cell cell;           // where the hub places it: `filed`, unless note 1 moved it
  bool valid = false;  // false: reject with `rejection`, store nothing
  Rejection rejection;
  Note1Outcome note1 = Note1Outcome::kNotApplicable;
  Note2Outcome note2;
  std::vector<v1::Obligation> obligations;  // of cell's column; empty for (a)
  // Sentences for the reporter and its ministry (note 1 accepted with warning, note 2 flag).
  std::vector<std::string> warnings;
};

// `rules` passed ValidateRules(); `sector` is the reporter's sector.
Classification Classify(const Rules& rules, const v1::Sector& sector,
                        const v1::IncidentReport& report);

// The rejection for a cell that is not in the matrix, or nullopt. `field` names the message
// part in the sentence ("report", "assessment"). Assessments are checked with this too.
std::optional<Rejection> CheckCell(const Rules& rules, const Cell& cell, std::string_view field);

// The first of the sector's serious-failure thresholds the impact reaches, or nullptr.
// Thresholds with no figure (the operator judges) are never reached by figures.
const v1::Threshold* SeriousThresholdMet(const v1::Sector& sector, const v1::Impact& impact);

}  // namespace renrakumo::core
