// The ingest side of the loop: requests from nodes, decided by the core, accepted ones
// committed to the journal as one batch, then answered and published.
#include <spdlog/spdlog.h>

#include <charconv>
#include <chrono>

#include "config/signing.h"
#include "core/envelope_check.h"
#include "core/route.h"
#include "core/streams.h"
#include "core/submit_frame.h"
#include "core/tlp.h"
#include "net/hub.h"
#include "renrakumo/v1/messages.pb.h"

namespace renrakumo::net {
namespace {

int64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// A retry is the same message if only created_at differs: a person re-running a command
// with the same --message-id gets a new timestamp, not a new message.
bool SameMessage(const std::string& stored, const std::string& submitted) {
  if (stored == submitted) return true;
  v1::Envelope a, b;
  if (!a.ParseFromString(stored) || !b.ParseFromString(submitted)) return false;
  a.clear_created_at_ms();  // a new timestamp means a new signature, too
  b.clear_created_at_ms();
  a.clear_signature();
  b.clear_signature();
  return a.SerializeAsString() == b.SerializeAsString();
}

std::string BatchKey(const std::string& sender, const std::string& message_id) {
  return sender + '\n' + message_id;
}

v1::Accepted MakeAccepted(const std::string& message_id, int64_t at_ms,
                          const std::vector<core::Position>& positions, bool duplicate) {
  v1::Accepted a;
  a.set_message_id(message_id);
  a.set_accepted_at_ms(at_ms);
  a.set_duplicate(duplicate);
  for (const auto& p : positions) {
    auto* sp = a.add_deliveries();
    sp->set_stream(p.stream);
    sp->set_seq(p.seq);
  }
  return a;
}

// The audit trail's record of one journal transaction's accepted messages: a single entry
// whose detail has a line per message, "<kind> '<id>' from <sender> at <ms> -> <streams>".
// One hashed row per batch instead of one per message: in a storm that row was a sixth of the
// hub's CPU per message. Deleting or editing a message's line breaks the chain as before.
core::AuditEntry AcceptedEntry(const std::vector<core::Commit>& batch) {
  std::string detail;
  detail.reserve(batch.size() * 96);
  char at[24];
  for (const auto& c : batch) {
    if (!detail.empty()) detail += '\n';
    detail.append(c.kind).append(" '").append(c.message_id).append("' from ").append(c.sender);
    const auto end = std::to_chars(at, at + sizeof at, c.accepted_at_ms).ptr;
    detail.append(" at ").append(at, end);
    for (size_t i = 0; i < c.deliveries.size(); ++i)
      detail.append(i == 0 ? " -> " : " ").append(c.deliveries[i].stream);
  }
  return {batch.back().accepted_at_ms, "hub", "accepted",
          std::to_string(batch.size()) + (batch.size() == 1 ? " message" : " messages"),
          std::move(detail)};
}

}  // namespace

google::protobuf::ArenaOptions Hub::EnvelopeArenaOptions() {
  google::protobuf::ArenaOptions o;
  o.start_block_size = 64 * 1024;  // ~50 envelopes of a report storm's 1 KiB
  o.max_block_size = 256 * 1024;
  return o;
}

void Hub::DrainIngest() {
  const uint32_t max_batch = options_.config.limits().max_batch();
  for (uint32_t n = 0; n < max_batch && batch_.size() < max_batch; ++n) {
    zmq::message_t routing_id;
    if (!ingest_.recv(routing_id, zmq::recv_flags::dontwait)) break;
    std::vector<zmq::message_t> frames;
    // The rest of a multipart message is already queued once its first frame arrived.
    bool more = routing_id.more();
    while (more) {
      frames.emplace_back();
      (void)ingest_.recv(frames.back(), zmq::recv_flags::none);
      more = frames.back().more();
    }
    ++counters_.requests;
    const std::string rid = routing_id.to_string();
    // The sender is the User-Id the ZAP handler gave this connection, never a field it wrote.
    const char* user = frames.empty() ? nullptr : zmq_msg_gets(frames[0].handle(), "User-Id");
    actor_ = user == nullptr ? "unauthenticated" : user;
    if (frames.size() != 1) {
      ++counters_.requests_malformed;
      Reject(rid, 0, "", v1::REJECT_MALFORMED,
             "a request is exactly one frame; got " + std::to_string(frames.size()));
      continue;
    }
    if (user == nullptr) {
      ++counters_.requests_unauthenticated;
      continue;
    }
    if (RejectIfTooLarge(rid, user, frames[0])) continue;
    HandleRequest(rid, user, frames[0]);
  }
  // While the disk syncs the last transaction, the batch grows (up to max_batch) and goes in
  // when the sync is done (OnSynced): one transaction per sync, as large as the load makes it.
  if (!(deferred_sync_ && sync_in_flight_ && batch_.size() < max_batch)) CommitBatch();
  CommitCursors();
}

void Hub::HandleRequest(const std::string& routing_id, const std::string& node_id,
                        const zmq::message_t& payload) {
  // A Submit in the plain encoding is read in place (core/submit_frame.h): its envelope is
  // copied once, into the batch, instead of into an IngestRequest first. Anything else is
  // parsed in full.
  const auto submit =
      core::FindSubmit({static_cast<const char*>(payload.data()), payload.size()});
  v1::IngestRequest req;
  if (!submit && !req.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    ++counters_.requests_malformed;
    Reject(routing_id, 0, "", v1::REJECT_MALFORMED,
           "the request is not a renrakumo.v1.IngestRequest protobuf");
    return;
  }
  const uint64_t request_id = submit ? submit->request_id : req.request_id();
  // ZAP only runs at handshake: check the current topology on every message, the node and
  // the very key this connection authenticated with (a key removed on reload stops at once).
  const v1::Node* node = options_.topology->node(node_id);
  if (node == nullptr) {
    Reject(routing_id, request_id, "", v1::REJECT_UNKNOWN_NODE,
           "node '" + node_id + "' is no longer in the hub's topology");
    return;
  }
  const char* key = zmq_msg_gets(payload.handle(), "X-Key");
  const v1::Node* holder = key == nullptr ? nullptr : options_.topology->node_for_key(key);
  if (holder != node) {
    Reject(routing_id, request_id, "", v1::REJECT_UNKNOWN_NODE,
           "this connection's key is no longer in the hub's topology (revoked or rotated): "
           "reconnect with a current key");
    return;
  }
  last_seen_ms_[node_id] = NowMs();
  if (submit) {
    // The envelope's bytes go on into the batch: the journal stores what was received.
    HandleSubmit(routing_id, *node, request_id, std::string(submit->envelope));
    return;
  }
  v1::IngestReply reply;
  reply.set_request_id(req.request_id());
  switch (req.request_case()) {
    case v1::IngestRequest::kHello:
      *reply.mutable_welcome() = MakeWelcome(*node);
      Reply(routing_id, reply);
      return;
    case v1::IngestRequest::kPing:
      reply.mutable_pong()->set_sent_at_ms(req.ping().sent_at_ms());
      reply.mutable_pong()->set_hub_time_ms(NowMs());
      Reply(routing_id, reply);
      return;
    case v1::IngestRequest::kSubmit:
      // The envelope's bytes move on into the batch: the journal stores what was received.
      HandleSubmit(routing_id, *node, req.request_id(),
                   std::move(*req.mutable_submit()->mutable_envelope()));
      return;
    case v1::IngestRequest::kFetch:
      HandleFetch(routing_id, *node, req.request_id(), req.fetch());
      return;
    case v1::IngestRequest::kGetMessage:
      HandleGetMessage(routing_id, *node, req.request_id(), req.get_message());
      return;
    case v1::IngestRequest::kStreamAck:
      HandleStreamAck(routing_id, *node, req.request_id(), req.stream_ack());
      return;
    case v1::IngestRequest::kStatusQuery:
      HandleStatusQuery(routing_id, *node, req.request_id(), req.status_query());
      return;
    case v1::IngestRequest::kNodesQuery:
      HandleNodesQuery(routing_id, *node, req.request_id());
      return;
    case v1::IngestRequest::kIncidentsQuery:
      HandleIncidentsQuery(routing_id, *node, req.request_id(), req.incidents_query());
      return;
    default:
      Reject(routing_id, req.request_id(), "", v1::REJECT_UNSUPPORTED,
             "this hub does not implement that request");
  }
}

v1::Welcome Hub::MakeWelcome(const v1::Node& node) const {
  v1::Welcome w;
  w.set_node_id(node.id());
  w.set_kind(std::string(core::KindName(node.kind())));
  w.set_sector(node.sector());
  w.set_hub_time_ms(NowMs());
  w.set_network_name(options_.config.network_name());
  for (const auto& s : core::ReadableStreams(*options_.topology, node)) {
    auto* head = w.add_streams();
    head->set_stream(s);
    head->set_last_seq(journal_->LastSeq(s));
  }
  return w;
}

// Advisories and relays must carry their sender's Ed25519 signature, made with a signing key
// the topology lists for the authenticated sender; any other body may carry one, and then it
// must hold too. (A relay's original was checked when it was submitted, and the route checks
// the relayed bytes are exactly those.)
std::optional<core::Rejection> Hub::CheckSignature(const v1::Node& node, const v1::Envelope& env,
                                                   const std::string& envelope_bytes) const {
  if (!env.has_advisory() && !env.has_relay() && !env.has_signature()) return std::nullopt;
  const std::vector<std::string> keys(node.signing_keys().begin(), node.signing_keys().end());
  const auto v = config::VerifyEnvelope(envelope_bytes, keys, node.id());
  std::string reason;
  switch (v.verdict) {
    case config::Verdict::kValid: return std::nullopt;
    case config::Verdict::kUnsigned:
      reason = "every " + std::string(core::BodyKind(env)) + " must be signed, and this one is not: set "
               "signing_key_file in the node config (a key is made by: renrakumo keygen --signing)";
      break;
    case config::Verdict::kUnknownKey:
      reason = v.reason + (keys.empty() ? ": the hub operator must list its signing key in the "
                                          "topology (signing_keys)"
                                        : " in the hub's topology: sign with a listed key");
      break;
    case config::Verdict::kInvalid: reason = v.reason; break;
  }
  return core::Rejection{v1::REJECT_SIGNATURE, reason};
}

void Hub::HandleSubmit(const std::string& routing_id, const v1::Node& node, uint64_t request_id,
                       std::string envelope_bytes) {
  // Nothing in the arena is referred to once the last batch went in.
  if (batch_envelopes_.empty()) envelope_arena_.Reset();
  v1::Envelope& env = *google::protobuf::Arena::CreateMessage<v1::Envelope>(&envelope_arena_);
  if (!env.ParseFromString(envelope_bytes)) {
    Reject(routing_id, request_id, "", v1::REJECT_MALFORMED,
           "the submitted envelope is not a renrakumo.v1.Envelope protobuf");
    return;
  }
  if (auto bad = core::CheckEnvelope(env)) {
    Reject(routing_id, request_id, env.message_id(), bad->code, bad->reason);
    return;
  }
  if (auto bad = core::CheckTimes(env, NowMs())) {
    Reject(routing_id, request_id, env.message_id(), bad->code, bad->reason);
    return;
  }
  // Idempotency: a retry gets the original answer and delivers nothing twice.
  const std::string key = BatchKey(node.id(), env.message_id());
  if (auto it = batch_index_.find(key); it != batch_index_.end()) {
    if (!SameMessage(batch_[it->second].envelope, envelope_bytes)) {
      Reject(routing_id, request_id, env.message_id(), v1::REJECT_DUPLICATE_CONFLICT,
             "message id '" + env.message_id() + "' was already used for a different message");
      return;
    }
    pending_.push_back({routing_id, request_id, it->second, true});
    return;
  }
  // The journal keeps every stored key in memory: a new message (the usual case) costs a
  // hash lookup here, and only a retry reads the stored copy.
  if (auto prior = journal_->Find(node.id(), env.message_id())) {
    if (!SameMessage(prior->envelope, envelope_bytes)) {
      Reject(routing_id, request_id, env.message_id(), v1::REJECT_DUPLICATE_CONFLICT,
             "message id '" + env.message_id() + "' was already used for a different message");
      return;
    }
    ++counters_.submits_duplicate;
    v1::IngestReply reply;
    reply.set_request_id(request_id);
    *reply.mutable_accepted() =
        MakeAccepted(env.message_id(), prior->accepted_at_ms, prior->deliveries, true);
    for (const auto& w : prior->warnings) reply.mutable_accepted()->add_warnings(w);
    Reply(routing_id, reply);
    return;
  }
  // A relay or an acknowledgement refers to a message: the core judges it against the
  // journal's copy.
  std::optional<core::MessageRef> refers_to;
  if (env.has_relay())
    refers_to = core::MessageRef{env.relay().original_sender(), env.relay().original_message_id()};
  if (env.has_acknowledgement())
    refers_to = core::MessageRef{env.acknowledgement().message_sender(),
                                 env.acknowledgement().message_id()};
  std::optional<core::StoredMessage> referenced;
  if (refers_to) referenced = journal_->Find(refers_to->sender, refers_to->message_id);
  std::vector<core::StoredMessage> relays;
  if (referenced && env.has_acknowledgement())
    if (auto refs = journal_->RelaysOf(*refers_to))
      for (const auto& r : *refs)
        if (auto m = journal_->Find(r.sender, r.message_id)) relays.push_back(std::move(*m));
  core::Decision decision = core::Route(
      *options_.topology, {node, env, referenced ? &*referenced : nullptr, &relays});
  std::vector<std::string> warnings;
  std::optional<core::Rejection> refusal;
  if (!decision.accepted) refusal = decision.rejection;
  else if (auto unsigned_or_forged = CheckSignature(node, env, envelope_bytes))
    refusal = unsigned_or_forged;  // after the route: "operators may not advise" comes first
  else if (auto bad = core::CheckHandling(*options_.topology, node, env, decision,
                                          env.has_relay() && referenced ? &*referenced : nullptr))
    refusal = bad;  // TLP 2.0: may this marking reach these streams?
  else refusal = CheckWorkflow(node, env, warnings);  // the matrix, notes 1 and 2
  if (refusal) {
    spdlog::get("hub.route")->info("rejected {} '{}' from {}: {}", core::BodyKind(env),
                                   env.message_id(), node.id(), refusal->reason);
    Reject(routing_id, request_id, env.message_id(), refusal->code, refusal->reason);
    return;
  }
  batch_index_.emplace(key, batch_.size());
  pending_.push_back({routing_id, request_id, batch_.size(), false});
  core::Commit commit{node.id(), env.message_id(), NowMs(), decision.kind,
                     std::move(envelope_bytes), std::move(decision.deliveries), std::nullopt,
                     std::nullopt, {}};
  for (auto& d : commit.deliveries)  // the ministry sees what the reporter is told
    for (const auto& w : warnings) d.note += (d.note.empty() ? "" : "; ") + w;
  commit.warnings = std::move(warnings);  // every answer to it says them, retries' too
  if (env.has_relay()) commit.relay_of = refers_to;
  if (env.has_acknowledgement())
    commit.ack = core::Acknowledgement{*refers_to, node.id(), env.acknowledgement().state(),
                                       commit.accepted_at_ms, env.acknowledgement().comment()};
  batch_.push_back(std::move(commit));
  batch_envelopes_.push_back(&env);
}

void Hub::HandleStreamAck(const std::string& routing_id, const v1::Node& node,
                          uint64_t request_id, const v1::StreamAck& ack) {
  if (!core::MayRead(*options_.topology, node, ack.stream())) {
    Reject(routing_id, request_id, "", v1::REJECT_NOT_ENTITLED,
           "node " + node.id() + " may not read stream '" + ack.stream() + "'");
    return;
  }
  if (ack.seq() > journal_->LastSeq(ack.stream())) {
    Reject(routing_id, request_id, "", v1::REJECT_BAD_SEQUENCE,
           "stream " + ack.stream() + " ends at sequence " +
               std::to_string(journal_->LastSeq(ack.stream())) + "; cannot have processed " +
               std::to_string(ack.seq()));
    return;
  }
  cursors_.push_back({node.id(), ack.stream(), ack.seq()});
  cursor_replies_.push_back({routing_id, request_id, 0, false});
}

// Stream acks of one drain are stored in one transaction, like the messages.
void Hub::CommitCursors() {
  if (cursors_.empty()) return;
  auto stored = journal_->SetCursors(cursors_);
  for (const auto& p : cursor_replies_) {
    if (!stored) {
      Reject(p.routing_id, p.request_id, "", v1::REJECT_STORE_FAILURE,
             "the hub could not store the stream cursor: " + stored.error());
      continue;
    }
    v1::IngestReply reply;
    reply.set_request_id(p.request_id);
    reply.mutable_done();
    Reply(p.routing_id, reply);
  }
  cursors_.clear();
  cursor_replies_.clear();
}

void Hub::CommitBatch() {
  if (batch_.empty() && audit_.empty()) return;
  auto log = spdlog::get("hub.route");
  if (!batch_.empty()) audit_.push_back(AcceptedEntry(batch_));
  auto positions = journal_->Append(batch_, audit_);
  audit_.clear();  // on failure too: the rejections below are audited in the next batch
  if (!positions) {
    ++counters_.journal_failures;
    log->error("journal write failed for {} messages: {}", batch_.size(), positions.error());
    for (const auto& p : pending_)
      Reject(p.routing_id, p.request_id, batch_[p.commit].message_id, v1::REJECT_STORE_FAILURE,
             "the hub could not store the message durably; it was not accepted: retry");
  } else {
    ++counters_.journal_batches;
    // Durable now: answer, then publish. Nothing went out before this point.
    for (const auto& p : pending_) {
      const core::Commit& c = batch_[p.commit];
      v1::IngestReply reply;
      reply.set_request_id(p.request_id);
      *reply.mutable_accepted() =
          MakeAccepted(c.message_id, c.accepted_at_ms, (*positions)[p.commit], p.duplicate);
      for (const auto& w : c.warnings) reply.mutable_accepted()->add_warnings(w);
      Reply(p.routing_id, reply);
      if (p.duplicate) ++counters_.submits_duplicate;
    }
    for (size_t i = 0; i < batch_.size(); ++i) {
      ++counters_.submits_accepted;
      const core::Commit& c = batch_[i];
      // Government messages are rare and worth a line at info; reports, acknowledgements and
      // sharing come in storms (every one is in the audit trail): debug, formatted only then.
      const bool rare = c.kind == "advisory" || c.kind == "relay" || c.kind == "assessment" ||
                        c.kind == "notice";
      const auto level = rare ? spdlog::level::info : spdlog::level::debug;
      if (log->should_log(level))
        log->log(level, "accepted {} '{}' from {} → {}", c.kind, c.message_id, c.sender, [&] {
          std::string s;
          for (const auto& p : (*positions)[i]) s += p.stream + "#" + std::to_string(p.seq) + " ";
          return s;
        }());
      Publish(c, (*positions)[i]);
      if (const v1::Node* sender = options_.topology->node(c.sender))
        ApplyWorkflow(*sender, *batch_envelopes_[i], c.accepted_at_ms);
    }
  }
  batch_.clear();
  batch_envelopes_.clear();
  pending_.clear();
  batch_index_.clear();
}

void Hub::Reply(const std::string& routing_id, const v1::IngestReply& reply) {
  zmq::message_t body(reply.ByteSizeLong());
  reply.SerializeWithCachedSizesToArray(static_cast<uint8_t*>(body.data()));
  Send(false, routing_id, std::move(body));
}

void Hub::Reject(const std::string& routing_id, uint64_t request_id,
                 const std::string& message_id, v1::RejectCode code, const std::string& reason) {
  ++counters_.rejections;
  audit_.push_back({NowMs(), actor_, "rejected", message_id,
                    std::string(core::RejectCodeName(code)) + ": " + reason});
  if (const int c = static_cast<int>(code); c >= 0 && c < Counters::kRejectCodes)
    ++counters_.rejections_by_code[c];
  v1::IngestReply reply;
  reply.set_request_id(request_id);
  auto* r = reply.mutable_rejected();
  r->set_message_id(message_id);
  r->set_code(code);
  r->set_reason(reason);
  Reply(routing_id, reply);
}

}  // namespace renrakumo::net
