#include "core/route.h"

#include <algorithm>
#include <string>

#include "core/streams.h"

namespace renrakumo::core {
namespace {

using v1::Node;

std::string Name(const Topology& t, std::string_view id) { return t.display_name(id); }

// Adds a delivery unless the stream already has one for this message.
void Deliver(Decision& d, std::string stream, std::string note) {
  for (const auto& p : d.deliveries)
    if (p.stream == stream) return;
  d.deliveries.push_back({std::move(stream), std::move(note)});
}

Decision Accept(std::string_view kind) {
  Decision d;
  d.accepted = true;
  d.kind = std::string(kind);
  return d;
}

bool IsGovernment(const Node& n) {
  return n.kind() == v1::NODE_KIND_MINISTRY || n.kind() == v1::NODE_KIND_CABINET;
}

Decision RouteReport(const Topology& t, const Node& sender, const v1::IncidentReport& r) {
  if (sender.kind() == v1::NODE_KIND_PROVIDER) {
    // Seed (2001): IT service providers report through the operators they serve.
    if (sender.serves().empty())
      return Decision::Reject(v1::REJECT_NOT_PERMITTED,
                              Name(t, sender.id()) + " serves no operator, so it has nobody to "
                              "report to: providers report through the operators they serve");
    const auto& serves = sender.serves();
    if (!r.served_operator().empty() &&
        std::find(serves.begin(), serves.end(), r.served_operator()) == serves.end())
      return Decision::Reject(v1::REJECT_UNKNOWN_RECIPIENT,
                              "report.served_operator '" + r.served_operator() +
                                  "' is not an operator " + Name(t, sender.id()) + " serves");
    Decision d = Accept("report");
    for (const auto& op : serves)
      if (r.served_operator().empty() || op == r.served_operator())
        Deliver(d, NodeStream(op), "incident report from your IT service provider " +
                                       Name(t, sender.id()) + ": report it onward if it affects you");
    return d;
  }
  if (sender.kind() != v1::NODE_KIND_OPERATOR)
    return Decision::Reject(v1::REJECT_NOT_PERMITTED,
                            "only operators and IT service providers file incident reports; "
                            "government records its view as an assessment or an advisory, and "
                            "associations relay");
  if (!r.sector().empty() && r.sector() != sender.sector())
    return Decision::Reject(v1::REJECT_WRONG_SECTOR,
                            "report.sector is '" + r.sector() + "' but " + Name(t, sender.id()) +
                                " belongs to the " + sender.sector() + " sector");
  const v1::Sector* sector = t.sector(sender.sector());
  const auto& systems = sector->critical_systems();
  if (r.affected_system() != "other" &&
      std::find(systems.begin(), systems.end(), r.affected_system()) == systems.end()) {
    std::string known;
    for (const auto& s : systems) known += s + ", ";
    return Decision::Reject(v1::REJECT_INVALID_FIELD,
                            "report.affected_system '" + r.affected_system() +
                                "' is not a critical system of the " + sector->id() +
                                " sector (one of: " + known + "or other)");
  }
  const Node* ministry = t.supervisor_of(sender);
  Decision d = Accept("report");
  Deliver(d, NodeStream(ministry->id()),
          "incident report from " + Name(t, sender.id()) + " (" + sector->id() + " sector)");
  return d;
}

Decision RouteAssessment(const Topology& t, const Node& sender, const v1::Assessment& a) {
  if (!IsGovernment(sender))
    return Decision::Reject(v1::REJECT_NOT_PERMITTED,
                            "only ministries and the Cabinet Secretariat assess incidents");
  const Node* reporter = t.node(a.reporter());
  if (reporter == nullptr)
    return Decision::Reject(v1::REJECT_UNKNOWN_RECIPIENT,
                            "assessment.reporter '" + a.reporter() + "' is not a node");
  if (sender.kind() == v1::NODE_KIND_MINISTRY && !t.supervises(sender.id(), reporter->sector()))
    return Decision::Reject(v1::REJECT_WRONG_SECTOR,
                            Name(t, sender.id()) + " does not supervise the sector of " +
                                Name(t, reporter->id()));
  Decision d = Accept("assessment");
  Deliver(d, NodeStream(reporter->id()),
          "your incident " + a.incident_id() + " was assessed by " + Name(t, sender.id()));
  const bool escalate = a.likelihood() == v1::LIKELIHOOD_HIGH ||
                        a.likelihood() == v1::LIKELIHOOD_CONFIRMED;
  if (sender.kind() == v1::NODE_KIND_MINISTRY && escalate && t.cabinet() != nullptr)
    Deliver(d, NodeStream(t.cabinet()->id()),
            std::string("escalation from ") + Name(t, sender.id()) + ": " +
                (a.likelihood() == v1::LIKELIHOOD_HIGH ? "attack highly likely"
                                                       : "attack has occurred"));
  if (sender.kind() == v1::NODE_KIND_CABINET)
    if (const Node* m = t.supervisor_of(*reporter); m != nullptr && m->id() != sender.id())
      Deliver(d, NodeStream(m->id()), "Cabinet Secretariat assessment of an incident in your sector");
  return d;
}

// A sector receives an advisory by its own path (seed, table 2).
void DeliverToSector(const Topology& t, Decision& d, const v1::Sector& s, const Node& issuer) {
  if (s.advisory_path() == v1::ADVISORY_PATH_VIA_ASSOCIATION) {
    for (const auto& assoc : s.relay_associations())
      Deliver(d, NodeStream(assoc),
              "advisory from " + Name(t, issuer.id()) + " for the " + s.id() +
                  " sector: relay it to your members");
    return;
  }
  Deliver(d, SectorStream(s.id()), "advisory from " + Name(t, issuer.id()) + " to the " + s.id() +
                                       " sector (direct)");
}

Decision RouteVendorInformation(const Topology& t, const Node& sender, const v1::Advisory& a) {
  if (!sender.vendor())
    return Decision::Reject(v1::REJECT_NOT_PERMITTED,
                            "IT service providers do not issue advisories; they report to the "
                            "operators they serve");
  if (a.kind() != v1::ADVISORY_SECURITY_INFORMATION || !a.audience().everyone())
    return Decision::Reject(v1::REJECT_NOT_PERMITTED,
                            "a vendor publishes security information openly: kind "
                            "security_information, audience everyone");
  Decision d = Accept("advisory");
  Deliver(d, std::string(kAllStream), "security information published by " + Name(t, sender.id()));
  return d;
}

std::optional<Decision> CheckAdvisoryKind(const Node& sender, const v1::Advisory& a) {
  if (a.kind() == v1::ADVISORY_SECURITY_INFORMATION)
    return Decision::Reject(v1::REJECT_NOT_PERMITTED,
                            "security_information is what vendors publish; government issues "
                            "warnings, prevention notices, countermeasures and all-clears");
  if (a.kind() == v1::ADVISORY_PREVENTION_NOTICE && sender.kind() != v1::NODE_KIND_CABINET)
    return Decision::Reject(v1::REJECT_NOT_PERMITTED,
                            "prevention notices to other sectors are issued by the Cabinet "
                            "Secretariat; a ministry issues a warning");
  if (a.audience().everyone() && sender.kind() != v1::NODE_KIND_CABINET)
    return Decision::Reject(v1::REJECT_NOT_PERMITTED,
                            "only the Cabinet Secretariat advises every sector at once");
  return std::nullopt;
}

Decision RouteGovernmentAdvisory(const Topology& t, const Node& sender, const v1::Advisory& a) {
  if (auto bad = CheckAdvisoryKind(sender, a)) return *bad;
  const bool cabinet = sender.kind() == v1::NODE_KIND_CABINET;
  Decision d = Accept("advisory");
  std::vector<const v1::Sector*> sectors;
  if (a.audience().everyone())
    for (const auto& s : t.config().sectors()) sectors.push_back(&s);
  for (const auto& id : a.audience().sectors()) {
    const v1::Sector* s = t.sector(id);
    if (s == nullptr)
      return Decision::Reject(v1::REJECT_UNKNOWN_RECIPIENT, "advisory.audience names sector '" +
                                                                id + "', which does not exist");
    if (!cabinet && !t.supervises(sender.id(), id))
      return Decision::Reject(v1::REJECT_WRONG_SECTOR, Name(t, sender.id()) +
                                                           " does not supervise the " + id +
                                                           " sector, so it may not advise it");
    sectors.push_back(s);
  }
  for (const v1::Sector* s : sectors) {
    DeliverToSector(t, d, *s, sender);
    if (cabinet)  // seed: the ministries concerned are told of the Cabinet's notice
      for (const auto& m : s->ministries())
        if (m != sender.id())
          Deliver(d, NodeStream(m), "Cabinet Secretariat notice to a sector you supervise");
  }
  for (const auto& id : a.audience().nodes()) {
    const Node* n = t.node(id);
    if (n == nullptr)
      return Decision::Reject(v1::REJECT_UNKNOWN_RECIPIENT,
                              "advisory.audience names node '" + id + "', which does not exist");
    if (!cabinet && !t.supervises(sender.id(), n->sector()))
      return Decision::Reject(v1::REJECT_WRONG_SECTOR,
                              Name(t, sender.id()) + " does not supervise " + Name(t, id) +
                                  ", so it may not advise it");
    Deliver(d, NodeStream(id), "advisory from " + Name(t, sender.id()) + " addressed to you");
  }
  return d;
}

Decision RouteAdvisory(const Topology& t, const Node& sender, const v1::Advisory& a) {
  switch (sender.kind()) {
    case v1::NODE_KIND_MINISTRY:
    case v1::NODE_KIND_CABINET: return RouteGovernmentAdvisory(t, sender, a);
    case v1::NODE_KIND_PROVIDER: return RouteVendorInformation(t, sender, a);
    case v1::NODE_KIND_ASSOCIATION:
      return Decision::Reject(v1::REJECT_NOT_PERMITTED,
                              "associations do not issue advisories: they relay government "
                              "advisories to their members (renrakumo relay)");
    default:
      return Decision::Reject(v1::REJECT_NOT_PERMITTED,
                              "operators may not issue advisories; report to your ministry or "
                              "share with your sector's peers instead");
  }
}

Decision RouteRelay(const Topology& t, const Node& sender, const v1::Relay& r,
                    const StoredMessage* original) {
  if (sender.kind() != v1::NODE_KIND_ASSOCIATION)
    return Decision::Reject(v1::REJECT_NOT_PERMITTED, "only associations relay messages");
  if (original == nullptr)
    return Decision::Reject(v1::REJECT_RELAY_MISMATCH,
                            "there is no message '" + r.original_message_id() + "' from '" +
                                r.original_sender() + "' in the journal to relay");
  const std::string inbox = NodeStream(sender.id());
  const bool delivered_here =
      std::any_of(original->deliveries.begin(), original->deliveries.end(),
                  [&](const Position& p) { return p.stream == inbox; });
  if (!delivered_here)
    return Decision::Reject(v1::REJECT_RELAY_MISMATCH,
                            "message '" + r.original_message_id() + "' was not delivered to " +
                                Name(t, sender.id()) + ", so it cannot relay it");
  if (original->kind != "advisory" && original->kind != "share")
    return Decision::Reject(v1::REJECT_RELAY_MISMATCH,
                            "only advisories and peer-sharing messages are relayed, not a " +
                                original->kind);
  if (original->envelope != r.original_envelope())
    return Decision::Reject(v1::REJECT_RELAY_MISMATCH,
                            "the relayed bytes differ from the message the hub delivered: a relay "
                            "must pass the original on unchanged (add your words as commentary)");
  Decision d = Accept("relay");
  for (const auto& member : sender.members())
    Deliver(d, NodeStream(member), Name(t, original->sender) + "'s " + original->kind +
                                       ", relayed by " + Name(t, sender.id()));
  return d;
}

Decision RouteShare(const Topology& t, const Node& sender) {
  if (sender.kind() != v1::NODE_KIND_OPERATOR)
    return Decision::Reject(v1::REJECT_NOT_PERMITTED,
                            "peer sharing is between operators of a sector");
  const v1::Sector* s = t.sector(sender.sector());
  Decision d = Accept("share");
  switch (s->peer_sharing()) {
    case v1::PEER_SHARING_DIRECT:
      Deliver(d, SectorStream(s->id()), "shared by " + Name(t, sender.id()) + " with the " +
                                            s->id() + " sector");
      return d;
    case v1::PEER_SHARING_VIA_ASSOCIATION:
      for (const auto& assoc : s->relay_associations())
        Deliver(d, NodeStream(assoc), "shared by member " + Name(t, sender.id()) +
                                          ": relay it to the sector if appropriate");
      return d;
    default:
      return Decision::Reject(v1::REJECT_NO_PEER_SHARING,
                              "the " + s->id() + " sector has no operator-to-operator sharing "
                              "(seed, table 2); report to your ministry instead");
  }
}

// An acknowledgement is recorded, not delivered: the sender of the message asks for status.
bool ReachedBy(const Topology& t, const Node& node, const StoredMessage& m) {
  return std::any_of(m.deliveries.begin(), m.deliveries.end(),
                     [&](const Position& p) { return MayRead(t, node, p.stream); });
}

Decision RouteAcknowledgement(const Topology& t, const Node& sender, const v1::Acknowledgement& a,
                              const StoredMessage* message,
                              const std::vector<StoredMessage>* relays) {
  bool readable = message != nullptr && ReachedBy(t, sender, *message);
  if (message != nullptr && relays != nullptr)
    for (const auto& r : *relays) readable = readable || ReachedBy(t, sender, r);
  if (!readable)
    return Decision::Reject(v1::REJECT_UNKNOWN_RECIPIENT,
                            "no message '" + a.message_id() + "' from '" + a.message_sender() +
                                "' was delivered to " + Name(t, sender.id()) +
                                ", so it cannot be acknowledged");
  return Accept("acknowledgement");
}

}  // namespace

Decision Route(const Topology& t, const RouteInput& in) {
  const v1::Envelope& env = in.envelope;
  switch (env.body_case()) {
    case v1::Envelope::kReport: return RouteReport(t, in.sender, env.report());
    case v1::Envelope::kAssessment: return RouteAssessment(t, in.sender, env.assessment());
    case v1::Envelope::kAdvisory: return RouteAdvisory(t, in.sender, env.advisory());
    case v1::Envelope::kRelay: return RouteRelay(t, in.sender, env.relay(), in.referenced);
    case v1::Envelope::kShare: return RouteShare(t, in.sender);
    case v1::Envelope::kAcknowledgement:
      return RouteAcknowledgement(t, in.sender, env.acknowledgement(), in.referenced,
                                  in.referenced_relays);
    default:
      return Decision::Reject(v1::REJECT_INVALID_FIELD, "the envelope has no body");
  }
}

std::string_view RejectCodeName(v1::RejectCode code) {
  switch (code) {
    case v1::REJECT_MALFORMED: return "malformed";
    case v1::REJECT_INVALID_FIELD: return "invalid_field";
    case v1::REJECT_UNKNOWN_NODE: return "unknown_node";
    case v1::REJECT_NOT_PERMITTED: return "not_permitted";
    case v1::REJECT_WRONG_SECTOR: return "wrong_sector";
    case v1::REJECT_UNKNOWN_RECIPIENT: return "unknown_recipient";
    case v1::REJECT_NO_PEER_SHARING: return "no_peer_sharing";
    case v1::REJECT_RELAY_MISMATCH: return "relay_mismatch";
    case v1::REJECT_NOT_ENTITLED: return "not_entitled";
    case v1::REJECT_BAD_SEQUENCE: return "bad_sequence";
    case v1::REJECT_DUPLICATE_CONFLICT: return "duplicate_conflict";
    case v1::REJECT_UNSUPPORTED: return "unsupported";
    case v1::REJECT_STORE_FAILURE: return "store_failure";
    case v1::REJECT_TLP: return "tlp";
    case v1::REJECT_SIGNATURE: return "signature";
    case v1::REJECT_TOO_LARGE: return "too_large";
    default: return "unspecified";
  }
}

}  // namespace renrakumo::core
