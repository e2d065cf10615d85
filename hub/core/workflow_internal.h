// Helpers shared by workflow.cpp, workflow_advisory.cpp and workflow_due.cpp: finding,
// adding and closing the deadlines inside a record, and small list helpers. Not part of the
// core's interface.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "renrakumo/v1/workflow.pb.h"

namespace renrakumo::core::detail {

using Deadlines = google::protobuf::RepeatedPtrField<v1::Deadline>;

// The pending deadline with this identity, or nullptr.
v1::Deadline* FindPending(Deadlines* deadlines, v1::DeadlineKind kind, std::string_view party,
                          v1::Likelihood column = v1::LIKELIHOOD_UNSPECIFIED);

struct NewDeadline {
  v1::DeadlineKind kind;
  std::string subject;
  std::string party;
  v1::Likelihood column = v1::LIKELIHOOD_UNSPECIFIED;
  int64_t set_at_ms = 0;
  int64_t due_at_ms = 0;
  v1::MessageStatus status = v1::STATUS_UNSPECIFIED;
};
void AddDeadline(Deadlines* deadlines, const NewDeadline& d);

// Closes a pending deadline; a closed one is left as it is (first closer wins).
void CloseDeadline(v1::Deadline* d, v1::DeadlineState state, int64_t at_ms, std::string why);

// Members of a via-association sector that no association which relayed covers: who still
// lacks the advisory there.
std::vector<std::string> Uncovered(const v1::SectorRelay& relay);

// "a, b and c" (for people); "none" when empty.
std::string AndList(const std::vector<std::string>& items);

template <typename Container, typename T>
bool Contains(const Container& c, const T& value) {
  for (const auto& item : c)
    if (item == value) return true;
  return false;
}

}  // namespace renrakumo::core::detail
