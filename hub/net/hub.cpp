#include "net/hub.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "config/keys.h"
#include "core/streams.h"

namespace renrakumo::net {
namespace {

// ZMQ_ZAP_ENFORCE_DOMAIN is a draft option; Debian's libzmq accepts it by number. Without it
// a client could pick a ZAP domain nobody handles and slip past authentication.
constexpr int kZapEnforceDomain = 93;

// Replies a node may leave unread before the hub drops more (it bounds a node that sends
// without reading; the node's retry then gets the original answer).
constexpr int kReplyHighWaterMark = 100000;

void SecureServerSocket(zmq::socket_t& s, const config::CurveKey& secret,
                        const std::string& domain, const v1::Limits& limits) {
  s.set(zmq::sockopt::linger, 0);
  s.set(zmq::sockopt::curve_server, 1);
  s.set(zmq::sockopt::curve_secretkey, zmq::const_buffer(secret.data(), secret.size()));
  s.set(zmq::sockopt::zap_domain, domain);
  const int enforce = 1;
  if (zmq_setsockopt(s.handle(), kZapEnforceDomain, &enforce, sizeof enforce) != 0)
    spdlog::get("hub.net")->warn("ZMQ_ZAP_ENFORCE_DOMAIN unsupported by this libzmq: {}",
                                 zmq_strerror(zmq_errno()));
  // A restarted hub is reconnected to by every node at once; libzmq's default backlog of 100
  // turns that into SYN retries of seconds (measured in tests/bench).
  s.set(zmq::sockopt::backlog, 1024);
  s.set(zmq::sockopt::heartbeat_ivl, static_cast<int>(limits.heartbeat_ivl_ms()));
  s.set(zmq::sockopt::heartbeat_timeout, static_cast<int>(limits.heartbeat_timeout_ms()));
  s.set(zmq::sockopt::heartbeat_ttl, static_cast<int>(limits.heartbeat_timeout_ms()));
}

std::shared_ptr<spdlog::logger> Logger(const char* name) {
  if (auto l = spdlog::get(name)) return l;
  auto l = spdlog::default_logger()->clone(name);
  spdlog::register_logger(l);
  return l;
}

}  // namespace


Hub::Hub(Options options, core::JournalPtr journal)
    : options_(std::move(options)), journal_(std::move(journal)), ctx_(1) {}

Hub::~Hub() {
  // Sockets close before the context; linger 0 everywhere, so nothing hangs here.
  ingest_.close();
  fanout_.close();
  zap_.reset();
}

Result<std::unique_ptr<Hub>> Hub::Create(Options options, core::JournalPtr journal) {
  Logger("hub.net");
  Logger("hub.route");
  std::unique_ptr<Hub> hub(new Hub(std::move(options), std::move(journal)));
  if (auto s = hub->RebuildWorkflow(); !s) return Error{s.error()};
  if (auto s = hub->Bind(); !s) return Error{s.error()};
  return hub;
}

Status Hub::Bind() {
  const auto& cfg = options_.config;
  auto secret = config::DecodeZ85(options_.secret_key_z85);
  if (!secret) return Error{"hub secret key: " + secret.error()};
  try {
    zap_ = std::make_unique<ZapHandler>(ctx_, cfg.zap_domain());
    ingest_ = zmq::socket_t(ctx_, zmq::socket_type::router);
    SecureServerSocket(ingest_, *secret, cfg.zap_domain(), cfg.limits());
    ingest_.set(zmq::sockopt::router_mandatory, 1);
    // Replies queue per node up to this many; past it a reply is dropped and counted, and the
    // node's retry gets the original answer. A pipelining node must not hit it routinely.
    ingest_.set(zmq::sockopt::sndhwm, kReplyHighWaterMark);
    ingest_.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(cfg.limits().max_message_bytes()));
    ingest_.bind(cfg.ingest_endpoint());
    ingest_endpoint_ = ingest_.get(zmq::sockopt::last_endpoint);

    fanout_ = zmq::socket_t(ctx_, zmq::socket_type::xpub);
    SecureServerSocket(fanout_, *secret, cfg.zap_domain(), cfg.limits());
    fanout_.set(zmq::sockopt::xpub_manual, 1);
    fanout_.set(zmq::sockopt::sndhwm, static_cast<int>(cfg.limits().send_hwm()));
    fanout_.bind(cfg.fanout_endpoint());
    fanout_endpoint_ = fanout_.get(zmq::sockopt::last_endpoint);
  } catch (const zmq::error_t& e) {
    return Error{std::string("cannot bind the hub's sockets (") + cfg.ingest_endpoint() + ", " +
                 cfg.fanout_endpoint() + "): " + e.what() +
                 "; is another hub running, or is the address wrong?"};
  }
  spdlog::get("hub.net")->info("listening: ingest {} fanout {} ({} nodes, {} sectors)",
                               ingest_endpoint_, fanout_endpoint_,
                               options_.topology->config().nodes_size(),
                               options_.topology->config().sectors_size());
  return Ok{};
}

void Hub::Run(const std::atomic<bool>& stop, std::atomic<bool>* reload) {
  while (!stop.load()) {
    if (reload != nullptr && reload->exchange(false)) Reload();
    PollOnce();
    const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    ActOnDeadlines(now);
    MaybePrune(now);
  }
  spdlog::get("hub.net")->info("stopping: {} messages accepted, {} rejected",
                               counters_.submits_accepted.load(), counters_.rejections.load());
}

void Hub::PollOnce() {
  zmq::pollitem_t items[] = {{zap_->socket().handle(), 0, ZMQ_POLLIN, 0},
                             {ingest_.handle(), 0, ZMQ_POLLIN, 0},
                             {fanout_.handle(), 0, ZMQ_POLLIN, 0}};
  // zmq_poll directly: cppzmq's poll throws on EINTR, which every signal would cause.
  if (zmq_poll(items, 3, 100) < 0) {
    if (zmq_errno() == EINTR) return;
    throw zmq::error_t();
  }
  if (items[0].revents & ZMQ_POLLIN) zap_->HandlePending(*options_.topology, counters_);
  if (items[2].revents & ZMQ_POLLIN) DrainSubscriptions();
  if (items[1].revents & ZMQ_POLLIN) DrainIngest();
}

void Hub::Reload() {
  if (!options_.reload_topology) return;
  auto log = spdlog::get("hub.net");
  auto fresh = options_.reload_topology();
  if (!fresh) {
    log->error("topology reload failed, keeping the current one: {}", fresh.error());
    return;
  }
  size_t keys_before = 0, keys_after = 0;
  for (const auto& n : options_.topology->config().nodes()) keys_before += n.public_keys_size();
  for (const auto& n : (*fresh)->config().nodes()) keys_after += n.public_keys_size();
  audit_.push_back({std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch()).count(),
                    "hub", "reload", "topology",
                    std::to_string((*fresh)->config().nodes_size()) + " nodes, " +
                        std::to_string(keys_before) + " -> " + std::to_string(keys_after) + " keys"});
  options_.topology = *fresh;
  ++counters_.topology_reloads;
  log->info("topology reloaded: {} nodes, {} sectors", options_.topology->config().nodes_size(),
            options_.topology->config().sectors_size());
}

void Hub::DrainSubscriptions() {
  auto log = spdlog::get("hub.net");
  for (;;) {
    zmq::message_t msg;
    if (!fanout_.recv(msg, zmq::recv_flags::dontwait)) return;
    if (msg.size() == 0) continue;
    const bool subscribe = static_cast<const char*>(msg.data())[0] == 1;
    const std::string topic(static_cast<const char*>(msg.data()) + 1, msg.size() - 1);
    const char* user = zmq_msg_gets(msg.handle(), "User-Id");  // absent on disconnect
    if (user == nullptr) continue;
    const v1::Node* node = options_.topology->node(user);
    const bool entitled = node != nullptr && core::MayRead(*options_.topology, *node, topic);
    if (!subscribe) {
      if (entitled) fanout_.set(zmq::sockopt::unsubscribe, topic);
      continue;
    }
    if (entitled) {
      fanout_.set(zmq::sockopt::subscribe, topic);
      ++counters_.subscriptions_applied;
      log->debug("node {} subscribed to {}", user, topic);
    } else {
      ++counters_.subscriptions_refused;
      log->warn("node {} asked for stream '{}', which it may not read: refused", user, topic);
    }
  }
}

void Hub::Publish(const core::Commit& commit, const std::vector<core::Position>& positions) {
  v1::Delivery d;
  d.set_sender(commit.sender);
  d.set_accepted_at_ms(commit.accepted_at_ms);
  d.set_envelope(commit.envelope);
  d.set_kind(commit.kind);
  std::string bytes;
  for (size_t i = 0; i < positions.size(); ++i) {
    d.set_stream(positions[i].stream);
    d.set_seq(positions[i].seq);
    d.set_note(commit.deliveries[i].note);
    d.SerializeToString(&bytes);
    fanout_.send(zmq::buffer(positions[i].stream), zmq::send_flags::sndmore);
    fanout_.send(zmq::buffer(bytes), zmq::send_flags::none);
    ++counters_.deliveries_published;
  }
}

}  // namespace renrakumo::net
