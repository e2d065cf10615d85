#include "baseline.h"

#include <zmq.hpp>
#include <zmq_addon.hpp>

#include <array>
#include <vector>

#include "config/keys.h"

namespace renrakumo::bench {
namespace {

constexpr int kZapEnforceDomain = 93;  // draft option, as in hub/net/hub.cpp
constexpr const char* kDomain = "renrakumo";

// The hub's SecureServerSocket with the hub's default limits. `heartbeats` false leaves ZMTP
// heartbeats off: see the fanout socket below.
void SecureServerSocket(zmq::socket_t& s, const config::CurveKey& secret, bool heartbeats) {
  s.set(zmq::sockopt::linger, 0);
  s.set(zmq::sockopt::curve_server, 1);
  s.set(zmq::sockopt::curve_secretkey, zmq::const_buffer(secret.data(), secret.size()));
  s.set(zmq::sockopt::zap_domain, kDomain);
  const int enforce = 1;
  zmq_setsockopt(s.handle(), kZapEnforceDomain, &enforce, sizeof enforce);
  s.set(zmq::sockopt::backlog, 1024);  // as the hub: a burst of connects must not drop SYNs
  if (!heartbeats) return;
  s.set(zmq::sockopt::heartbeat_ivl, 5000);
  s.set(zmq::sockopt::heartbeat_timeout, 15000);
  s.set(zmq::sockopt::heartbeat_ttl, 15000);
}

}  // namespace

struct Forwarder::Sockets {
  zmq::context_t ctx{1};
  zmq::socket_t zap{ctx, zmq::socket_type::rep};
  zmq::socket_t ingest{ctx, zmq::socket_type::router};
  zmq::socket_t fanout{ctx, zmq::socket_type::xpub};
};

Forwarder::Forwarder(Options options) : options_(std::move(options)) {
  auto secret = config::DecodeZ85(options_.secret_key_z85);
  if (!secret) throw std::runtime_error("baseline secret key: " + secret.error());
  sockets_ = std::make_unique<Sockets>();
  auto& s = *sockets_;
  s.zap.set(zmq::sockopt::linger, 0);
  s.zap.bind("inproc://zeromq.zap.01");  // before any CURVE socket, as in the hub
  SecureServerSocket(s.ingest, *secret, true);
  s.ingest.set(zmq::sockopt::router_mandatory, 1);
  s.ingest.set(zmq::sockopt::sndhwm, 100000);  // the hub's kReplyHighWaterMark
  s.ingest.set(zmq::sockopt::maxmsgsize, int64_t{1048576});
  s.ingest.bind("tcp://127.0.0.1:*");
  ingest_endpoint_ = s.ingest.get(zmq::sockopt::last_endpoint);
  // Without heartbeats: with them, at 10,000 subscribers this forwarder's I/O thread spun
  // inside libzmq (88% of it in std::_Rb_tree_increment, most likely its timer list, which
  // libzmq 4.3.4 searches linearly to cancel a timer) and 180-580 handshakes never completed
  // within 60 s, while the hub, heartbeats on, applied all 10,000 subscriptions within a
  // second (docs/performance.md). A faster baseline only makes the ratio stricter.
  SecureServerSocket(s.fanout, *secret, false);
  s.fanout.set(zmq::sockopt::xpub_manual, 1);
  s.fanout.set(zmq::sockopt::sndhwm, 100000);
  s.fanout.bind("tcp://127.0.0.1:*");
  fanout_endpoint_ = s.fanout.get(zmq::sockopt::last_endpoint);
  thread_ = std::thread([this] { Loop(); });
}

Forwarder::~Forwarder() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void Forwarder::Loop() {
  auto& s = *sockets_;
  while (!stop_.load()) {
    zmq::pollitem_t items[] = {{s.zap.handle(), 0, ZMQ_POLLIN, 0},
                               {s.ingest.handle(), 0, ZMQ_POLLIN, 0},
                               {s.fanout.handle(), 0, ZMQ_POLLIN, 0}};
    if (zmq_poll(items, 3, 100) < 0) continue;
    if (items[0].revents & ZMQ_POLLIN) {
      for (;;) {
        std::vector<zmq::message_t> req;
        if (!zmq::recv_multipart(s.zap, std::back_inserter(req), zmq::recv_flags::dontwait))
          break;
        bool ok = req.size() >= 7 && req[6].size() == 32 &&
                  options_.known_keys.count(
                      config::EncodeZ85(static_cast<const uint8_t*>(req[6].data()))) > 0;
        std::array<zmq::const_buffer, 6> reply = {
            zmq::str_buffer("1.0"), zmq::buffer(req.size() > 1 ? req[1].data() : nullptr,
                                                req.size() > 1 ? req[1].size() : 0),
            ok ? zmq::str_buffer("200") : zmq::str_buffer("400"), zmq::str_buffer("OK"),
            zmq::str_buffer("peer"), zmq::str_buffer("")};
        zmq::send_multipart(s.zap, reply);
      }
    }
    if (items[2].revents & ZMQ_POLLIN) {
      for (;;) {
        zmq::message_t msg;
        if (!s.fanout.recv(msg, zmq::recv_flags::dontwait)) break;
        if (msg.size() == 0 || static_cast<const char*>(msg.data())[0] != 1) continue;
        s.fanout.set(zmq::sockopt::subscribe,
                     std::string(static_cast<const char*>(msg.data()) + 1, msg.size() - 1));
        ++subscriptions_;
      }
    }
    if (items[1].revents & ZMQ_POLLIN) {
      for (int n = 0; n < 512; ++n) {  // the hub's default max_batch
        zmq::message_t rid, payload;
        if (!s.ingest.recv(rid, zmq::recv_flags::dontwait)) break;
        (void)s.ingest.recv(payload, zmq::recv_flags::none);
        while (payload.more()) (void)s.ingest.recv(payload, zmq::recv_flags::none);
        if (zmq_msg_gets(payload.handle(), "User-Id") == nullptr) continue;
        try {
          (void)s.ingest.send(rid, zmq::send_flags::sndmore | zmq::send_flags::dontwait);
          (void)s.ingest.send(zmq::buffer(options_.reply), zmq::send_flags::dontwait);
        } catch (const zmq::error_t&) {
          // The peer went away (ROUTER_MANDATORY); as in the hub, it is counted and dropped.
        }
        (void)s.fanout.send(zmq::buffer(options_.topic), zmq::send_flags::sndmore);
        (void)s.fanout.send(payload, zmq::send_flags::none);
        ++forwarded_;
      }
    }
  }
}

}  // namespace renrakumo::bench
