// The ZAP handler: libzmq asks it, at every CURVE handshake, whether a client key may
// connect. A known key is answered 200 with the node id as User-Id, which the hub then
// reads from every frame that node sends. Anything else is refused with 400.
// CURVE fails open when no ZAP handler is bound, so Bind() must run before any CURVE
// server socket exists, and the socket lives as long as the hub.
#pragma once

#include <chrono>
#include <string>
#include <unordered_map>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "core/topology.h"
#include "net/metrics.h"

namespace renrakumo::net {

class ZapHandler {
 public:
  ZapHandler(zmq::context_t& ctx, std::string domain);

  zmq::socket_t& socket() { return socket_; }

  // Answers every ZAP request that is waiting, without blocking.
  void HandlePending(const core::Topology& topology, Counters& counters);

  // A reload took `key_z85` away from `node_id`. A handshake with it is refused like any key
  // the topology does not list (the topology decides), but counted and logged as revoked.
  void NoteRevoked(const std::string& key_z85, const std::string& node_id);

 private:
  zmq::socket_t socket_;
  std::string domain_;
  std::unordered_map<std::string, std::string> revoked_;  // key → the node it was taken from
  std::chrono::steady_clock::time_point window_start_{};
  int logged_ = 0;      // refusals logged in this minute
  int suppressed_ = 0;  // refusals counted but not logged in this minute
};

}  // namespace renrakumo::net
