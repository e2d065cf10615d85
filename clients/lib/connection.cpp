#include "lib/connection.h"

#include <atomic>
#include <thread>

#include "config/keys.h"

namespace renrakumo::client {
namespace {

using Clock = std::chrono::steady_clock;

void SecureClientSocket(zmq::socket_t& s, const Keys& keys) {
  auto pub = config::DecodeZ85(keys.public_z85);
  auto sec = config::DecodeZ85(keys.secret_z85);
  auto hub = config::DecodeZ85(keys.hub_public_z85);
  s.set(zmq::sockopt::linger, 0);
  s.set(zmq::sockopt::curve_serverkey, zmq::const_buffer(hub->data(), hub->size()));
  s.set(zmq::sockopt::curve_publickey, zmq::const_buffer(pub->data(), pub->size()));
  s.set(zmq::sockopt::curve_secretkey, zmq::const_buffer(sec->data(), sec->size()));
  s.set(zmq::sockopt::heartbeat_ivl, 5000);
  s.set(zmq::sockopt::heartbeat_timeout, 15000);
  s.set(zmq::sockopt::heartbeat_ttl, 15000);
  s.set(zmq::sockopt::reconnect_ivl, 100);
  s.set(zmq::sockopt::reconnect_ivl_max, 5000);  // back off to 5 s between attempts
}

std::string MonitorEndpoint() {
  static std::atomic<uint64_t> n{0};
  return "inproc://renrakumo-monitor-" + std::to_string(++n) + "-" +
         std::to_string(reinterpret_cast<uintptr_t>(&n));
}

}  // namespace

Connection::Connection(zmq::context_t& ctx, const Keys& keys, const v1::HubRoute& route,
                       const v1::NodeConfig& config)
    : route_(route),
      request_timeout_(config.request_timeout_ms()),
      dealer_(ctx, zmq::socket_type::dealer),
      sub_(ctx, zmq::socket_type::sub),
      monitor_(ctx, zmq::socket_type::pair) {
  SecureClientSocket(dealer_, keys);
  SecureClientSocket(sub_, keys);
  // Bounded: a stalled node drops live deliveries here rather than grow without limit, and
  // fetches what it missed from the journal when it sees the gap.
  sub_.set(zmq::sockopt::rcvhwm, static_cast<int>(config.receive_hwm() ? config.receive_hwm() : 10000));
  const std::string mon = MonitorEndpoint();
  zmq_socket_monitor(dealer_.handle(), mon.c_str(),
                     ZMQ_EVENT_CONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED |
                         ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                         ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL);
  monitor_.set(zmq::sockopt::linger, 0);
  monitor_.connect(mon);
  dealer_.connect(route.ingest_endpoint());
  sub_.connect(route.fanout_endpoint());
}

Connection::~Connection() {
  zmq_socket_monitor(dealer_.handle(), nullptr, 0);
  dealer_.close();
  sub_.close();
  monitor_.close();
}

void Connection::DrainMonitor() {
  for (;;) {
    zmq::message_t event;
    if (!monitor_.recv(event, zmq::recv_flags::dontwait)) return;
    zmq::message_t address;
    if (event.more()) (void)monitor_.recv(address, zmq::recv_flags::none);
    if (event.size() < 6) continue;
    uint16_t id = 0;
    uint32_t value = 0;
    std::memcpy(&id, event.data(), 2);
    std::memcpy(&value, static_cast<const char*>(event.data()) + 2, 4);
    switch (id) {
      case ZMQ_EVENT_CONNECTED: connected_ = true; break;
      case ZMQ_EVENT_HANDSHAKE_SUCCEEDED: handshake_ok_ = true; break;
      case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
        auth_refused_ = true;
        auth_status_ = static_cast<int>(value);
        break;
      default: protocol_failed_ = true; break;
    }
  }
}

std::string Connection::Diagnose() const {
  const std::string& ep = route_.ingest_endpoint();
  if (auth_refused_)
    return "key refused by the hub at " + ep + " (ZAP status " + std::to_string(auth_status_) +
           "): this node's public key is not in the hub's topology, or it was revoked";
  if (connected_ && !handshake_ok_)
    return "the hub at " + ep + " did not complete the CURVE handshake: check hub_public_key in "
           "this node's config";
  if (!connected_) return "hub unreachable at " + ep;
  return "the hub at " + ep + " accepted the connection but did not answer in time";
}

Result<v1::IngestReply> Connection::Request(v1::IngestRequest req, Clock::time_point deadline) {
  req.set_request_id(next_request_id_++);
  const std::string bytes = req.SerializeAsString();
  for (;;) {
    // A DEALER queues while disconnected; the resend covers a reply lost to a hub restart.
    (void)dealer_.send(zmq::buffer(bytes), zmq::send_flags::dontwait);
    const auto attempt_end = std::min(deadline, Clock::now() + request_timeout_);
    while (Clock::now() < attempt_end) {
      zmq::pollitem_t items[] = {{dealer_.handle(), 0, ZMQ_POLLIN, 0},
                                 {monitor_.handle(), 0, ZMQ_POLLIN, 0}};
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(attempt_end - Clock::now());
      if (zmq_poll(items, 2, std::max<long>(1, static_cast<long>(left.count()))) < 0 &&
          zmq_errno() != EINTR)
        return Error{std::string("polling the hub connection failed: ") + zmq_strerror(zmq_errno())};
      if (items[1].revents & ZMQ_POLLIN) DrainMonitor();
      if (auth_refused_) return Error{Diagnose()};  // libzmq will not retry a refused key
      if (!(items[0].revents & ZMQ_POLLIN)) continue;
      zmq::message_t msg;
      while (dealer_.recv(msg, zmq::recv_flags::dontwait)) {
        v1::IngestReply reply;
        if (reply.ParseFromArray(msg.data(), static_cast<int>(msg.size())) &&
            reply.request_id() == req.request_id())
          return reply;
        // A late answer to an earlier attempt or request: ignore it.
      }
    }
    if (Clock::now() >= deadline) return Error{Diagnose()};
  }
}

void Connection::Subscribe(const std::string& stream) {
  sub_.set(zmq::sockopt::subscribe, stream);
}

std::optional<v1::Delivery> Connection::ReceiveLive(std::chrono::milliseconds timeout) {
  zmq::pollitem_t items[] = {{sub_.handle(), 0, ZMQ_POLLIN, 0}};
  if (zmq_poll(items, 1, static_cast<long>(timeout.count())) <= 0) return std::nullopt;
  std::vector<zmq::message_t> frames;
  if (!zmq::recv_multipart(sub_, std::back_inserter(frames), zmq::recv_flags::dontwait) ||
      frames.size() != 2)
    return std::nullopt;
  v1::Delivery d;
  if (!d.ParseFromArray(frames[1].data(), static_cast<int>(frames[1].size()))) return std::nullopt;
  return d;
}

}  // namespace renrakumo::client
