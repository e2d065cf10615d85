// The journal interface: where the hub makes accepted messages durable and numbers their
// deliveries per stream. The core defines it; hub/store/ implements it (SQLite WAL).
// Nothing is acknowledged or published before Append() returned successfully.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"

namespace renrakumo::core {

// A delivery decided by routing, before it has a sequence number.
struct PlannedDelivery {
  std::string stream;  // "node.<id>.", "sector.<id>.", "all."
  std::string note;    // the hub's remark for the recipient (may be empty)
};

// A message named by its sender and the sender's message id.
struct MessageRef {
  std::string sender;
  std::string message_id;
};

// A recipient's human-level answer to a message (an advisory): received, read, acted on.
// `state` is the v1::AckState number; a later, higher state supersedes a lower one.
struct Acknowledgement {
  MessageRef message;   // what is acknowledged
  std::string node;     // who acknowledges (the authenticated sender of the ack)
  int state = 0;
  int64_t at_ms = 0;
  std::string comment;
};

// "node has processed stream up to seq": used for replay hints and retention.
struct Cursor {
  std::string node;
  std::string stream;
  uint64_t seq = 0;
};

// One decision for the tamper-evident audit trail: who, what, about what, and why.
struct AuditEntry {
  int64_t at_ms = 0;
  std::string actor;    // node id (or "hub")
  std::string action;   // accepted, rejected, deadline, reload, ...
  std::string subject;  // message id, incident or advisory key, ...
  std::string detail;   // the sentence: where it went, or why it was refused
};

// One accepted message and its deliveries, written together in one transaction.
struct Commit {
  std::string sender;       // authenticated node id
  std::string message_id;   // sender's idempotency key
  int64_t accepted_at_ms = 0;
  std::string kind;         // report, assessment, advisory, relay, share, acknowledgement
  std::string envelope;     // the Envelope bytes exactly as received
  std::vector<PlannedDelivery> deliveries;
  std::optional<MessageRef> relay_of;        // a relay: the message it passes on
  std::optional<Acknowledgement> ack;        // an acknowledgement: recorded with the message
  // What the hub told the sender with its answer (the workflow's notes 1 and 2): kept, so that
  // a retry gets the same answer, warnings included.
  std::vector<std::string> warnings;
};

struct Position {
  std::string stream;
  uint64_t seq = 0;
};

// A message already in the journal, with where it was delivered.
struct StoredMessage {
  std::string sender;
  std::string message_id;
  int64_t accepted_at_ms = 0;
  std::string kind;
  std::string envelope;
  std::vector<Position> deliveries;
  std::vector<std::string> warnings;  // Commit::warnings (empty for journals before schema v6)
};

// One delivery as read back for replay.
struct StoredDelivery {
  std::string stream;
  uint64_t seq = 0;
  std::string sender;
  int64_t accepted_at_ms = 0;
  std::string kind;
  std::string envelope;
  std::string note;
};

struct WorkflowSnapshot {
  int64_t upto = 0;   // the position of the last message the state includes
  std::string state;  // serialized by the hub (v1::WorkflowSnapshot)
};

class Journal {
 public:
  virtual ~Journal() = default;

  // Writes every commit of the batch in one durable transaction and assigns each planned
  // delivery the next sequence number of its stream. Returns, per commit, the positions in
  // the order of its planned deliveries. On failure nothing of the batch is stored.
  // The audit entries are chained (each hashes the one before) in the same transaction.
  virtual Result<std::vector<std::vector<Position>>> Append(
      std::span<const Commit> batch, std::span<const AuditEntry> audit = {}) = 0;

  // The message a sender submitted under message_id, if it was accepted before.
  virtual std::optional<StoredMessage> Find(const std::string& sender,
                                            const std::string& message_id) = 0;

  // Deliveries of stream with seq > after_seq, in order, at most max_count.
  virtual Result<std::vector<StoredDelivery>> Read(const std::string& stream, uint64_t after_seq,
                                                   uint32_t max_count) = 0;

  // Highest sequence number of stream (0 when the stream is empty).
  virtual uint64_t LastSeq(const std::string& stream) const = 0;

  // Lowest sequence still stored (LastSeq()+1 when empty); above 1 once retention pruned.
  virtual uint64_t FirstSeq(const std::string& stream) const = 0;

  // Records stream cursors in one transaction; a cursor never moves backwards.
  virtual Status SetCursors(std::span<const Cursor> cursors) = 0;
  // Every stored cursor on `stream`, one per node.
  virtual Result<std::vector<Cursor>> CursorsOn(const std::string& stream) = 0;

  // The latest (highest-state) acknowledgement of `message` from each node.
  virtual Result<std::vector<Acknowledgement>> AcknowledgementsOf(const MessageRef& message) = 0;
  // Relays accepted for `message` (committed with relay_of set).
  virtual Result<std::vector<MessageRef>> RelaysOf(const MessageRef& message) = 0;

  // Every stored message accepted after position `after` (0: all), in the order it was
  // accepted (deliveries not filled in): how the hub rebuilds its workflow state at start-up.
  virtual Status ScanMessages(const std::function<void(const StoredMessage&)>& visit,
                              int64_t after) = 0;

  // Stores the workflow's state (serialized by the hub) as of every message stored so far,
  // replacing the one before. The hub saves one before each prune: whatever retention then
  // deletes is already reflected in it.
  virtual Status SaveWorkflowSnapshot(const std::string& state) = 0;
  // The last saved snapshot and the position it covers (ScanMessages(visit, upto) gives the
  // messages after it), or nullopt if none was ever saved.
  virtual Result<std::optional<WorkflowSnapshot>> LoadWorkflowSnapshot() = 0;

  // Retention: deletes deliveries accepted before `accepted_before_ms` whose seq is at most
  // safe_upto[stream] (every reader has processed them); streams absent from the map are
  // untouched. Messages left with no delivery are deleted too. Returns deliveries removed.
  virtual Result<uint64_t> Prune(int64_t accepted_before_ms,
                                 const std::map<std::string, uint64_t>& safe_upto) = 0;

  // Deferred durability (group commit across threads). By default every write above is
  // durable when it returns. A journal that supports it, once DeferSyncs() returned true,
  // makes writes visible at once and durable later: written() counts the write transactions
  // committed so far, StartSync() makes everything written by then durable in the background,
  // durable() is the count covered by the last sync that finished, and sync_fd() becomes
  // readable when a sync finishes (the caller reads 8 bytes from it, as from an eventfd).
  // Whoever answers from journalled state must hold the answer until durable() reaches the
  // written() of the moment it was made. A failed sync is not retried: sync_failure() then
  // says why, and nothing written since the last good sync may be trusted to be on disk.
  virtual bool DeferSyncs() { return false; }
  virtual uint64_t written() const { return 0; }
  virtual uint64_t durable() const { return 0; }
  virtual void StartSync() {}
  virtual int sync_fd() const { return -1; }
  virtual std::optional<std::string> sync_failure() const { return std::nullopt; }
  // Called by the hub when a sync finished, before it sends the answers that sync covers;
  // `idle` when no batch is waiting to be written. A journal that defers work until its writes
  // are durable (the log engine copies rows into SQLite) does it here: at once when idle, so
  // that what a client is told is also in those rows, in bulk under load.
  virtual void OnDurable(bool idle) { (void)idle; }
};

using JournalPtr = std::unique_ptr<Journal>;

}  // namespace renrakumo::core
