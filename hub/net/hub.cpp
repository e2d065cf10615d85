#include "net/hub.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>
#include <google/protobuf/util/message_differencer.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>

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

// ZMQ_MAXMSGSIZE on ingest: the hard cap. A frame up to it is read, and answered
// REJECT_TOO_LARGE when above limits.max_message_bytes; libzmq drops the connection of a
// larger one as soon as it reads the frame's length, so no node makes the hub buffer more.
// (libzmq measures the CURVE frame, a few dozen bytes more than the request inside.)
int64_t IngestFrameCap(uint32_t limit) {
  return std::max<int64_t>(int64_t{limit} * 4, int64_t{limit} + (int64_t{64} << 10));
}

// The request_id (field 1) of an IngestRequest, without parsing the rest: an oversize
// request is answered under its own id, so the sender's client recognises the answer.
uint64_t RequestIdOf(const zmq::message_t& frame) {
  using google::protobuf::internal::WireFormatLite;
  google::protobuf::io::CodedInputStream in(static_cast<const uint8_t*>(frame.data()),
                                            static_cast<int>(frame.size()));
  for (;;) {
    const uint32_t tag = in.ReadTag();
    if (tag == 0) return 0;
    if (tag == WireFormatLite::MakeTag(v1::IngestRequest::kRequestIdFieldNumber,
                                       WireFormatLite::WIRETYPE_VARINT)) {
      uint64_t id = 0;
      return in.ReadVarint64(&id) ? id : 0;
    }
    if (!WireFormatLite::SkipField(&in, tag)) return 0;
  }
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string MonitorEndpoint(const char* what) {
  static std::atomic<uint64_t> n{0};
  return std::string("inproc://renrakumo-hub-") + what + "-monitor-" + std::to_string(++n);
}

// One monitor event: its id, and the value (a descriptor for the events used here).
// False when none came within the socket's receive timeout.
bool ReceiveEvent(zmq::socket_t& monitor, uint16_t& id, uint32_t& value, bool wait) {
  for (;;) {
    zmq::message_t event;
    const int rc = zmq_msg_recv(event.handle(), monitor.handle(), wait ? 0 : ZMQ_DONTWAIT);
    if (rc < 0) {
      if (zmq_errno() == EINTR) continue;
      return false;
    }
    while (event.more()) {  // the endpoint frame
      zmq::message_t rest;
      if (zmq_msg_recv(rest.handle(), monitor.handle(), 0) < 0 && zmq_errno() != EINTR) break;
      if (!rest.more()) break;
    }
    if (event.size() < 6) continue;
    std::memcpy(&id, event.data(), 2);
    std::memcpy(&value, static_cast<const char*>(event.data()) + 2, 4);
    return true;
  }
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
  if (ingest_) zmq_socket_monitor(ingest_.handle(), nullptr, 0);
  ingest_monitor_.close();
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
  hub->deferred_sync_ = hub->journal_->DeferSyncs();
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
    ingest_.set(zmq::sockopt::maxmsgsize, IngestFrameCap(cfg.limits().max_message_bytes()));
    // A frame above the hard cap ends its connection inside libzmq, which reports only
    // ZMQ_EVENT_DISCONNECTED (as for any other close): the monitor counts those.
    const std::string monitor = MonitorEndpoint("ingest");
    if (zmq_socket_monitor(ingest_.handle(), monitor.c_str(), ZMQ_EVENT_DISCONNECTED) != 0)
      throw zmq::error_t();
    ingest_monitor_ = zmq::socket_t(ctx_, zmq::socket_type::pair);
    ingest_monitor_.set(zmq::sockopt::linger, 0);
    ingest_monitor_.connect(monitor);
    ingest_.bind(cfg.ingest_endpoint());
    ingest_endpoint_ = ingest_.get(zmq::sockopt::last_endpoint);
  } catch (const zmq::error_t& e) {
    return Error{std::string("cannot bind the hub's sockets (") + cfg.ingest_endpoint() + ", " +
                 cfg.fanout_endpoint() + "): " + e.what() +
                 "; is another hub running, or is the address wrong?"};
  }
  fanout_endpoint_ = cfg.fanout_endpoint();
  if (auto s = BindFanout(); !s) {
    return Error{std::string("cannot bind the hub's sockets (") + cfg.ingest_endpoint() + ", " +
                 cfg.fanout_endpoint() + "): " + s.error() +
                 "; is another hub running, or is the address wrong?"};
  }
  spdlog::get("hub.net")->info("listening: ingest {} fanout {} ({} nodes, {} sectors)",
                               ingest_endpoint_, fanout_endpoint_,
                               options_.topology->config().nodes_size(),
                               options_.topology->config().sectors_size());
  return Ok{};
}

// The XPUB socket, created if need be, bound to fanout_endpoint_ (resolved once bound).
Status Hub::BindFanout() {
  const auto& cfg = options_.config;
  auto secret = config::DecodeZ85(options_.secret_key_z85);
  if (!secret) return Error{"hub secret key: " + secret.error()};
  try {
    if (!fanout_) {
      fanout_ = zmq::socket_t(ctx_, zmq::socket_type::xpub);
      SecureServerSocket(fanout_, *secret, cfg.zap_domain(), cfg.limits());
      fanout_.set(zmq::sockopt::xpub_manual, 1);
      fanout_.set(zmq::sockopt::sndhwm, static_cast<int>(cfg.limits().send_hwm()));
    }
    fanout_.bind(fanout_endpoint_);
    fanout_endpoint_ = fanout_.get(zmq::sockopt::last_endpoint);
  } catch (const zmq::error_t& e) {
    return Error{std::string(e.what())};
  }
  fanout_bound_ = true;
  return Ok{};
}

// Cuts every fanout connection, then listens again on the same address. libzmq 4.3 cannot
// disconnect one peer of an XPUB, and XPUB_MANUAL withdraws a subscription only from the
// peer that last sent one; so a revocation cuts everyone, and each node's SUB reconnects on
// its own (reconnect_ivl), re-handshakes through ZAP against the new topology and
// subscribes again. A revoked key is refused there. Deliveries published while a node was
// away are in the journal: the client sees the gap in (stream, seq) and fetches it.
void Hub::RebindFanout() {
  auto log = spdlog::get("hub.net");
  ++counters_.fanout_rebinds;
  if (fanout_bound_) {
    // Unbinding closes the listener and every connection it accepted. Wait (bounded) for
    // the listener's descriptor to close on the I/O thread before binding the address again.
    const std::string endpoint = MonitorEndpoint("fanout");
    zmq::socket_t closed(ctx_, zmq::socket_type::pair);
    closed.set(zmq::sockopt::linger, 0);
    closed.set(zmq::sockopt::rcvtimeo, 2000);
    const bool watching =
        zmq_socket_monitor(fanout_.handle(), endpoint.c_str(), ZMQ_EVENT_CLOSED) == 0;
    if (watching) closed.connect(endpoint);
    if (zmq_unbind(fanout_.handle(), fanout_endpoint_.c_str()) != 0)
      log->warn("unbinding the fanout {} failed: {}", fanout_endpoint_, zmq_strerror(zmq_errno()));
    uint16_t id = 0;
    uint32_t value = 0;
    while (watching && ReceiveEvent(closed, id, value, true))
      if (id == ZMQ_EVENT_CLOSED) break;
    zmq_socket_monitor(fanout_.handle(), nullptr, 0);
  }
  // A fresh socket: subscriptions still queued on the old one name connections that are
  // gone, and libzmq 4.3 would apply them to a freed pipe.
  fanout_.close();
  fanout_bound_ = false;
  if (auto s = BindFanout(); !s)
    log->error("cannot bind the fanout {} again ({}); retrying every poll, nodes get nothing "
               "live until then", fanout_endpoint_, s.error());
}

void Hub::RevokeOnReload(const core::Topology& before, const core::Topology& after) {
  auto log = spdlog::get("hub.net");
  std::vector<std::string> revoked, narrowed;
  for (const auto& n : before.config().nodes()) {
    for (const auto& key : n.public_keys()) {
      const v1::Node* holder = after.node_for_key(key);
      if (holder != nullptr && holder->id() == n.id()) continue;
      ++counters_.keys_revoked;
      zap_->NoteRevoked(key, n.id());
      audit_.push_back({NowMs(), "hub", "key_revoked", n.id(), key});
      revoked.push_back(n.id() + " " + key);
    }
    // Signing keys: a removed one stops verifying at once (checked per message); record it.
    const v1::Node* signer_now = after.node(n.id());
    for (const auto& key : n.signing_keys()) {
      const bool kept = signer_now != nullptr &&
                        std::find(signer_now->signing_keys().begin(),
                                  signer_now->signing_keys().end(), key) != signer_now->signing_keys().end();
      if (kept) continue;
      audit_.push_back({NowMs(), "hub", "signing_key_revoked", n.id(), key});
      log->warn("reload removed signing key {} of {}: its signatures are refused from now on",
                key, n.id());
    }
    // A node that keeps its key but may no longer read a stream (a new sector, a new kind)
    // must lose that subscription too; only a subscription made now is checked afresh.
    const v1::Node* now = after.node(n.id());
    if (now == nullptr) continue;
    for (const auto& stream : core::ReadableStreams(before, n))
      if (!core::MayRead(after, *now, stream)) narrowed.push_back(n.id() + " " + stream);
  }
  // Keys a reload adds are key changes too: the audit trail shows when each became valid.
  for (const auto& n : after.config().nodes()) {
    const v1::Node* was = before.node(n.id());
    auto had = [](const v1::Node* node, const auto& list, const std::string& key) {
      return node != nullptr && std::find(list(*node).begin(), list(*node).end(), key) !=
                                    list(*node).end();
    };
    auto curve = [](const v1::Node& x) -> const auto& { return x.public_keys(); };
    auto signing = [](const v1::Node& x) -> const auto& { return x.signing_keys(); };
    for (const auto& key : n.public_keys())
      if (!had(was, curve, key)) audit_.push_back({NowMs(), "hub", "key_added", n.id(), key});
    for (const auto& key : n.signing_keys())
      if (!had(was, signing, key))
        audit_.push_back({NowMs(), "hub", "signing_key_added", n.id(), key});
  }
  if (revoked.empty() && narrowed.empty()) return;
  auto list = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s.empty() ? std::string("none") : s;
  };
  log->warn("reload revoked keys [{}] and streams [{}]: cutting every fanout connection on {} "
            "so each node re-handshakes against the new topology",
            list(revoked), list(narrowed), fanout_endpoint_);
  RebindFanout();
}

void Hub::DrainIngestMonitor() {
  uint16_t id = 0;
  uint32_t value = 0;
  while (ReceiveEvent(ingest_monitor_, id, value, false)) {
    if (id != ZMQ_EVENT_DISCONNECTED) continue;
    ++counters_.ingest_disconnects;
    // libzmq 4.3 reports a frame above the hard cap exactly like a node going away.
    spdlog::get("hub.net")->debug(
        "ingest connection closed (descriptor {}): the node left or timed out, or sent a frame "
        "above {} bytes",
        value, IngestFrameCap(options_.config.limits().max_message_bytes()));
  }
}

bool Hub::RejectIfTooLarge(const std::string& routing_id, const std::string& node_id,
                           const zmq::message_t& frame) {
  const uint32_t limit = options_.config.limits().max_message_bytes();
  if (frame.size() <= limit) return false;
  spdlog::get("hub.net")->warn("request of {} bytes from node {} refused: above "
                               "limits.max_message_bytes ({})",
                               frame.size(), node_id, limit);
  Reject(routing_id, RequestIdOf(frame), "", v1::REJECT_TOO_LARGE,
         "the request is " + std::to_string(frame.size()) + " bytes; this hub accepts at most " +
             std::to_string(limit) + " (limits.max_message_bytes): shorten it");
  return true;
}

Status Hub::Run(const std::atomic<bool>& stop, std::atomic<bool>* reload) {
  auto log = spdlog::get("hub.net");
  while (!stop.load()) {
    if (reload != nullptr && reload->exchange(false)) Reload();
    if (!fanout_bound_ && BindFanout()) log->info("fanout bound again on {}", fanout_endpoint_);
    if (auto s = PollOnce(); !s) {
      log->critical("{}", s.error());
      return s;
    }
    const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    ActOnDeadlines(now);
    MaybePrune(now);
    MaybeStartSync();
  }
  auto finished = FinishDurably();
  if (!finished) log->critical("{}", finished.error());
  log->info("stopping: {} messages accepted, {} rejected", counters_.submits_accepted.load(),
            counters_.rejections.load());
  return finished;
}

Status Hub::PollOnce() {
  zmq::pollitem_t items[] = {{zap_->socket().handle(), 0, ZMQ_POLLIN, 0},
                             {ingest_.handle(), 0, ZMQ_POLLIN, 0},
                             {fanout_.handle(), 0, ZMQ_POLLIN, 0},
                             {ingest_monitor_.handle(), 0, ZMQ_POLLIN, 0},
                             {nullptr, journal_->sync_fd(), ZMQ_POLLIN, 0}};
  // zmq_poll directly: cppzmq's poll throws on EINTR, which every signal would cause.
  if (zmq_poll(items, deferred_sync_ ? 5 : 4, 100) < 0) {
    if (zmq_errno() == EINTR) return Ok{};
    throw zmq::error_t();
  }
  // A finished sync first: it releases answers and commits the batch that waited for it.
  if (deferred_sync_ && (items[4].revents & ZMQ_POLLIN))
    if (auto s = OnSynced(); !s) return s;
  if (items[0].revents & ZMQ_POLLIN) zap_->HandlePending(*options_.topology, counters_);
  if (items[2].revents & ZMQ_POLLIN) DrainSubscriptions();
  if (items[1].revents & ZMQ_POLLIN) DrainIngest();
  if (items[3].revents & ZMQ_POLLIN) DrainIngestMonitor();
  return Ok{};
}

bool Hub::MustHold() const {
  return deferred_sync_ && (!held_.empty() || journal_->written() > journal_->durable());
}

void Hub::Send(bool publish, const std::string& address, zmq::message_t body) {
  if (!MustHold()) return SendNow(publish, address, body);
  held_.push_back({journal_->written(), publish, address, std::move(body)});
  ++counters_.held_for_disk;
  ++counters_.held_now;
}

void Hub::SendNow(bool publish, const std::string& address, zmq::message_t& body) {
  if (publish) {
    fanout_.send(zmq::buffer(address), zmq::send_flags::sndmore);
    fanout_.send(body, zmq::send_flags::none);
    return;
  }
  try {
    // ROUTER_MANDATORY: a gone peer is an error here rather than a silent drop.
    if (!ingest_.send(zmq::buffer(address), zmq::send_flags::sndmore | zmq::send_flags::dontwait) ||
        !ingest_.send(body, zmq::send_flags::dontwait))
      ++counters_.replies_unroutable;
  } catch (const zmq::error_t& e) {
    ++counters_.replies_unroutable;
    spdlog::get("hub.net")->debug("reply not routable: {}", e.what());
  }
}

void Hub::ReleaseDurable() {
  const uint64_t durable = journal_->durable();
  while (!held_.empty() && held_.front().generation <= durable) {
    Held& h = held_.front();
    SendNow(h.publish, h.address, h.body);
    held_.pop_front();
    --counters_.held_now;
  }
}

void Hub::MaybeStartSync() {
  if (!deferred_sync_ || sync_in_flight_ || journal_->written() <= journal_->durable()) return;
  journal_->StartSync();
  sync_in_flight_ = true;
}

Status Hub::OnSynced() {
  uint64_t finished = 0;
  // Nothing to read (a spurious wake-up, or a signal during FinishDurably's wait): the sync
  // has not finished yet.
  if (read(journal_->sync_fd(), &finished, sizeof finished) != sizeof finished) return Ok{};
  if (auto failed = journal_->sync_failure()) {
    return Error{*failed + ". The hub stops: what it committed since the last good sync may "
                 "not be on disk, and it answered none of it. Check the disk (dmesg), then "
                 "restart the hub; senders retry every message that was not answered"};
  }
  if (!sync_in_flight_) return Ok{};
  sync_in_flight_ = false;
  ++counters_.journal_syncs;
  journal_->OnDurable(batch_.empty() && audit_.empty());
  ReleaseDurable();
  // The batch decided while the disk synced goes in now, and the next sync covers it.
  if (!batch_.empty() || !audit_.empty()) CommitBatch();
  MaybeStartSync();
  return Ok{};
}

Status Hub::FinishDurably() {
  if (!deferred_sync_) return Ok{};
  if (!batch_.empty() || !audit_.empty()) CommitBatch();
  MaybeStartSync();
  // However long the disk takes: what was committed must be durable before the hub exits.
  while (sync_in_flight_) {
    pollfd done{journal_->sync_fd(), POLLIN, 0};
    const int ready = poll(&done, 1, -1);
    if (ready < 0 && errno != EINTR)
      return Error{std::string("cannot wait for the journal's last sync: ") + std::strerror(errno)};
    if (ready > 0)
      if (auto s = OnSynced(); !s) return s;
  }
  ReleaseDurable();
  return Ok{};
}

void Hub::Reload() {
  if (!options_.reload_topology) return;
  auto log = spdlog::get("hub.net");
  auto fresh = options_.reload_topology();
  if (!fresh) {
    log->error("topology reload failed, keeping the current one: {}", fresh.error());
    return;
  }
  std::optional<v1::Rules> rules;
  if (options_.reload_rules) {
    auto loaded = options_.reload_rules(**fresh);
    if (!loaded) {
      log->error("rules reload failed, keeping the current topology and rules: {}",
                 loaded.error());
      return;
    }
    if (!google::protobuf::util::MessageDifferencer::Equals(*loaded, options_.rules))
      rules = std::move(*loaded);
  }
  size_t keys_before = 0, keys_after = 0;
  for (const auto& n : options_.topology->config().nodes()) keys_before += n.public_keys_size();
  for (const auto& n : (*fresh)->config().nodes()) keys_after += n.public_keys_size();
  audit_.push_back({std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch()).count(),
                    "hub", "reload", "topology",
                    std::to_string((*fresh)->config().nodes_size()) + " nodes, " +
                        std::to_string(keys_before) + " -> " + std::to_string(keys_after) + " keys"});
  const core::TopologyPtr before = options_.topology;
  options_.topology = *fresh;
  RevokeOnReload(*before, *options_.topology);
  if (rules) {
    // New deadlines and matrix: rebuild the workflow from the journal under them, exactly as
    // a restart would. Actions already taken keep their stable ids, so none is repeated.
    options_.rules = std::move(*rules);
    workflow_ = {};
    audit_.push_back({NowMs(), "hub", "reload", "rules", options_.config.rules_file()});
    if (auto s = RebuildWorkflow(); !s) log->error("{}", s.error());
    else log->info("rules reloaded from {}", options_.config.rules_file());
  }
  ++counters_.topology_reloads;  // last: whoever waits on it sees the revocation done
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
    // As for requests: the node and the very key of this connection, in today's topology.
    const v1::Node* node = options_.topology->node(user);
    const char* key = zmq_msg_gets(msg.handle(), "X-Key");
    const bool current = node != nullptr && key != nullptr &&
                         options_.topology->node_for_key(key) == node;
    const bool entitled = current && core::MayRead(*options_.topology, *node, topic);
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
  // Every field but the envelope is encoded as usual; the envelope goes in last as field 5,
  // written straight into the message buffer, so its bytes are copied once per delivery (a
  // parser takes fields in any order).
  v1::Delivery d;
  d.set_sender(commit.sender);
  d.set_accepted_at_ms(commit.accepted_at_ms);
  d.set_kind(commit.kind);
  using google::protobuf::io::CodedOutputStream;
  using google::protobuf::internal::WireFormatLite;
  uint8_t prefix[1 + 10];
  prefix[0] = static_cast<uint8_t>(
      WireFormatLite::MakeTag(v1::Delivery::kEnvelopeFieldNumber,
                              WireFormatLite::WIRETYPE_LENGTH_DELIMITED));
  const size_t prefix_size =
      static_cast<size_t>(CodedOutputStream::WriteVarint64ToArray(commit.envelope.size(), prefix + 1) -
                          prefix);
  for (size_t i = 0; i < positions.size(); ++i) {
    d.set_stream(positions[i].stream);
    d.set_seq(positions[i].seq);
    d.set_note(commit.deliveries[i].note);
    const size_t head = d.ByteSizeLong();
    zmq::message_t msg(head + prefix_size + commit.envelope.size());
    auto* out = static_cast<uint8_t*>(msg.data());
    d.SerializeWithCachedSizesToArray(out);
    std::memcpy(out + head, prefix, prefix_size);
    std::memcpy(out + head + prefix_size, commit.envelope.data(), commit.envelope.size());
    Send(true, positions[i].stream, std::move(msg));
    ++counters_.deliveries_published;
  }
}

}  // namespace renrakumo::net
