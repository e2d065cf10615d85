#include "core/envelope_check.h"

#include <string>

namespace renrakumo::core {
namespace {

bool IdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == ':' || c == '-';
}

std::optional<Rejection> Invalid(std::string reason) {
  return Rejection{v1::REJECT_INVALID_FIELD, std::move(reason)};
}

std::optional<Rejection> CheckId(std::string_view field, std::string_view value) {
  if (IsWellFormedId(value)) return std::nullopt;
  return Invalid(std::string(field) + " must be 1 to 64 characters of letters, digits, '.', '_', "
                 "':' or '-'; got '" + std::string(value.substr(0, 80)) + "'");
}

std::optional<Rejection> CheckText(std::string_view field, const std::string& value, size_t max) {
  if (value.size() <= max) return std::nullopt;
  return Invalid(std::string(field) + " is " + std::to_string(value.size()) +
                 " bytes; the limit is " + std::to_string(max));
}

std::optional<Rejection> CheckReport(const v1::IncidentReport& r) {
  if (auto bad = CheckId("report.incident_id", r.incident_id())) return bad;
  if (r.phase() == v1::PHASE_UNSPECIFIED)
    return Invalid("report.phase is required: flash, follow_up or final");
  if (r.situation() == v1::SITUATION_UNSPECIFIED)
    return Invalid("report.situation is required (the row of the classification matrix)");
  if (r.likelihood() == v1::LIKELIHOOD_UNSPECIFIED)
    return Invalid("report.likelihood is required (the column of the classification matrix)");
  if (r.affected_system().empty())
    return Invalid("report.affected_system is required: one of your sector's critical systems, "
                   "or \"other\"");
  if (auto bad = CheckText("report.narrative", r.narrative(), kMaxTextLength)) return bad;
  if (auto bad = CheckText("report.contact", r.contact(), kMaxTitleLength)) return bad;
  return std::nullopt;
}

std::optional<Rejection> CheckAdvisory(const v1::Advisory& a) {
  if (a.kind() == v1::ADVISORY_KIND_UNSPECIFIED)
    return Invalid("advisory.kind is required: warning, prevention_notice, countermeasure, "
                   "all_clear or security_information");
  if (a.title().empty()) return Invalid("advisory.title is required");
  if (auto bad = CheckText("advisory.title", a.title(), kMaxTitleLength)) return bad;
  if (auto bad = CheckText("advisory.body", a.body(), kMaxTextLength)) return bad;
  const auto& au = a.audience();
  const int chosen = (au.sectors_size() > 0) + (au.nodes_size() > 0) + (au.everyone() ? 1 : 0);
  if (chosen != 1)
    return Invalid("advisory.audience must name exactly one of: sectors, nodes, or everyone");
  const bool replaces = a.lifecycle() == v1::LIFECYCLE_UPDATE ||
                        a.lifecycle() == v1::LIFECYCLE_CANCEL;
  if (replaces && a.replaces().empty())
    return Invalid("advisory.replaces is required for an update or a cancel: the message id of "
                   "the advisory it replaces");
  if (!a.advisory_id().empty())
    if (auto bad = CheckId("advisory.advisory_id", a.advisory_id())) return bad;
  return std::nullopt;
}

std::optional<Rejection> CheckRelay(const v1::Relay& r) {
  if (auto bad = CheckId("relay.original_message_id", r.original_message_id())) return bad;
  if (r.original_sender().empty()) return Invalid("relay.original_sender is required");
  if (r.original_envelope().empty())
    return Invalid("relay.original_envelope is required: the original message, byte for byte");
  return CheckText("relay.commentary", r.commentary(), kMaxTextLength);
}

std::optional<Rejection> CheckShare(const v1::Share& s) {
  if (s.title().empty()) return Invalid("share.title is required");
  if (auto bad = CheckText("share.title", s.title(), kMaxTitleLength)) return bad;
  return CheckText("share.body", s.body(), kMaxTextLength);
}

template <typename IsValid>
std::optional<Rejection> CheckEnum(std::string_view field, int value, IsValid is_valid) {
  if (is_valid(value)) return std::nullopt;
  return Invalid(std::string(field) + " has the value " + std::to_string(value) +
                 ", which this hub does not know (a newer or broken client?)");
}

#define RK_ENUM(field, value, type) \
  if (auto bad = CheckEnum(field, value, v1::type##_IsValid)) return bad

std::optional<Rejection> CheckEnums(const v1::Envelope& env) {
  RK_ENUM("status", env.status(), MessageStatus);
  const auto& r = env.report();
  const auto& a = env.advisory();
  switch (env.body_case()) {
    case v1::Envelope::kReport:
      RK_ENUM("report.phase", r.phase(), ReportPhase);
      RK_ENUM("report.situation", r.situation(), Situation);
      RK_ENUM("report.likelihood", r.likelihood(), Likelihood);
      RK_ENUM("report.cause", r.cause(), CauseCategory);
      for (int e : r.evidence()) RK_ENUM("report.evidence", e, Evidence);
      return std::nullopt;
    case v1::Envelope::kAssessment:
      RK_ENUM("assessment.situation", env.assessment().situation(), Situation);
      RK_ENUM("assessment.likelihood", env.assessment().likelihood(), Likelihood);
      return std::nullopt;
    case v1::Envelope::kAdvisory:
      RK_ENUM("advisory.kind", a.kind(), AdvisoryKind);
      RK_ENUM("advisory.severity", a.severity(), Severity);
      RK_ENUM("advisory.lifecycle", a.lifecycle(), AdvisoryLifecycle);
      return std::nullopt;
    case v1::Envelope::kAcknowledgement:
      RK_ENUM("acknowledgement.state", env.acknowledgement().state(), AckState);
      return std::nullopt;
    default: return std::nullopt;
  }
}
#undef RK_ENUM

std::optional<Rejection> NotAhead(std::string_view field, int64_t at_ms, int64_t now_ms) {
  if (at_ms == 0 || at_ms <= now_ms + kMaxClockSkewMs) return std::nullopt;
  return Invalid(std::string(field) + " is " + std::to_string((at_ms - now_ms) / 60000) +
                 " minutes ahead of the hub's clock: check this node's clock (NTP)");
}

}  // namespace

std::optional<Rejection> CheckTimes(const v1::Envelope& env, int64_t now_ms) {
  if (auto bad = NotAhead("created_at", env.created_at_ms(), now_ms)) return bad;
  if (env.created_at_ms() != 0 && env.created_at_ms() < now_ms - kMaxMessageAgeMs)
    return Invalid("created_at is more than 30 days in the past: send it as a new message");
  if (env.has_report()) {
    if (auto bad = NotAhead("report.occurred_at", env.report().occurred_at_ms(), now_ms)) return bad;
    if (auto bad = NotAhead("report.detected_at", env.report().detected_at_ms(), now_ms)) return bad;
  }
  if (env.has_advisory() && env.advisory().expires_at_ms() != 0 &&
      env.advisory().expires_at_ms() <= now_ms)
    return Invalid("advisory.expires_at is already past: an expired advisory warns nobody");
  return std::nullopt;
}

uint64_t StableHash(std::string_view text) {
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

bool IsWellFormedId(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength) return false;
  for (char c : id)
    if (!IdChar(c)) return false;
  return true;
}

std::string_view BodyKind(const v1::Envelope& env) {
  switch (env.body_case()) {
    case v1::Envelope::kReport: return "report";
    case v1::Envelope::kAssessment: return "assessment";
    case v1::Envelope::kAdvisory: return "advisory";
    case v1::Envelope::kRelay: return "relay";
    case v1::Envelope::kShare: return "share";
    case v1::Envelope::kAcknowledgement: return "acknowledgement";
    case v1::Envelope::kNotice: return "notice";
    default: return "none";
  }
}

std::optional<Rejection> CheckEnvelope(const v1::Envelope& env) {
  if (auto bad = CheckId("message_id", env.message_id())) return bad;
  if (auto bad = CheckEnums(env)) return bad;
  if (env.tlp() == v1::TLP_UNSPECIFIED)
    return Invalid("tlp is required: every message carries a TLP 2.0 marking (clear, green, "
                   "amber, amber_strict, red)");
  switch (env.body_case()) {
    case v1::Envelope::kReport: return CheckReport(env.report());
    case v1::Envelope::kAssessment:
      if (auto bad = CheckId("assessment.incident_id", env.assessment().incident_id())) return bad;
      if (env.assessment().reporter().empty())
        return Invalid("assessment.reporter is required: the node that filed the incident");
      return CheckText("assessment.notes", env.assessment().notes(), kMaxTextLength);
    case v1::Envelope::kAdvisory: return CheckAdvisory(env.advisory());
    case v1::Envelope::kRelay: return CheckRelay(env.relay());
    case v1::Envelope::kShare: return CheckShare(env.share());
    case v1::Envelope::kAcknowledgement: {
      const auto& a = env.acknowledgement();
      if (a.message_sender().empty()) return Invalid("acknowledgement.message_sender is required");
      if (auto bad = CheckId("acknowledgement.message_id", a.message_id())) return bad;
      if (a.state() == v1::ACK_STATE_UNSPECIFIED)
        return Invalid("acknowledgement.state is required: received, read or acted_on");
      return CheckText("acknowledgement.comment", a.comment(), kMaxTextLength);
    }
    case v1::Envelope::kNotice:
      return Rejection{v1::REJECT_NOT_PERMITTED, "only the hub sends notices"};
    default:
      return Invalid("the envelope has no body: it must carry a report, assessment, advisory, "
                     "relay, share or acknowledgement");
  }
}

}  // namespace renrakumo::core
