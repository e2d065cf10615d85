// The read-only commands: `renrakumo status` (this node, one message's recipients, or every
// node's last-seen time) and `renrakumo incidents` / `incident ID`.
#pragma once

#include <string>

#include "cli/common.h"

namespace renrakumo::cli {

// `status`: with `nodes`, every node's last-seen time (government only); with a message id,
// who was meant to get it and how far each got; otherwise this node's streams.
int ShowStatus(const Common& c, const std::string& message_id, const std::string& sender,
               bool nodes);
// `incidents` (id empty) or `incident ID`: what the asker may see, with history for one.
int ShowIncidents(const Common& c, const std::string& reporter, const std::string& id, bool all);

}  // namespace renrakumo::cli
