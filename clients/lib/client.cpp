#include "lib/client.h"

#include <chrono>
#include <filesystem>
#include <random>
#include <zmq.hpp>

#include "config/keys.h"
#include "lib/connection.h"

namespace renrakumo::client {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// After this long without a live delivery, ask the hub for stream heads: a live message
// published before our subscription landed is then fetched instead of waiting for the next.
constexpr milliseconds kIdleResync{1000};

int64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

Result<Keys> LoadKeys(const v1::NodeConfig& config) {
  auto pub = config::ReadKeyFile(config.public_key_file(), false);
  if (!pub) return Error{pub.error()};
  auto sec = config::ReadKeyFile(config.secret_key_file(), true);
  if (!sec) return Error{sec.error()};
  if (!config::DecodeZ85(config.hub_public_key()))
    return Error{"hub_public_key in the node config is not a 40-character Z85 key"};
  return Keys{*pub, *sec, config.hub_public_key()};
}

}  // namespace

std::string NewMessageId() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[35];
  std::snprintf(buf, sizeof buf, "m-%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  return buf;
}

Client::Client(const v1::NodeConfig& config)
    : config_(config), ctx_(std::make_unique<zmq::context_t>(1)) {}

Client::~Client() {
  conn_.reset();  // sockets before the context
  ctx_.reset();
}

const std::string& Client::route() const { return conn_->ingest_endpoint(); }

Result<std::unique_ptr<Client>> Client::Connect(const v1::NodeConfig& config) {
  auto keys = LoadKeys(config);
  if (!keys) return Error{keys.error()};
  if (config.hubs().empty()) return Error{"the node config names no hub (hubs: [...])"};
  std::unique_ptr<Client> client(new Client(config));
  std::string failures;
  for (const auto& route : config.hubs()) {
    client->conn_ = std::make_unique<Connection>(*client->ctx_, *keys, route, config);
    v1::IngestRequest hello;
    hello.mutable_hello()->set_client_version("renrakumo-client 0.1");
    auto reply = client->conn_->Request(
        hello, Clock::now() + milliseconds(2 * config.request_timeout_ms()));
    if (reply && reply->has_welcome()) {
      client->welcome_ = reply->welcome();
      for (const auto& head : client->welcome_.streams()) client->conn_->Subscribe(head.stream());
      auto cursors = Cursors::Load(client->cursor_file());
      if (!cursors) return Error{cursors.error()};
      client->cursors_ = *cursors;
      return client;
    }
    failures += (failures.empty() ? "" : "; ") +
                (reply ? "the hub at " + route.ingest_endpoint() + " refused the hello: " +
                             reply->rejected().reason()
                       : reply.error());
  }
  return Error{failures};
}

std::string Client::cursor_file() const {
  return (std::filesystem::path(config_.state_dir()) / (welcome_.node_id() + ".cursors")).string();
}

Status Client::SaveCursors() const { return cursors_.Save(cursor_file()); }

Result<v1::IngestReply> Client::Request(v1::IngestRequest req) {
  return conn_->Request(std::move(req), Clock::now() + milliseconds(config_.submit_deadline_ms()));
}

Result<SubmitOutcome> Client::Submit(v1::Envelope& envelope) {
  if (envelope.message_id().empty()) envelope.set_message_id(NewMessageId());
  if (envelope.created_at_ms() == 0) envelope.set_created_at_ms(NowMs());
  v1::IngestRequest req;
  // Serialised once: every retry carries the same bytes, so the hub can recognise it.
  req.mutable_submit()->set_envelope(envelope.SerializeAsString());
  auto reply = Request(std::move(req));
  if (!reply) return Error{reply.error()};
  SubmitOutcome out;
  if (reply->has_accepted()) {
    out.accepted = true;
    out.accepted_reply = reply->accepted();
  } else if (reply->has_rejected()) {
    out.rejected_reply = reply->rejected();
  } else {
    return Error{"the hub answered a submission with something other than accepted/rejected"};
  }
  return out;
}

Result<v1::Batch> Client::Fetch(const std::string& stream, uint64_t after_seq, uint32_t max) {
  v1::IngestRequest req;
  req.mutable_fetch()->set_stream(stream);
  req.mutable_fetch()->set_after_seq(after_seq);
  req.mutable_fetch()->set_max_count(max);
  auto reply = Request(std::move(req));
  if (!reply) return Error{reply.error()};
  if (reply->has_rejected()) return Error{"fetch rejected: " + reply->rejected().reason()};
  return reply->batch();
}

Result<v1::Delivery> Client::GetMessage(const std::string& sender, const std::string& message_id) {
  v1::IngestRequest req;
  req.mutable_get_message()->set_sender(sender);
  req.mutable_get_message()->set_message_id(message_id);
  auto reply = Request(std::move(req));
  if (!reply) return Error{reply.error()};
  if (reply->has_rejected()) return Error{reply->rejected().reason()};
  if (!reply->has_batch() || reply->batch().deliveries().empty())
    return Error{"the hub returned no copy of message '" + message_id + "'"};
  return reply->batch().deliveries(0);
}

// Asks for the stream heads and queues one bounded batch from every stream we are behind on.
Status Client::Sync() {
  v1::IngestRequest hello;
  hello.mutable_hello();
  auto reply = Request(std::move(hello));
  if (!reply) return Error{reply.error()};
  if (!reply->has_welcome()) return Error{"the hub did not answer the resync hello"};
  welcome_ = reply->welcome();
  need_sync_ = false;
  for (const auto& head : welcome_.streams()) {
    const uint64_t cursor = cursors_.get(head.stream());
    if (head.last_seq() <= cursor) continue;
    auto batch = Fetch(head.stream(), cursor, 0);
    if (!batch) return Error{batch.error()};
    for (const auto& d : batch->deliveries()) replay_.push_back(d);
    if (!batch->deliveries().empty() &&
        batch->deliveries(batch->deliveries_size() - 1).seq() < head.last_seq())
      need_sync_ = true;  // more to fetch once this batch is consumed
  }
  return Ok{};
}

Result<std::optional<v1::Delivery>> Client::Next(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    while (!replay_.empty()) {
      v1::Delivery d = std::move(replay_.front());
      replay_.pop_front();
      if (d.seq() != cursors_.get(d.stream()) + 1) continue;  // already had it, or out of order
      cursors_.set(d.stream(), d.seq());
      return std::optional<v1::Delivery>(std::move(d));
    }
    if (need_sync_) {
      if (auto s = Sync(); !s) return Error{s.error()};
      continue;
    }
    const auto now = Clock::now();
    if (now >= deadline) return std::optional<v1::Delivery>();
    const auto wait = std::min(kIdleResync,
                               std::chrono::duration_cast<milliseconds>(deadline - now));
    auto live = conn_->ReceiveLive(std::max(wait, milliseconds(1)));
    if (!live) {
      need_sync_ = wait >= kIdleResync;  // idle for a while: check the heads
      continue;
    }
    const uint64_t cursor = cursors_.get(live->stream());
    if (live->seq() <= cursor) continue;  // a duplicate of something replayed
    if (live->seq() == cursor + 1) {
      cursors_.set(live->stream(), live->seq());
      return std::optional<v1::Delivery>(std::move(*live));
    }
    need_sync_ = true;  // a gap: fetch what we missed, this one included
  }
}

}  // namespace renrakumo::client
