// Routing: one submitted message in, the deliveries it produces (or why it is refused) out.
// This is where the seed's contact topology (domain.md §3, §5) is kept: reports go to the
// supervising ministry, advisories reach a sector directly or through its association,
// relays go to members, peer sharing follows the sector's rule. Pure: the event loop looks
// up anything it needs from the journal first and passes it in.
#pragma once

#include "core/decision.h"
#include "core/journal.h"
#include "core/topology.h"
#include "renrakumo/v1/messages.pb.h"

namespace renrakumo::core {

struct RouteInput {
  const v1::Node& sender;       // the authenticated node
  const v1::Envelope& envelope; // already passed CheckEnvelope()
  // For a relay or an acknowledgement: the journal's copy of the message it refers to, or
  // nullptr if there is none.
  const StoredMessage* referenced = nullptr;
  // For an acknowledgement: the relays of the referenced message (a member acknowledges the
  // government's advisory it received inside its association's relay).
  const std::vector<StoredMessage>* referenced_relays = nullptr;
};

Decision Route(const Topology& topology, const RouteInput& in);

}  // namespace renrakumo::core
