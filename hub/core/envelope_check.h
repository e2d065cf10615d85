// Field-level checks of a submitted Envelope, before routing: identifiers well-formed,
// required fields present, texts within limits. Pure; the sentences go back to the sender.
#pragma once

#include <optional>
#include <string_view>

#include "core/decision.h"
#include "renrakumo/v1/messages.pb.h"

namespace renrakumo::core {

// Limits on text fields; generous for people, bounded for the journal.
inline constexpr size_t kMaxIdLength = 64;
inline constexpr size_t kMaxTitleLength = 300;
inline constexpr size_t kMaxTextLength = 64 * 1024;

// True for 1..64 characters of [A-Za-z0-9._:-]: message, incident and advisory ids.
bool IsWellFormedId(std::string_view id);

std::optional<Rejection> CheckEnvelope(const v1::Envelope& env);

std::string_view BodyKind(const v1::Envelope& env);

}  // namespace renrakumo::core
