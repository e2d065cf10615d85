// The two servers the load generator measures side by side, both in this process: the real
// hub (net::Hub with a SQLite journal file, its log in a file as in production) and the
// baseline forwarder. Also a node socket for the parent's own requests (the warning's issuer).
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <zmq.hpp>

#include "baseline.h"
#include "net/hub.h"
#include "synthetic.h"

namespace renrakumo::bench {

class HubUnderTest {
 public:
  // Starts the hub on loopback with a journal in `dir`; its loggers write to dir/hub.log at
  // `log_level` (info is the shipped default).
  HubUnderTest(const SyntheticNetwork& net, const std::filesystem::path& dir,
               const std::string& log_level, const std::string& journal_engine = "log");
  ~HubUnderTest();
  void Stop();  // stops the loop and closes the journal (SQLite checkpoints it)

  const net::Hub& hub() const { return *hub_; }
  const std::string& ingest() const { return ingest_; }
  const std::string& fanout() const { return fanout_; }
  std::filesystem::path journal_path() const { return dir_ / "journal.db"; }
  // Bytes on disk: the journal file and, on the log engine, its log's segments.
  uint64_t journal_bytes() const;

  // Where the loop thread's time went (from /proc/self/task/<tid>/schedstat): on a CPU,
  // runnable but waiting for one, and the rest (blocked in fdatasync or idle in zmq_poll).
  struct LoopTime {
    int64_t on_cpu_ns = 0, waiting_ns = 0, wall_ns = 0;
  };
  LoopTime loop_time() const;
  int loop_tid() const { return tid_.load(); }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<net::Hub> hub_;
  std::string ingest_, fanout_;
  std::atomic<bool> stop_{false};
  std::atomic<int> tid_{0};
  std::thread loop_;
};

// The baseline with the network's keys, answering every request with `reply`.
std::unique_ptr<Forwarder> StartForwarder(const SyntheticNetwork& net, std::string reply);

// A DEALER in the parent process, used to send one request at a time (e.g. the warning).
class Requester {
 public:
  Requester(const config::KeyPair& keys, const std::string& server_public,
            const std::string& endpoint);  // connects and waits for an answer to a ping
  // Sends bytes without waiting; Answer() waits for the next reply.
  void Send(const std::string& bytes);
  std::string Answer(int timeout_ms);

 private:
  zmq::context_t ctx_{1};
  zmq::socket_t socket_;
};

// Bytes the C heap has handed out in this process (all arenas, mmapped blocks included):
// unlike RSS it does not depend on what earlier, freed allocations left behind.
long HeapBytes();

}  // namespace renrakumo::bench
