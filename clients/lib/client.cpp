#include "lib/client.h"

#include <chrono>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <fcntl.h>
#include <unistd.h>
#include <cstring>
#include <zmq.hpp>

#include "config/keys.h"
#include "core/envelope_check.h"
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

// Writes a file and fsyncs it (and its directory) before returning: an outbox entry must
// survive a crash of this node, or the message could be lost unanswered.
Status WriteDurably(const std::filesystem::path& path, const std::string& bytes) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  const std::string tmp = path.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return Error{"cannot write outbox entry " + tmp + ": " + std::strerror(errno)};
  const bool ok = ::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return Error{"cannot write outbox entry " + tmp + ": " + std::strerror(errno)};
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Error{"cannot write outbox entry " + path.string() + ": " + ec.message()};
  const int dir = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return Ok{};
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

Provenance Client::Check(const v1::Delivery& delivery) const {
  return CheckProvenance(delivery, signers_.get());
}

Result<std::unique_ptr<Client>> Client::Connect(const v1::NodeConfig& config) {
  auto keys = LoadKeys(config);
  if (!keys) return Error{keys.error()};
  if (config.hubs().empty()) return Error{"the node config names no hub (hubs: [...])"};
  std::unique_ptr<Client> client(new Client(config));
  client->keys_ = std::make_unique<Keys>(*keys);
  if (!config.signing_key_file().empty()) {
    auto signer = config::Signer::FromFile(config.signing_key_file());
    if (!signer) return Error{"signing_key_file: " + signer.error()};
    client->signer_ = std::make_unique<config::Signer>(std::move(signer).value());
  }
  if (!config.signers_file().empty()) {
    auto signers = SignerDirectory::Load(config.signers_file());
    if (!signers) return Error{"signers_file: " + signers.error()};
    client->signers_ = std::make_unique<SignerDirectory>(std::move(signers).value());
  }
  if (auto s = client->ConnectAnyRoute(); !s) return Error{s.error()};
  auto cursors = Cursors::Load(client->cursor_file());
  if (!cursors) return Error{cursors.error()};
  client->cursors_ = *cursors;
  client->acked_ = client->cursors_.all();
  return client;
}

// Hello on each route in order; the first that welcomes us is used (the seed's second route).
Status Client::ConnectAnyRoute() {
  std::string failures;
  for (const auto& route : config_.hubs()) {
    conn_.reset();
    conn_ = std::make_unique<Connection>(*ctx_, *keys_, route, config_);
    v1::IngestRequest hello;
    hello.mutable_hello()->set_client_version("renrakumo-client 0.1");
    auto reply = conn_->Request(hello, Clock::now() + milliseconds(2 * config_.request_timeout_ms()));
    if (reply && reply->has_welcome()) {
      welcome_ = reply->welcome();
      for (const auto& head : welcome_.streams()) conn_->Subscribe(head.stream());
      need_sync_ = true;
      return Ok{};
    }
    const std::string why = reply ? "the hub at " + route.ingest_endpoint() +
                                        " refused the hello: " + reply->rejected().reason()
                                  : reply.error();
    if (config_.hubs_size() > 1) Notice(why + "; trying the next route");
    failures += (failures.empty() ? "" : "; ") + why;
  }
  return Error{failures};
}

Status Client::Reconnect() {
  replay_.clear();
  auto s = ConnectAnyRoute();
  if (s) Notice("reconnected to " + route() + " as " + welcome_.node_id());
  return s;
}

std::string Client::cursor_file() const {
  return (std::filesystem::path(config_.state_dir()) / (welcome_.node_id() + ".cursors")).string();
}

Status Client::CommitCursors() {
  if (auto s = cursors_.Save(cursor_file()); !s) return s;
  for (const auto& [stream, seq] : cursors_.all()) {
    if (acked_[stream] >= seq) continue;
    v1::IngestRequest req;
    req.mutable_stream_ack()->set_stream(stream);
    req.mutable_stream_ack()->set_seq(seq);
    auto reply = Request(std::move(req));
    if (!reply) return Error{reply.error()};
    if (reply->has_rejected()) return Error{"the hub refused the stream cursor: " + reply->rejected().reason()};
    acked_[stream] = seq;
  }
  return Ok{};
}

Result<v1::IngestReply> Client::Request(v1::IngestRequest req) {
  return conn_->Request(std::move(req), Clock::now() + milliseconds(config_.submit_deadline_ms()));
}

std::string Client::OutboxDir() const {
  return (std::filesystem::path(config_.state_dir()) / (welcome_.node_id() + ".outbox")).string();
}

Result<SubmitOutcome> Client::Submit(v1::Envelope& envelope) {
  if (envelope.message_id().empty()) envelope.set_message_id(NewMessageId());
  if (envelope.created_at_ms() == 0) envelope.set_created_at_ms(NowMs());
  // Serialised once: every retry carries the same bytes, so the hub can recognise it.
  if (!core::IsWellFormedId(envelope.message_id()))  // it names a file in the outbox
    return Error{"message id '" + envelope.message_id() + "' must be 1 to 64 characters of "
                 "letters, digits, '.', '_', ':' or '-'"};
  std::string bytes = envelope.SerializeAsString();
  // Advisories and relays carry this node's signature. Without a signing key they go as they
  // are, and the hub answers why it refuses them (not permitted, or unsigned).
  if ((envelope.has_advisory() || envelope.has_relay()) && signer_ != nullptr) {
    auto signed_bytes = signer_->Sign(bytes);
    if (!signed_bytes) return Error{signed_bytes.error()};
    bytes = std::move(signed_bytes).value();
  }
  const auto path = std::filesystem::path(OutboxDir()) / (envelope.message_id() + ".env");
  if (!config_.no_outbox())
    if (auto s = WriteDurably(path, bytes); !s) return Error{s.error()};
  auto outcome = SubmitBytes(bytes);
  if (outcome && !config_.no_outbox()) {
    std::error_code ec;
    std::filesystem::remove(path, ec);  // answered: accepted or rejected, nothing to resend
  }
  return outcome;
}

Result<SubmitOutcome> Client::SubmitBytes(const std::string& envelope_bytes) {
  v1::IngestRequest req;
  req.mutable_submit()->set_envelope(envelope_bytes);
  auto reply = Request(std::move(req));
  if (!reply) return Error{reply.error() + " (the message stays in the outbox; it will be resubmitted)"};
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

std::vector<std::string> Client::OutboxMessageIds() const {
  std::vector<std::string> ids;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(OutboxDir(), ec))
    if (entry.path().extension() == ".env") ids.push_back(entry.path().stem().string());
  std::sort(ids.begin(), ids.end());
  return ids;
}

Result<std::vector<SubmitOutcome>> Client::ResubmitOutbox() {
  std::vector<SubmitOutcome> out;
  for (const auto& id : OutboxMessageIds()) {
    const auto path = std::filesystem::path(OutboxDir()) / (id + ".env");
    std::ifstream in(path, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Notice("resubmitting unanswered message " + id + " from the outbox");
    auto outcome = SubmitBytes(bytes);
    if (!outcome) return Error{outcome.error()};
    std::error_code ec;
    std::filesystem::remove(path, ec);
    out.push_back(std::move(*outcome));
  }
  return out;
}

Result<SubmitOutcome> Client::Acknowledge(const std::string& sender, const std::string& message_id,
                                          v1::AckState state, const std::string& comment) {
  v1::Envelope env;
  env.set_tlp(v1::TLP_AMBER);
  // One acknowledgement per message and state: a retry is recognised, a new state is not.
  env.set_message_id("ack-" + std::to_string(static_cast<int>(state)) + "-" +
                     std::to_string(core::StableHash(sender + "/" + message_id)));
  auto* a = env.mutable_acknowledgement();
  a->set_message_sender(sender);
  a->set_message_id(message_id);
  a->set_state(state);
  a->set_comment(comment);
  return Submit(env);
}

Result<v1::DeliveryStatus> Client::Status(const std::string& sender, const std::string& message_id) {
  v1::IngestRequest req;
  req.mutable_status_query()->set_sender(sender);
  req.mutable_status_query()->set_message_id(message_id);
  auto reply = Request(std::move(req));
  if (!reply) return Error{reply.error()};
  if (reply->has_rejected()) return Error{reply->rejected().reason()};
  return reply->delivery_status();
}

Result<v1::IncidentList> Client::Incidents(const v1::IncidentsQuery& query) {
  v1::IngestRequest req;
  *req.mutable_incidents_query() = query;
  auto reply = Request(std::move(req));
  if (!reply) return Error{reply.error()};
  if (reply->has_rejected()) return Error{reply->rejected().reason()};
  return reply->incident_list();
}

Result<v1::NodeList> Client::Nodes() {
  v1::IngestRequest req;
  req.mutable_nodes_query();
  auto reply = Request(std::move(req));
  if (!reply) return Error{reply.error()};
  if (reply->has_rejected()) return Error{reply->rejected().reason()};
  return reply->node_list();
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
    uint64_t cursor = cursors_.get(head.stream());
    if (head.last_seq() < cursor) {
      // The hub's stream is shorter than what we processed: its journal was restored from an
      // older backup, and numbers past its end will be reused. Replaying the whole stream
      // repeats what this node has seen (drop those by message id); anything less could
      // silently skip a new delivery.
      Notice("stream " + head.stream() + " ends at " + std::to_string(head.last_seq()) +
             " but this node had processed up to " + std::to_string(cursor) +
             ": the hub's journal was restored; replaying the stream from its start");
      cursor = 0;
      cursors_.set(head.stream(), cursor);
      acked_[head.stream()] = cursor;
    }
    if (head.last_seq() <= cursor) continue;
    auto batch = Fetch(head.stream(), cursor, 0);
    if (!batch) return Error{batch.error()};
    if (batch->first_seq() > cursor + 1) {
      // Retention pruned what this node had already processed (per the hub's cursor) but its
      // local cursor file lost: nothing can be replayed below first_seq.
      Notice("stream " + head.stream() + ": deliveries up to " +
             std::to_string(batch->first_seq() - 1) + " were pruned after being processed; "
             "continuing from " + std::to_string(batch->first_seq()));
      cursors_.set(head.stream(), batch->first_seq() - 1);
    }
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
