// Read-only requests: replay (Fetch), one message (GetMessage), who got a message and how far
// they are (StatusQuery), and who was seen when (NodesQuery). Each checks entitlement first.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

#include "core/recipients.h"
#include "core/streams.h"
#include "net/hub.h"

namespace renrakumo::net {
namespace {

void Fill(v1::Delivery* d, core::StoredDelivery&& r) {
  d->set_stream(r.stream);
  d->set_seq(r.seq);
  d->set_sender(r.sender);
  d->set_accepted_at_ms(r.accepted_at_ms);
  d->set_kind(r.kind);
  d->set_note(r.note);
  d->set_envelope(std::move(r.envelope));
}

}  // namespace

void Hub::HandleFetch(const std::string& routing_id, const v1::Node& node, uint64_t request_id,
                      const v1::Fetch& fetch) {
  if (!core::MayRead(*options_.topology, node, fetch.stream())) {
    Reject(routing_id, request_id, "", v1::REJECT_NOT_ENTITLED,
           "node " + node.id() + " may not read stream '" + fetch.stream() + "'");
    return;
  }
  const uint64_t last = journal_->LastSeq(fetch.stream());
  if (fetch.after_seq() > last) {
    Reject(routing_id, request_id, "", v1::REJECT_BAD_SEQUENCE,
           "stream " + fetch.stream() + " ends at sequence " + std::to_string(last) +
               "; you asked for deliveries after " + std::to_string(fetch.after_seq()) +
               " (was the journal restored from an older backup? reset your cursor)");
    return;
  }
  const uint32_t limit = options_.config.limits().max_fetch();
  const uint32_t count = fetch.max_count() == 0 ? limit : std::min(fetch.max_count(), limit);
  auto rows = journal_->Read(fetch.stream(), fetch.after_seq(), count);
  if (!rows) {
    Reject(routing_id, request_id, "", v1::REJECT_STORE_FAILURE,
           "the hub could not read the journal: " + rows.error());
    return;
  }
  ++counters_.fetches;
  v1::IngestReply reply;
  reply.set_request_id(request_id);
  auto* batch = reply.mutable_batch();
  batch->set_stream(fetch.stream());
  batch->set_last_seq(last);
  batch->set_first_seq(journal_->FirstSeq(fetch.stream()));
  for (auto& r : *rows) Fill(batch->add_deliveries(), std::move(r));
  Reply(routing_id, reply);
}

void Hub::HandleGetMessage(const std::string& routing_id, const v1::Node& node,
                           uint64_t request_id, const v1::GetMessage& get) {
  auto stored = journal_->Find(get.sender(), get.message_id());
  const core::Position* readable = nullptr;
  if (stored)
    for (const auto& p : stored->deliveries)
      if (core::MayRead(*options_.topology, node, p.stream)) readable = &p;
  if (readable == nullptr) {
    Reject(routing_id, request_id, get.message_id(), v1::REJECT_NOT_ENTITLED,
           "no message '" + get.message_id() + "' from '" + get.sender() +
               "' was delivered to " + node.id());
    return;
  }
  auto rows = journal_->Read(readable->stream, readable->seq - 1, 1);
  v1::IngestReply reply;
  reply.set_request_id(request_id);
  auto* batch = reply.mutable_batch();
  batch->set_stream(readable->stream);
  batch->set_last_seq(journal_->LastSeq(readable->stream));
  if (rows && !rows->empty()) Fill(batch->add_deliveries(), std::move(rows->front()));
  Reply(routing_id, reply);
}

void Hub::HandleStatusQuery(const std::string& routing_id, const v1::Node& node,
                            uint64_t request_id, const v1::StatusQuery& query) {
  const core::MessageRef ref{query.sender(), query.message_id()};
  auto relay_refs = journal_->RelaysOf(ref);
  bool relayed_by_asker = false;
  if (relay_refs)
    for (const auto& r : *relay_refs) relayed_by_asker = relayed_by_asker || r.sender == node.id();
  // The sender, an association that relayed it, and the Cabinet Secretariat may ask; anyone
  // else gets the same answer whether or not the message exists.
  if (node.id() != query.sender() && !relayed_by_asker && node.kind() != v1::NODE_KIND_CABINET) {
    Reject(routing_id, request_id, query.message_id(), v1::REJECT_NOT_ENTITLED,
           "only the sender of '" + query.message_id() + "', an association that relayed it, or "
           "the Cabinet Secretariat may ask who received it");
    return;
  }
  auto message = journal_->Find(ref.sender, ref.message_id);
  if (!message || !relay_refs) {
    Reject(routing_id, request_id, query.message_id(), v1::REJECT_UNKNOWN_RECIPIENT,
           "no message '" + query.message_id() + "' from '" + query.sender() + "' is in the journal");
    return;
  }
  std::vector<core::StoredMessage> relays;
  for (const auto& r : *relay_refs)
    if (auto m = journal_->Find(r.sender, r.message_id)) relays.push_back(std::move(*m));
  auto acks = journal_->AcknowledgementsOf(ref);
  std::map<std::string, core::Acknowledgement> ack_by_node;
  if (acks)
    for (auto& a : *acks) ack_by_node.emplace(a.node, std::move(a));
  std::map<std::string, std::map<std::string, uint64_t>> cursor_by_stream;  // stream → node → seq
  v1::IngestReply reply;
  reply.set_request_id(request_id);
  auto* status = reply.mutable_delivery_status();
  status->set_sender(message->sender);
  status->set_message_id(message->message_id);
  status->set_kind(message->kind);
  status->set_accepted_at_ms(message->accepted_at_ms);
  for (const auto& r : core::IntendedRecipients(*options_.topology, *message, relays)) {
    auto [it, fresh] = cursor_by_stream.try_emplace(r.position.stream);
    if (fresh)
      if (auto cursors = journal_->CursorsOn(r.position.stream))
        for (const auto& c : *cursors) it->second[c.node] = c.seq;
    auto* rs = status->add_recipients();
    rs->set_node(r.node);
    rs->set_via(r.via);
    rs->set_delivered(true);
    rs->set_processed(it->second.count(r.node) && it->second[r.node] >= r.position.seq);
    if (auto a = ack_by_node.find(r.node); a != ack_by_node.end()) {
      rs->set_ack(static_cast<v1::AckState>(a->second.state));
      rs->set_ack_at_ms(a->second.at_ms);
      rs->set_comment(a->second.comment);
    }
  }
  Reply(routing_id, reply);
}

void Hub::HandleNodesQuery(const std::string& routing_id, const v1::Node& node,
                           uint64_t request_id) {
  if (node.kind() != v1::NODE_KIND_MINISTRY && node.kind() != v1::NODE_KIND_CABINET) {
    Reject(routing_id, request_id, "", v1::REJECT_NOT_PERMITTED,
           "only ministries and the Cabinet Secretariat may list the network's nodes");
    return;
  }
  v1::IngestReply reply;
  reply.set_request_id(request_id);
  for (const auto& n : options_.topology->config().nodes()) {
    auto* seen = reply.mutable_node_list()->add_nodes();
    seen->set_node(n.id());
    seen->set_kind(std::string(core::KindName(n.kind())));
    seen->set_sector(n.sector());
    if (auto it = last_seen_ms_.find(n.id()); it != last_seen_ms_.end())
      seen->set_last_seen_ms(it->second);
  }
  Reply(routing_id, reply);
}

}  // namespace renrakumo::net
