// librenrakumo-client: what a node's software links to. Connect with the node's CURVE keys to
// the first hub route that answers, submit messages and wait until the hub has made them
// durable, and receive deliveries in order with gaps filled from the hub's journal.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/result.h"
#include "config/signing.h"
#include "lib/cursors.h"
#include "lib/provenance.h"
#include "renrakumo/v1/config.pb.h"
#include "renrakumo/v1/messages.pb.h"
#include "renrakumo/v1/wire.pb.h"

namespace zmq {
class context_t;
}

namespace renrakumo::client {

class Connection;
struct Keys;

// The hub's answer to a submission: accepted (durable) or rejected (with code and reason).
struct SubmitOutcome {
  bool accepted = false;
  v1::Accepted accepted_reply;
  v1::Rejected rejected_reply;
};

class Client {
 public:
  // Reads the key files named by `config`, tries each hub route in order, and says hello.
  static Result<std::unique_ptr<Client>> Connect(const v1::NodeConfig& config);
  ~Client();

  const v1::Welcome& welcome() const { return welcome_; }
  const std::string& node_id() const { return welcome_.node_id(); }
  const std::string& route() const;

  // Submits `envelope` and waits for the hub's answer, resending with the same message id
  // until answered or submit_deadline_ms passes. Fills message_id and created_at if unset.
  // Advisories and relays are signed with the node's signing_key_file, when it has one.
  Result<SubmitOutcome> Submit(v1::Envelope& envelope);

  // The next delivery, in sequence order per stream and never twice, or nullopt when none
  // arrived within `timeout`. Gaps (missed live messages) are fetched from the hub.
  Result<std::optional<v1::Delivery>> Next(std::chrono::milliseconds timeout);

  // Deliveries of `stream` after `after_seq`, at most `max` (the hub may send fewer).
  Result<v1::Batch> Fetch(const std::string& stream, uint64_t after_seq, uint32_t max);

  // A message that was delivered to this node, by its sender and message id.
  Result<v1::Delivery> GetMessage(const std::string& sender, const std::string& message_id);

  // Records an acknowledgement (received, read, acted on) of a message delivered to this node.
  Result<SubmitOutcome> Acknowledge(const std::string& sender, const std::string& message_id,
                                    v1::AckState state, const std::string& comment = "");

  // Who signed a delivery and whether the signatures hold, against the node's signers_file.
  Provenance Check(const v1::Delivery& delivery) const;
  bool checks_signatures() const { return signers_ != nullptr; }

  // Who was meant to get a message this node sent (or relayed), and how far each got.
  Result<v1::DeliveryStatus> Status(const std::string& sender, const std::string& message_id);
  // Every node with its last-seen time (ministries and the Cabinet Secretariat only).
  Result<v1::NodeList> Nodes();
  // Incidents this node may see, or one incident with its history (query.incident_id set).
  Result<v1::IncidentList> Incidents(const v1::IncidentsQuery& query);

  Cursors& cursors() { return cursors_; }
  // Marks everything returned by Next() so far as processed: persists the cursors to
  // <state_dir>/<node id>.cursors and tells the hub ("processed up to N" per stream).
  ::renrakumo::Status CommitCursors();
  std::string cursor_file() const;

  // Tries every hub route again (after the connection failed); cursors are kept.
  ::renrakumo::Status Reconnect();

  // Messages submitted but not yet answered, persisted so they survive this node's restart.
  // Connect() does not resubmit them by itself: call ResubmitOutbox().
  std::vector<std::string> OutboxMessageIds() const;
  // Resubmits every outbox message (same message id, so the hub answers a retry with the
  // original acceptance). Returns the outcomes in outbox order.
  Result<std::vector<SubmitOutcome>> ResubmitOutbox();

  // Called with a sentence whenever the client retries, reconnects or skips pruned history.
  void set_notice_handler(std::function<void(const std::string&)> handler) {
    notice_ = std::move(handler);
  }

 private:
  Client(const v1::NodeConfig& config);
  Result<v1::IngestReply> Request(v1::IngestRequest req);
  ::renrakumo::Status Sync();
  ::renrakumo::Status ConnectAnyRoute();
  Result<SubmitOutcome> SubmitBytes(const std::string& envelope_bytes);
  std::string OutboxDir() const;
  void Notice(const std::string& text) const {
    if (notice_) notice_(text);
  }

  v1::NodeConfig config_;
  std::unique_ptr<zmq::context_t> ctx_;
  std::unique_ptr<Connection> conn_;
  v1::Welcome welcome_;
  Cursors cursors_;
  std::deque<v1::Delivery> replay_;  // fetched deliveries waiting to be handed out
  bool need_sync_ = true;
  std::map<std::string, uint64_t> acked_;  // what the hub was last told we processed
  std::function<void(const std::string&)> notice_;
  std::unique_ptr<Keys> keys_;
  std::unique_ptr<config::Signer> signer_;       // signs advisories and relays
  std::unique_ptr<SignerDirectory> signers_;     // whose signatures this node trusts
};

// A fresh random message id ("m-" and 32 hex digits).
std::string NewMessageId();

}  // namespace renrakumo::client
