// One CURVE connection to one hub route: a DEALER for requests, a SUB for deliveries, and a
// monitor that turns libzmq's handshake events into sentences ("key refused by the hub",
// "hub unreachable at ..."), because libzmq itself fails silently in both cases.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "core/result.h"
#include "renrakumo/v1/config.pb.h"
#include "renrakumo/v1/wire.pb.h"

namespace renrakumo::client {

struct Keys {
  std::string public_z85;
  std::string secret_z85;
  std::string hub_public_z85;
};

class Connection {
 public:
  Connection(zmq::context_t& ctx, const Keys& keys, const v1::HubRoute& route,
             const v1::NodeConfig& config);
  ~Connection();

  // Sends `req` and waits for the reply with the same request id, resending every
  // request_timeout until `deadline`. Errors say what went wrong with the route.
  Result<v1::IngestReply> Request(v1::IngestRequest req,
                                  std::chrono::steady_clock::time_point deadline);

  void Subscribe(const std::string& stream);
  // A delivery from the fanout socket, or nullopt after `timeout`.
  std::optional<v1::Delivery> ReceiveLive(std::chrono::milliseconds timeout);

  const std::string& ingest_endpoint() const { return route_.ingest_endpoint(); }

 private:
  void DrainMonitor();
  std::string Diagnose() const;

  v1::HubRoute route_;
  std::chrono::milliseconds request_timeout_;
  zmq::socket_t dealer_;
  zmq::socket_t sub_;
  zmq::socket_t monitor_;
  uint64_t next_request_id_ = 1;
  // What the monitor has seen on the DEALER, for diagnosis.
  bool connected_ = false;
  bool handshake_ok_ = false;
  bool auth_refused_ = false;
  int auth_status_ = 0;
  bool protocol_failed_ = false;
};

}  // namespace renrakumo::client
