// Turning command-line words into protobuf messages: enum names as people write them
// ("serious_failure", "amber+strict"), and the envelope of each command.
#pragma once

#include <google/protobuf/generated_enum_reflection.h>

#include <string>
#include <vector>

#include "config/enum_names.h"
#include "core/result.h"
#include "renrakumo/v1/messages.pb.h"

namespace renrakumo::cli {

template <typename E>
Result<E> ParseEnum(const std::string& option, const std::string& text) {
  const auto* type = google::protobuf::GetEnumDescriptor<E>();
  const auto* value = config::FindEnumValue(type, text);
  if (value == nullptr)
    return Error{option + ": unknown value '" + text + "' (" + config::EnumChoices(type) + ")"};
  return static_cast<E>(value->number());
}

struct ReportOptions {
  std::string incident_id, phase = "flash", situation, likelihood, system = "other";
  std::string narrative, contact, location, response, cause, served_operator, sector;
  std::vector<std::string> evidence;
  bool cyber_suspected = false;
  uint64_t users = 0, duration_min = 0, kw = 0, households = 0, delay_min = 0, cancelled = 0;
};

struct AdviseOptions {
  std::string kind = "warning", severity = "moderate", title, body, lifecycle = "alert", replaces;
  std::vector<std::string> sectors, nodes, incidents;
  bool everyone = false;
};

struct AssessOptions {
  std::string incident_id, reporter, situation, likelihood, notes;
  bool at_risk = false;
};

Result<v1::IncidentReport> ComposeReport(const ReportOptions& o);
Result<v1::Advisory> ComposeAdvisory(const AdviseOptions& o);
Result<v1::Assessment> ComposeAssessment(const AssessOptions& o);

// Fills the common envelope fields: tlp and status (actual, exercise, test).
Status FillEnvelope(v1::Envelope& env, const std::string& tlp, const std::string& status,
                    const std::string& message_id);

}  // namespace renrakumo::cli
