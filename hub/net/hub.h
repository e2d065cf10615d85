// The hub: one thread polls the ZAP, ingest and fanout sockets; decisions come from the pure
// core; accepted messages are written to the journal in one transaction per drained batch
// (natural group commit) and only acknowledged and published once that transaction is on
// disk. The disk sync runs on the journal's own thread: while it runs the loop decides the
// next batch, which is committed when the sync is done (group commit that hides the disk).
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>
#include <google/protobuf/arena.h>
#include <zmq.hpp>

#include "core/journal.h"
#include "core/result.h"
#include "core/topology.h"
#include "core/workflow.h"
#include "net/metrics.h"
#include "net/zap.h"
#include "renrakumo/v1/config.pb.h"
#include "renrakumo/v1/wire.pb.h"

namespace renrakumo::net {

class Hub {
 public:
  struct Options {
    v1::HubConfig config;           // defaults applied, paths resolved
    core::TopologyPtr topology;     // validated
    std::string secret_key_z85;     // the hub's CURVE secret key
    // Called on the loop thread after RequestReload(); keeps the old topology on error.
    std::function<Result<core::TopologyPtr>()> reload_topology;
    // Validated (config::LoadRules): the seed's workflow as data. Empty (no matrix) only in
    // tests and benchmarks of routing alone: then reports are not classified.
    v1::Rules rules;
    // Called with the reloaded topology after reload_topology succeeded: the rules file read
    // again and checked against it. Unset: the rules stay as they are. On error the hub keeps
    // both the old topology and the old rules.
    std::function<Result<v1::Rules>(const core::Topology&)> reload_rules;
  };

  static Result<std::unique_ptr<Hub>> Create(Options options, core::JournalPtr journal);
  ~Hub();
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  // Runs the event loop until `stop` becomes true (checked at least every 100 ms). When
  // `reload` becomes true (e.g. set by a SIGHUP handler) the loop clears it and reloads the
  // topology. Both flags may be set from any thread or a signal handler. On stop, whatever
  // was committed is made durable and answered first. Returns an Error only when the journal
  // could not be made durable (a failed disk sync): the hub must not go on answering then.
  Status Run(const std::atomic<bool>& stop, std::atomic<bool>* reload = nullptr);

  // Endpoints as bound, with any "*" port resolved: what nodes connect to.
  const std::string& ingest_endpoint() const { return ingest_endpoint_; }
  const std::string& fanout_endpoint() const { return fanout_endpoint_; }
  const Counters& counters() const { return counters_; }

 private:
  static google::protobuf::ArenaOptions EnvelopeArenaOptions();
  // A reply waiting for its batch to commit.
  struct PendingAccept {
    std::string routing_id;
    uint64_t request_id = 0;
    size_t commit = 0;       // index into batch_
    bool duplicate = false;  // a retry that arrived while the original was in this batch
  };
  Hub(Options options, core::JournalPtr journal);
  Status Bind();
  Status PollOnce();
  void Reload();
  // hub.cpp: revocation on reload. libzmq has no per-peer disconnect on XPUB, so when a
  // reload takes a key (or a stream) away from a node, the fanout is unbound and bound again:
  // every node reconnects through ZAP against the new topology and catches up by sequence.
  void RevokeOnReload(const core::Topology& before, const core::Topology& after);
  Status BindFanout();
  void RebindFanout();
  // hub.cpp: a request frame above limits.max_message_bytes (but under the socket's hard cap)
  // is answered REJECT_TOO_LARGE without being parsed. True when it was.
  bool RejectIfTooLarge(const std::string& routing_id, const std::string& node_id,
                        const zmq::message_t& frame);
  void DrainIngestMonitor();

  // ingest.cpp
  void DrainIngest();
  void HandleRequest(const std::string& routing_id, const std::string& node_id,
                     const zmq::message_t& payload);
  void HandleSubmit(const std::string& routing_id, const v1::Node& node, uint64_t request_id,
                    std::string envelope_bytes);
  std::optional<core::Rejection> CheckSignature(const v1::Node& node, const v1::Envelope& env,
                                                const std::string& envelope_bytes) const;
  void HandleFetch(const std::string& routing_id, const v1::Node& node, uint64_t request_id,
                   const v1::Fetch& fetch);
  void HandleGetMessage(const std::string& routing_id, const v1::Node& node,
                        uint64_t request_id, const v1::GetMessage& get);
  void CommitBatch();
  void CommitCursors();
  void HandleStreamAck(const std::string& routing_id, const v1::Node& node, uint64_t request_id,
                       const v1::StreamAck& ack);
  // queries.cpp
  void HandleStatusQuery(const std::string& routing_id, const v1::Node& node,
                         uint64_t request_id, const v1::StatusQuery& query);
  void HandleNodesQuery(const std::string& routing_id, const v1::Node& node, uint64_t request_id);
  // retention.cpp
  void MaybePrune(int64_t now_ms);
  // workflow.cpp: the seed's incident workflow (core/workflow.h) on the loop thread.
  Status RebuildWorkflow();
  // Stores workflow_ in the journal (before a prune deletes messages it was built from).
  Status SaveWorkflowSnapshot();
  std::optional<core::Rejection> CheckWorkflow(const v1::Node& node, const v1::Envelope& env,
                                               std::vector<std::string>& warnings) const;
  void ApplyWorkflow(const v1::Node& node, const v1::Envelope& env, int64_t at_ms);
  // deadlines.cpp: what the rules require when a deadline passes, done once and journalled.
  void ActOnDeadlines(int64_t now_ms);
  std::vector<core::Commit> CommitsFor(const core::Action& action, int64_t now_ms);
  void HandleIncidentsQuery(const std::string& routing_id, const v1::Node& node,
                            uint64_t request_id, const v1::IncidentsQuery& query);
  void Reply(const std::string& routing_id, const v1::IngestReply& reply);
  // hub.cpp: the durability gate. With deferred syncs (core::Journal::DeferSyncs) the journal
  // commits at once and syncs on its own thread; every answer and delivery made after a
  // commit waits in held_ until a sync covers it, and goes out in the order it was made.
  void Send(bool publish, const std::string& address, zmq::message_t body);
  void SendNow(bool publish, const std::string& address, zmq::message_t& body);
  bool MustHold() const;
  Status OnSynced();      // the journal's sync_fd became readable
  void MaybeStartSync();  // a sync for everything committed, unless one is running
  void ReleaseDurable();
  Status FinishDurably();  // on stop: commit, sync and answer what is left
  void Reject(const std::string& routing_id, uint64_t request_id, const std::string& message_id,
              v1::RejectCode code, const std::string& reason);
  v1::Welcome MakeWelcome(const v1::Node& node) const;

  // fanout
  void DrainSubscriptions();
  void Publish(const core::Commit& commit, const std::vector<core::Position>& positions);

  Options options_;
  core::JournalPtr journal_;
  zmq::context_t ctx_;
  std::unique_ptr<ZapHandler> zap_;  // bound before any CURVE socket exists
  zmq::socket_t ingest_;
  zmq::socket_t fanout_;
  bool fanout_bound_ = false;      // false between an unbind and a successful rebind
  zmq::socket_t ingest_monitor_;   // connection drops on ingest (a frame above the hard cap)
  std::string ingest_endpoint_;
  std::string fanout_endpoint_;
  Counters counters_;

  std::vector<core::Commit> batch_;
  // batch_[i] parsed once, for the workflow, on an arena that is emptied when a submit finds
  // no batch open: a storm's envelopes are bump-allocated and never freed one by one.
  google::protobuf::Arena envelope_arena_{EnvelopeArenaOptions()};
  std::vector<v1::Envelope*> batch_envelopes_;
  std::vector<PendingAccept> pending_;
  std::unordered_map<std::string, size_t> batch_index_;  // sender + '\n' + message id → commit
  std::unordered_map<std::string, int64_t> last_seen_ms_;  // node id → last request time
  std::vector<core::Cursor> cursors_;                      // stream acks of this drain
  std::vector<PendingAccept> cursor_replies_;              // answered once cursors are stored
  int64_t next_prune_ms_ = 0;
  core::WorkflowState workflow_;  // incidents and advisories with their deadlines
  // What waits for the disk (see Send): generation = journal written() when it was made.
  struct Held {
    uint64_t generation = 0;
    bool publish = false;
    std::string address;  // the node's routing id, or the delivery's stream (topic)
    zmq::message_t body;
  };
  std::deque<Held> held_;
  bool deferred_sync_ = false;   // journal_->DeferSyncs() succeeded
  bool sync_in_flight_ = false;  // a StartSync() has not reported back yet
  // Decisions waiting to join the next journal transaction's audit chain.
  std::vector<core::AuditEntry> audit_;
  std::string actor_;  // the node whose request is being decided (for the audit trail)
};

}  // namespace renrakumo::net
