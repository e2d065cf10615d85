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
  // For a relay: the journal's copy of the relayed message, or nullptr if there is none.
  const StoredMessage* relayed_original = nullptr;
};

Decision Route(const Topology& topology, const RouteInput& in);

}  // namespace renrakumo::core
