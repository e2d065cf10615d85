// The journal interface: where the hub makes accepted messages durable and numbers their
// deliveries per stream. The core defines it; hub/store/ implements it (SQLite WAL).
// Nothing is acknowledged or published before Append() returned successfully.
#pragma once

#include <cstdint>
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

// One accepted message and its deliveries, written together in one transaction.
struct Commit {
  std::string sender;       // authenticated node id
  std::string message_id;   // sender's idempotency key
  int64_t accepted_at_ms = 0;
  std::string kind;         // report, assessment, advisory, relay, share
  std::string envelope;     // the Envelope bytes exactly as received
  std::vector<PlannedDelivery> deliveries;
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

class Journal {
 public:
  virtual ~Journal() = default;

  // Writes every commit of the batch in one durable transaction and assigns each planned
  // delivery the next sequence number of its stream. Returns, per commit, the positions in
  // the order of its planned deliveries. On failure nothing of the batch is stored.
  virtual Result<std::vector<std::vector<Position>>> Append(std::span<const Commit> batch) = 0;

  // The message a sender submitted under message_id, if it was accepted before.
  virtual std::optional<StoredMessage> Find(const std::string& sender,
                                            const std::string& message_id) = 0;

  // Deliveries of stream with seq > after_seq, in order, at most max_count.
  virtual Result<std::vector<StoredDelivery>> Read(const std::string& stream, uint64_t after_seq,
                                                   uint32_t max_count) = 0;

  // Highest sequence number of stream (0 when the stream is empty).
  virtual uint64_t LastSeq(const std::string& stream) const = 0;
};

using JournalPtr = std::unique_ptr<Journal>;

}  // namespace renrakumo::core
