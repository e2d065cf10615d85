// Who a message was meant for: the nodes behind each stream it was delivered on, plus the
// members reached through relays of it. Used to answer "who has not acknowledged?" and to
// decide what retention may prune (only what every reader of a stream has processed).
#pragma once

#include <string>
#include <vector>

#include "core/journal.h"
#include "core/topology.h"

namespace renrakumo::core {

struct Recipient {
  std::string node;
  std::string via;       // "direct", the stream name for sector/all streams, or the relaying association
  Position position;     // where the node gets it (its stream and seq)
};

// The readers of a stream under the current topology (nodes, by id).
std::vector<std::string> ReadersOf(const Topology& topology, const std::string& stream);

// Intended recipients of `message`, then of each relay of it, each node once (first path wins).
std::vector<Recipient> IntendedRecipients(const Topology& topology, const StoredMessage& message,
                                          const std::vector<StoredMessage>& relays);

}  // namespace renrakumo::core
