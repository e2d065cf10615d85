// TLP 2.0 handling: whether a message's marking allows the deliveries routing decided for it.
// Routing decides where a message goes from the contact topology; this check then asks
// whether the sender's marking lets it go there, and whether a relay keeps the original's
// marking. Pure, like routing: the rule table and its reading of FIRST's definitions are in
// docs/tlp.md.
#pragma once

#include <optional>
#include <string_view>

#include "core/decision.h"
#include "core/journal.h"
#include "core/topology.h"
#include "renrakumo/v1/messages.pb.h"

namespace renrakumo::core {

// The code of a handling refusal; tests compare against this constant, not the literal.
inline constexpr v1::RejectCode kHandlingRejectCode = v1::REJECT_TLP;

// True for the five TLP 2.0 markings; false for TLP_UNSPECIFIED and unknown wire values.
bool IsTlpMarking(int value);

// "TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED" ("TLP:?" otherwise).
std::string_view TlpName(int value);

// Strictness: CLEAR < GREEN < AMBER < AMBER+STRICT < RED (the wire numbers keep this order).
// True when `marking` restricts sharing at least as much as `than`. Both must be markings.
bool AtLeastAsStrict(v1::Tlp marking, v1::Tlp than);

// Checks an accepted routing decision against the envelope's marking (docs/tlp.md):
//   RED           only to nodes' own inboxes, never relayed, never on a relay;
//   AMBER+STRICT  only to nodes' own inboxes, never relayed;
//   AMBER, GREEN  inboxes, sector streams, associations that relay; not the all. stream;
//   CLEAR         anywhere, including the all. stream.
// A relay must be at least as strict as its original. `relayed_original` is the journal's
// copy of the message a relay passes on (Route's `referenced`); when it is null the
// relay's embedded original_envelope is read instead (Route has already checked that both
// are the same bytes). Returns nothing for a rejected decision or one without deliveries.
std::optional<Rejection> CheckHandling(const Topology& topology, const v1::Node& sender,
                                       const v1::Envelope& envelope, const Decision& decision,
                                       const StoredMessage* relayed_original);

}  // namespace renrakumo::core
