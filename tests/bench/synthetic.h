// A synthetic national network for the benchmarks: many more operators than the sample
// topology has, with CURVE keys generated in memory. Two sectors carry the load: finance
// (advisories via the bankers' association; the report storm's senders) and telecom
// (advisories direct; the fan-out's subscribers). Shared by the load generator and the
// micro-benchmarks so that both measure the same network.
#pragma once

#include <chrono>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "config/keys.h"
#include "core/journal.h"
#include "core/topology.h"
#include "renrakumo/v1/config.pb.h"
#include "renrakumo/v1/messages.pb.h"

namespace renrakumo::bench {

struct SyntheticNetwork {
  v1::Topology topology;                 // passes core::ValidateTopology
  config::KeyPair hub_keys;
  std::vector<std::string> finance_ops;  // "bank-00001", ...: report senders
  std::vector<std::string> telecom_ops;  // "tel-00001", ...: fan-out subscribers
  std::vector<config::KeyPair> finance_keys;  // same order as finance_ops
  std::vector<config::KeyPair> telecom_keys;  // same order as telecom_ops
  config::KeyPair fsa_keys, mic_keys, jba_keys, cabinet_keys;
  config::KeyPair fsa_signing, mic_signing;  // Ed25519: their advisories must be signed
};

// Builds the network; throws std::runtime_error naming the first validation error.
SyntheticNetwork MakeSyntheticNetwork(size_t finance_operators, size_t telecom_operators);

// An incident report whose encoded Envelope is `envelope_bytes` long (±2).
v1::Envelope MakeReport(const std::string& message_id, size_t envelope_bytes);

// A ministry warning to `sector`, about `envelope_bytes` long when encoded.
v1::Envelope MakeWarning(const std::string& message_id, const std::string& sector,
                         size_t envelope_bytes);

// The bytes of an IngestRequest submitting `envelope` under `request_id`.
std::string EncodeSubmit(uint64_t request_id, const v1::Envelope& envelope);
// The same, the envelope signed with `signing` (a ministry's Ed25519 key pair).
std::string EncodeSignedSubmit(uint64_t request_id, const v1::Envelope& envelope,
                               const config::KeyPair& signing);

// The journal storm's batches (micro-benchmarks of every store): `n` reports from `senders`
// operators ("bank-%05zu") with random 32-hex message ids (the client library's default), the
// same ~1 KiB envelope, one delivery each to node.fsa. with the hub's note, and one audit
// entry for the whole batch listing every message, as the hub writes it.
struct StormBatch {
  std::vector<core::Commit> commits;
  std::vector<core::AuditEntry> audit;
};
StormBatch MakeStormBatch(size_t n, size_t senders, std::mt19937_64& random);

// Bytes this process has passed to write(), pwrite() and friends so far (/proc/self/io's
// wchar): what a store wrote, when nothing else in the process writes meanwhile.
uint64_t ProcessBytesWritten();

// Descriptors this process holds open (/proc/self/fd), and a wait (polled every 50 ms, at
// most `limit`) until it holds at most `at_most`: libzmq closes a socket's connections in its
// I/O and reaper threads after zmq_close returns, so one scenario's 10,000 connections can
// outlive it by seconds and starve the next one of descriptors. True if it got there.
size_t OpenDescriptors();
bool WaitForDescriptors(size_t at_most, std::chrono::milliseconds limit);

}  // namespace renrakumo::bench
