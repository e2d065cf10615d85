// A real network for integration tests: the shipped sample topology (config/topology.yaml),
// fresh CURVE keys for the hub and every node in a temp dir, the real hub running in a thread
// on free loopback ports, and a real journal file. Nodes talk to it through the client library.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/topology.h"
#include "lib/client.h"
#include "net/hub.h"
#include "renrakumo/v1/rules.pb.h"

namespace renrakumo::testing {

class TestNetwork {
 public:
  // `tweak` adjusts the hub's config (limits, retention) before it starts.
  // `rules_tweak` adjusts the shipped config/rules.yaml (e.g. deadlines of 0 s for tests).
  explicit TestNetwork(const std::function<void(v1::HubConfig&)>& tweak = {},
                       const std::function<void(v1::Rules&)>& rules_tweak = {});
  ~TestNetwork();

  // A node config for `id` using its generated keys (the hub's real key and endpoints).
  v1::NodeConfig NodeConfig(const std::string& id) const;
  // Connects as `id`; fails the current test if that is impossible.
  std::unique_ptr<client::Client> Connect(const std::string& id) const;

  const core::Topology& topology() const { return *topology_; }
  const net::Hub& hub() const { return *hub_; }
  const std::filesystem::path& dir() const { return dir_; }
  std::string hub_public_key() const { return hub_keys_public_; }
  std::string KeyOf(const std::string& id, bool secret) const;
  // `env` encoded as `sender`'s client library would send it: advisories and relays signed
  // with the sender's signing key when it has one.
  std::string EnvelopeBytes(const std::string& sender, const v1::Envelope& env) const;

  // Stops the hub thread and starts a new hub on the same journal and ports.
  void RestartHub();
  // The two halves of a restart, for tests that act while the hub is down.
  void StopHub();
  void StartHub();

  // Set once the hub's loop has returned an error (e.g. its journal failed a disk sync).
  bool hub_failed() const { return run_failed_.load(); }
  std::string hub_error() const { return run_failed_.load() ? run_error_ : std::string(); }

  // Restarts the hub with its journal passed through `wrap` (e.g. a decorator that holds the
  // journal's disk syncs); later restarts wrap it too.
  void WrapJournal(std::function<core::JournalPtr(core::JournalPtr)> wrap);

  // Swaps the hub's topology the way SIGHUP does, and waits until the loop applied it.
  void ReloadTopology(v1::Topology topology);
  // Swaps the rules as a SIGHUP with an edited rules.yaml does (the topology stays).
  void ReloadRules(v1::Rules rules);
  const v1::Rules& rules() const { return rules_; }

  // Waits (bounded) until `condition` holds, polling the in-process hub's state.
  static bool WaitFor(const std::function<bool()>& condition,
                      std::chrono::seconds bound = std::chrono::seconds(20));

 private:
  std::filesystem::path dir_;
  v1::HubConfig hub_config_;
  v1::Rules rules_;
  std::string hub_keys_public_;
  std::string hub_keys_secret_;
  core::TopologyPtr topology_;
  std::function<core::JournalPtr(core::JournalPtr)> wrap_journal_;
  std::unique_ptr<net::Hub> hub_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> reload_{false};
  std::string run_error_;  // written by the loop thread before run_failed_ is set
  std::atomic<bool> run_failed_{false};
  std::thread loop_;
};

// Every delivery the node can get right now: catch-up from the journal, then nothing new.
std::vector<v1::Delivery> Drain(client::Client& node);

// Submits every envelope as `sender` over one raw DEALER, pipelined (all sent, then all
// answers read), as a busy node would. Returns how many were accepted.
size_t SubmitMany(const TestNetwork& net, const std::string& sender,
                  const std::vector<v1::Envelope>& envelopes);

// "<action> <subject> <detail>" of the journal's audit entries whose action is LIKE
// `pattern`, oldest first (the journal may be open in the hub: WAL readers do not block it).
std::vector<std::string> AuditActions(const TestNetwork& net, const std::string& pattern);

v1::Envelope MakeAdvisory(const std::string& id, std::vector<std::string> sectors,
                          v1::AdvisoryKind kind = v1::ADVISORY_WARNING);
v1::Envelope MakeReport(const std::string& id, const std::string& system = "other");
// An association's relay (TLP:GREEN) of `original`, the envelope bytes it was delivered.
v1::Envelope MakeRelay(const std::string& id, const std::string& original_sender,
                       const std::string& original_id, const std::string& original,
                       const std::string& commentary = "");

}  // namespace renrakumo::testing
