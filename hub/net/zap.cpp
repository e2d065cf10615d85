#include "net/zap.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <vector>

#include "config/keys.h"

namespace renrakumo::net {
namespace {

struct ZapVerdict {
  std::string code;     // "200" or "400"
  std::string text;
  std::string user_id;  // node id on success
};

ZapVerdict Judge(const std::vector<zmq::message_t>& req, const std::string& domain,
                 const core::Topology& topology) {
  // Frames: version, request id, domain, address, routing id, mechanism, credentials...
  if (req.size() < 7 || req[0].to_string_view() != "1.0")
    return {"400", "malformed ZAP request", ""};
  if (req[2].to_string_view() != domain) return {"400", "wrong ZAP domain", ""};
  if (req[5].to_string_view() != "CURVE") return {"400", "only CURVE is accepted", ""};
  if (req[6].size() != 32) return {"400", "malformed CURVE key", ""};
  const std::string z85 = config::EncodeZ85(static_cast<const uint8_t*>(req[6].data()));
  const v1::Node* node = topology.node_for_key(z85);
  if (node == nullptr) return {"400", "unknown key", ""};
  return {"200", "OK", node->id()};
}

// ZMTP metadata: one property, "X-Key" = the client's key in Z85. libzmq attaches it to every
// message of the connection, so the hub can check per message that the key is still valid
// (ZAP runs only at handshake; a key removed on reload must stop working at once).
std::string KeyMetadata(const std::string& z85) {
  const std::string name = "X-Key";
  std::string out;
  out.push_back(static_cast<char>(name.size()));
  out += name;
  const uint32_t n = static_cast<uint32_t>(z85.size());
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((n >> shift) & 0xff));
  out += z85;
  return out;
}

}  // namespace

void ZapHandler::NoteRevoked(const std::string& key_z85, const std::string& node_id) {
  // Bounded: only the log line depends on it, never the verdict.
  if (revoked_.size() >= 10000) revoked_.clear();
  revoked_[key_z85] = node_id;
}

ZapHandler::ZapHandler(zmq::context_t& ctx, std::string domain)
    : socket_(ctx, zmq::socket_type::rep), domain_(std::move(domain)) {
  socket_.set(zmq::sockopt::linger, 0);
  socket_.bind("inproc://zeromq.zap.01");
}

void ZapHandler::HandlePending(const core::Topology& topology, Counters& counters) {
  auto log = spdlog::get("hub.net");
  for (;;) {
    std::vector<zmq::message_t> req;
    if (!zmq::recv_multipart(socket_, std::back_inserter(req), zmq::recv_flags::dontwait)) return;
    ZapVerdict v = Judge(req, domain_, topology);
    const std::string address = req.size() > 3 ? req[3].to_string() : "";
    const std::string key = req.size() > 6 && req[6].size() == 32
                                ? config::EncodeZ85(static_cast<const uint8_t*>(req[6].data()))
                                : "";
    if (v.code == "200") {
      ++counters.zap_accepted;
      log->debug("handshake from {} accepted as node {}", address, v.user_id);
    } else {
      ++counters.zap_refused;
      if (auto it = revoked_.find(key); it != revoked_.end() && v.text == "unknown key") {
        ++counters.zap_refused_revoked;
        v.text = "key revoked by a topology reload (it was node " + it->second + "'s)";
      }
      // A flood of strangers must not flood the log: the first few per minute, then a count.
      const auto now = std::chrono::steady_clock::now();
      if (now - window_start_ > std::chrono::minutes(1)) {
        if (suppressed_ > 0) log->warn("{} more handshakes refused in the last minute", suppressed_);
        window_start_ = now;
        logged_ = suppressed_ = 0;
      }
      if (++logged_ <= 10) log->warn("handshake from {} refused: {} {}", address, v.text, key);
      else ++suppressed_;
    }
    const std::string metadata = v.code == "200" ? KeyMetadata(key) : "";
    std::array<zmq::const_buffer, 6> reply = {
        zmq::str_buffer("1.0"),
        zmq::buffer(req.size() > 1 ? req[1].data() : nullptr, req.size() > 1 ? req[1].size() : 0),
        zmq::buffer(v.code), zmq::buffer(v.text), zmq::buffer(v.user_id), zmq::buffer(metadata)};
    zmq::send_multipart(socket_, reply);
  }
}

}  // namespace renrakumo::net
