#include "core/tlp.h"

#include <string>

#include "core/streams.h"

namespace renrakumo::core {
namespace {

// How far one planned delivery carries a message.
enum class Reach {
  kInbox,        // a node's own inbox, as the recipient itself
  kRelayPoint,   // an association's inbox, where it gets the message in order to relay it
  kMemberInbox,  // a member's inbox, reached through an association's relay
  kSector,       // a sector stream: every operator and provider of the sector
  kAll,          // the all. stream: every node of the network (or a stream of unknown shape)
};

struct Target {
  Reach reach;
  std::string stream;
  std::string id;  // the node or sector the stream belongs to
};

bool StartsWith(const std::string& s, std::string_view prefix) {
  return s.size() > prefix.size() && s.compare(0, prefix.size(), prefix) == 0 && s.back() == '.';
}

bool Named(const v1::Audience& audience, const std::string& id) {
  for (const auto& n : audience.nodes())
    if (n == id) return true;
  return false;
}

Target Classify(const Topology& t, const v1::Envelope& env, const std::string& stream) {
  if (StartsWith(stream, "sector."))
    return {Reach::kSector, stream, stream.substr(7, stream.size() - 8)};
  if (!StartsWith(stream, "node.")) return {Reach::kAll, stream, ""};  // all. (fail closed)
  std::string id = stream.substr(5, stream.size() - 6);
  if (env.has_relay()) return {Reach::kMemberInbox, stream, std::move(id)};
  const v1::Node* n = t.node(id);
  const bool association = n != nullptr && n->kind() == v1::NODE_KIND_ASSOCIATION;
  // A share goes to an association for it to pass on to the sector; an advisory does when
  // the association is not named itself but stands for a via-association sector.
  if (association && (env.has_share() ||
                      (env.has_advisory() && !Named(env.advisory().audience(), id))))
    return {Reach::kRelayPoint, stream, std::move(id)};
  return {Reach::kInbox, stream, std::move(id)};
}

bool Allowed(v1::Tlp marking, Reach reach) {
  switch (reach) {
    case Reach::kInbox: return true;
    case Reach::kMemberInbox: return marking != v1::TLP_RED;
    case Reach::kRelayPoint:
    case Reach::kSector: return !AtLeastAsStrict(marking, v1::TLP_AMBER_STRICT);
    case Reach::kAll: return marking == v1::TLP_CLEAR;
  }
  return false;
}

// What the marking allows, as the first half of a refusal.
std::string Rule(v1::Tlp marking) {
  switch (marking) {
    case v1::TLP_RED:
      return "TLP:RED may go only to recipient nodes named one by one, and is never relayed";
    case v1::TLP_AMBER_STRICT:
      return "TLP:AMBER+STRICT may go only to named organisations' own inboxes, and is not "
             "relayed";
    case v1::TLP_AMBER:
      return "TLP:AMBER may go to named organisations and, by relay, to an association's "
             "members, but is not published to the whole network";
    default:
      return "TLP:GREEN stays within the community of the sectors it is addressed to, and is "
             "not published to the whole network";
  }
}

// Where the delivery would take the message, as the second half.
std::string Offence(const Topology& t, const Decision& d, const v1::Node& sender,
                    const Target& target) {
  const std::string self = "this " + d.kind;
  switch (target.reach) {
    case Reach::kSector:
      return self + " would reach the " + target.stream + " stream (every operator of the " +
             target.id + " sector)";
    case Reach::kRelayPoint: {
      const v1::Node* assoc = t.node(target.id);
      return self + " would go to " + t.display_name(target.id) + " (" + target.stream +
             ") for it to relay to the " + (assoc != nullptr ? assoc->sector() : "") +
             " sector's members";
    }
    case Reach::kMemberInbox:
      return self + " would go to every member of " + t.display_name(sender.id()) + " (" +
             std::to_string(sender.members_size()) +
             " inboxes), a distribution list rather than recipients named one by one";
    default:
      return self + " would go on the " + target.stream +
             " stream, which every node of the network reads";
  }
}

// What the sender can do instead, as the last part.
std::string Advice(const v1::Envelope& env, Reach reach) {
  if (reach == Reach::kAll) return "what is published to everyone must be TLP:CLEAR";
  if (reach == Reach::kMemberInbox)
    return "mark the relay TLP:AMBER+STRICT to keep it inside each member";
  if (env.has_advisory())
    return "name the recipient nodes in the audience instead, or mark it TLP:AMBER or lower for "
           "the whole sector";
  if (env.has_share())
    return "peer sharing reaches the sector, so mark it TLP:AMBER or lower, or report it to "
           "your ministry instead";
  return "address named nodes, or mark it TLP:AMBER or lower";
}

std::optional<Rejection> Refuse(std::string reason) {
  return Rejection{kHandlingRejectCode, std::move(reason)};
}

// A relay passes its original on: the original's marking must allow relaying, and the
// relay's own marking may not be weaker than the original's.
std::optional<Rejection> CheckRelay(const Topology& t, const v1::Node& sender,
                                    const v1::Envelope& env, const StoredMessage* original) {
  const v1::Relay& r = env.relay();
  const std::string what =
      t.display_name(r.original_sender()) + "'s " +
      (original != nullptr ? original->kind : std::string("message")) + " '" +
      r.original_message_id() + "'";
  v1::Envelope inner;
  if (!inner.ParseFromString(original != nullptr ? original->envelope : r.original_envelope()) ||
      !IsTlpMarking(inner.tlp()))
    return Refuse("the TLP marking of " + what + " cannot be read, and the hub relays nothing "
                  "whose marking it does not know");
  const v1::Tlp marking = inner.tlp();
  if (marking == v1::TLP_RED)
    return Refuse("TLP:RED is never relayed: " + what + " is for its named recipients only, so " +
                  t.display_name(sender.id()) + " may not pass it on to its members");
  if (marking == v1::TLP_AMBER_STRICT)
    return Refuse("TLP:AMBER+STRICT is not relayed: " + what + " may be shared only inside " +
                  t.display_name(sender.id()) + " itself, not with its members");
  if (!AtLeastAsStrict(env.tlp(), marking))
    return Refuse("a relay may not weaken the marking: " + what + " is " +
                  std::string(TlpName(marking)) + ", so the relay must be " +
                  std::string(TlpName(marking)) + " or stricter, not " +
                  std::string(TlpName(env.tlp())));
  return std::nullopt;
}

}  // namespace

bool IsTlpMarking(int value) { return value >= v1::TLP_CLEAR && value <= v1::TLP_RED; }

std::string_view TlpName(int value) {
  switch (value) {
    case v1::TLP_CLEAR: return "TLP:CLEAR";
    case v1::TLP_GREEN: return "TLP:GREEN";
    case v1::TLP_AMBER: return "TLP:AMBER";
    case v1::TLP_AMBER_STRICT: return "TLP:AMBER+STRICT";
    case v1::TLP_RED: return "TLP:RED";
    default: return "TLP:?";
  }
}

bool AtLeastAsStrict(v1::Tlp marking, v1::Tlp than) {
  return static_cast<int>(marking) >= static_cast<int>(than);
}

std::optional<Rejection> CheckHandling(const Topology& topology, const v1::Node& sender,
                                       const v1::Envelope& envelope, const Decision& decision,
                                       const StoredMessage* relayed_original) {
  if (!decision.accepted || decision.deliveries.empty()) return std::nullopt;
  if (!IsTlpMarking(envelope.tlp()))
    return Rejection{v1::REJECT_INVALID_FIELD,
                     "tlp " + std::to_string(envelope.tlp()) +
                         " is not a TLP 2.0 marking (clear, green, amber, amber_strict, red)"};
  if (envelope.has_relay())
    if (auto bad = CheckRelay(topology, sender, envelope, relayed_original)) return bad;
  const v1::Tlp marking = envelope.tlp();
  for (const auto& delivery : decision.deliveries) {
    const Target target = Classify(topology, envelope, delivery.stream);
    if (Allowed(marking, target.reach)) continue;
    return Refuse(Rule(marking) + "; " + Offence(topology, decision, sender, target) + ": " +
                  Advice(envelope, target.reach));
  }
  return std::nullopt;
}

}  // namespace renrakumo::core
