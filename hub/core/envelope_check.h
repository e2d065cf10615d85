// Field-level checks of a submitted Envelope, before routing: identifiers well-formed,
// required fields present, texts within limits. Pure; the sentences go back to the sender.
#pragma once

#include <cstdint>
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

// Ids, required fields, text limits, and enum values this build knows (proto3 keeps unknown
// numbers, which would otherwise travel on as nonsense).
std::optional<Rejection> CheckEnvelope(const v1::Envelope& env);

// Times against the hub's clock (passed in): created_at at most 10 minutes ahead (clock skew)
// and at most 30 days old (an outbox may hold a message that long); a report's occurred and
// detected times not in the future; an advisory not already expired. 0 means "not given".
std::optional<Rejection> CheckTimes(const v1::Envelope& env, int64_t now_ms);

inline constexpr int64_t kMaxClockSkewMs = 10 * 60 * 1000;
inline constexpr int64_t kMaxMessageAgeMs = 30LL * 24 * 3600 * 1000;

std::string_view BodyKind(const v1::Envelope& env);

// FNV-1a, 64 bits: a hash that never changes between builds or library versions, for ids
// that must be the same after an upgrade (the hub's action messages, acknowledgement ids).
uint64_t StableHash(std::string_view text);

}  // namespace renrakumo::core
