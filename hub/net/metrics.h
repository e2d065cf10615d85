// The hub's counters, declared once. The same table feeds the in-memory stats that tests
// read and the Prometheus text of /metrics. Every rejection is counted under its reason.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace renrakumo::net {

#define RENRAKUMO_HUB_COUNTERS(X)                                                         \
  X(zap_accepted, "CURVE handshakes whose key belongs to a node")                          \
  X(zap_refused, "CURVE handshakes refused: unknown key, wrong domain or mechanism")       \
  X(requests, "ingest requests received")                                                  \
  X(requests_malformed, "ingest requests that were not a decodable request")               \
  X(requests_unauthenticated, "ingest frames without an authenticated User-Id")            \
  X(submits_accepted, "messages accepted and made durable")                                \
  X(submits_duplicate, "retries answered with the original acceptance")                    \
  X(rejections, "requests rejected, of any kind (see rejections_by_code)")                   \
  X(deliveries_published, "deliveries published on fanout after commit")                   \
  X(journal_batches, "journal transactions committed")                                     \
  X(journal_failures, "journal transactions that failed")                                  \
  X(journal_syncs, "background syncs that made the journal's committed transactions durable") \
  X(held_for_disk, "answers and deliveries that waited for the journal's disk sync")         \
  X(fetches, "replay requests answered")                                                   \
  X(replies_unroutable, "replies dropped because the node had gone (it will retry)")       \
  X(topology_reloads, "topology reloads applied (SIGHUP)")                                   \
  X(deadline_actions, "workflow deadlines that passed and were acted on (reminder, fallback...)") \
  X(subscriptions_applied, "fanout subscriptions applied for entitled nodes")              \
  X(subscriptions_refused, "fanout subscriptions refused: stream not readable by the node")    \
  X(keys_revoked, "node keys a reload took away (node removed, key removed or moved)")          \
  X(fanout_rebinds, "fanout unbound and bound again on reload to cut revoked subscriptions")    \
  X(zap_refused_revoked, "handshakes refused because a reload revoked the key (in zap_refused too)") \
  X(ingest_disconnects, "ingest connections closed: a node left, timed out, or sent a frame above the hard cap")

struct Counters {
#define RENRAKUMO_DECLARE(name, help) std::atomic<uint64_t> name{0};
  RENRAKUMO_HUB_COUNTERS(RENRAKUMO_DECLARE)
#undef RENRAKUMO_DECLARE
  // Rejections per RejectCode (index = enum value; kRejectCodes bounds it).
  static constexpr int kRejectCodes = 32;
  std::atomic<uint64_t> rejections_by_code[kRejectCodes] = {};
  // Gauge: answers and deliveries waiting for the journal's disk sync right now.
  std::atomic<uint64_t> held_now{0};
};

// Prometheus text exposition of every counter.
std::string RenderPrometheus(const Counters& c);

}  // namespace renrakumo::net
