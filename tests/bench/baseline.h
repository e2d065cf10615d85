// The baseline: a plain ZeroMQ CURVE DEALER→ROUTER→XPUB forwarder with the hub's socket
// options and a ZAP handler that accepts the network's keys, but no decoding, no routing and
// no journal. Every request is answered with fixed bytes at once and published on one topic.
// It runs in its own thread and context, beside the hub, so that the load generator can
// measure both at the same moment on the same machine.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <unordered_set>

namespace renrakumo::bench {

class Forwarder {
 public:
  struct Options {
    std::string secret_key_z85;                // the server's CURVE secret key
    std::unordered_set<std::string> known_keys;  // client public keys (Z85) the ZAP accepts
    std::string reply;                         // the bytes every request is answered with
    std::string topic;                         // every request is published under this topic
  };
  explicit Forwarder(Options options);  // binds on loopback and starts the thread; throws
  ~Forwarder();                         // stops the thread
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  const std::string& ingest_endpoint() const { return ingest_endpoint_; }
  const std::string& fanout_endpoint() const { return fanout_endpoint_; }
  uint64_t subscriptions() const { return subscriptions_.load(); }
  uint64_t forwarded() const { return forwarded_.load(); }

 private:
  struct Sockets;
  void Loop();

  Options options_;
  std::unique_ptr<Sockets> sockets_;
  std::string ingest_endpoint_;
  std::string fanout_endpoint_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> subscriptions_{0};
  std::atomic<uint64_t> forwarded_{0};
  std::thread thread_;
};

}  // namespace renrakumo::bench
