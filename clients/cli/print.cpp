#include "cli/print.h"

#include <google/protobuf/util/json_util.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "config/enum_names.h"
#include "renrakumo/v1/messages.pb.h"

namespace renrakumo::cli {
namespace {

template <typename E>
std::string Word(E value) {
  const auto* d = google::protobuf::GetEnumDescriptor<E>()->FindValueByNumber(value);
  if (d == nullptr || d->number() == 0) return "-";
  return config::ShortEnumName(d);
}

std::string Upper(std::string s) {
  for (auto& c : s) c = c == '_' ? '+' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string Iso(int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

nlohmann::json ToJson(const google::protobuf::Message& m) {
  std::string text;
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &text, opts);
  return nlohmann::json::parse(text, nullptr, false);
}

const char* kColumnLetter[] = {"?", "a", "b", "c", "d", "e"};

std::string Body(const v1::Envelope& env) {
  std::string out;
  switch (env.body_case()) {
    case v1::Envelope::kReport: {
      const auto& r = env.report();
      out += "   incident " + r.incident_id() + " · " + Word(r.phase()) + " · " +
             Word(r.situation()) + " / " + Word(r.likelihood()) + " (" +
             kColumnLetter[r.likelihood() <= 5 ? r.likelihood() : 0] + ") · system " +
             r.affected_system() + "\n";
      if (!r.narrative().empty()) out += "   \"" + r.narrative() + "\"\n";
      return out;
    }
    case v1::Envelope::kAssessment: {
      const auto& a = env.assessment();
      return "   assessment of incident " + a.incident_id() + " (" + a.reporter() + "): " +
             Word(a.situation()) + " / " + Word(a.likelihood()) +
             (a.other_operators_at_risk() ? ", other operators at risk" : "") + "\n" +
             (a.notes().empty() ? "" : "   \"" + a.notes() + "\"\n");
    }
    case v1::Envelope::kAdvisory: {
      const auto& a = env.advisory();
      return "   " + Word(a.kind()) + " [" + Word(a.severity()) + "] " + a.title() + "\n" +
             (a.body().empty() ? "" : "   \"" + a.body() + "\"\n");
    }
    case v1::Envelope::kShare:
      return "   shared: " + env.share().title() + "\n" +
             (env.share().body().empty() ? "" : "   \"" + env.share().body() + "\"\n");
    case v1::Envelope::kRelay: {
      const auto& r = env.relay();
      v1::Envelope original;
      out += "   relays " + r.original_sender() + "'s message " + r.original_message_id() + "\n";
      if (original.ParseFromString(r.original_envelope())) out += Body(original);
      if (!r.commentary().empty()) out += "   commentary: \"" + r.commentary() + "\"\n";
      return out;
    }
    case v1::Envelope::kAcknowledgement:
      return "   acknowledges " + env.acknowledgement().message_id() + ": " +
             Word(env.acknowledgement().state()) + "\n";
    case v1::Envelope::kNotice:
      return "   " + env.notice().kind() + " (" + env.notice().subject() + "): " +
             env.notice().text() + "\n";
    default: return "   (no body)\n";
  }
}

}  // namespace

std::string FormatReadable(const v1::Delivery& d, const client::Provenance* provenance) {
  v1::Envelope env;
  const bool ok = env.ParseFromString(d.envelope());
  std::string out = "── " + d.stream() + " #" + std::to_string(d.seq()) + "  " + d.kind() +
                    " from " + d.sender() + "  (" + (ok ? env.message_id() : "?") + ", TLP:" +
                    (ok ? Upper(Word(env.tlp())) : "?") + ", " + Iso(d.accepted_at_ms()) + ")";
  if (ok && (env.status() == v1::STATUS_EXERCISE || env.status() == v1::STATUS_TEST))
    out += "  *** " + Word(env.status()) + " ***";
  out += "\n";
  if (provenance != nullptr) {
    if (const std::string who = provenance->Describe(); !who.empty()) out += "   " + who + "\n";
    if (!provenance->trusted()) out += "   !!! WARNING: " + provenance->trouble + "\n";
  }
  out += ok ? Body(env) : "   (the envelope could not be decoded)\n";
  const bool repeats = ok && ((env.has_notice() && env.notice().text() == d.note()) ||
                              (env.has_relay() && env.relay().commentary() == d.note()));
  if (!d.note().empty() && !repeats) out += "   hub: " + d.note() + "\n";
  return out;
}

namespace {

nlohmann::json CheckJson(const client::SignatureCheck& c) {
  return {{"node", c.node},
          {"name", c.name},
          {"checked", c.checked},
          {"verdict", std::string(config::VerdictName(c.result.verdict))},
          {"reason", c.result.reason}};
}

}  // namespace

std::string FormatJson(const v1::Delivery& d, const client::Provenance* provenance) {
  v1::Envelope env;
  nlohmann::json j;
  j["stream"] = d.stream();
  j["seq"] = d.seq();
  j["sender"] = d.sender();
  j["kind"] = d.kind();
  j["accepted_at"] = Iso(d.accepted_at_ms());
  j["note"] = d.note();
  if (env.ParseFromString(d.envelope())) {
    j["message_id"] = env.message_id();
    j["tlp"] = Word(env.tlp());
    j["status"] = env.status() == v1::STATUS_UNSPECIFIED ? "actual" : Word(env.status());
    j["body"] = ToJson(env)[d.kind()];
    if (env.has_relay()) {
      v1::Envelope original;
      if (original.ParseFromString(env.relay().original_envelope()))
        j["body"]["original"] = ToJson(original);
      j["body"].erase("original_envelope");
    }
  }
  if (provenance != nullptr) {
    nlohmann::json p{{"trusted", provenance->trusted()}, {"summary", provenance->Describe()},
                     {"fallback", provenance->fallback}};
    if (provenance->issuer) p["issuer"] = CheckJson(*provenance->issuer);
    if (provenance->relayer) p["relayer"] = CheckJson(*provenance->relayer);
    if (!provenance->trusted()) p["trouble"] = provenance->trouble;
    j["signatures"] = p;
  }
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace renrakumo::cli
