// A throw-away installation for end-to-end tests of the two binaries: a fresh temp dir with
// keys/ made by `renrakumo keygen`, a hub.yaml using the shipped config/topology.yaml and
// ipc:// endpoints inside the dir, node configs written by keygen, and the real
// `renrakumo-hub` running as a child process. Nothing is shared between tests.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "process.h"

namespace renrakumo::clitest {

inline const std::string kCli = RENRAKUMO_CLI;
inline const std::string kHubBinary = RENRAKUMO_HUB;
inline const std::string kSourceDir = RENRAKUMO_SOURCE_DIR;

class Sandbox {
 public:
  Sandbox();
  ~Sandbox();  // stops the hub if running, removes the dir
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path keys() const { return dir_ / "keys"; }
  std::string ingest() const { return "ipc://" + (dir_ / "ingest").string(); }
  std::string fanout() const { return "ipc://" + (dir_ / "fanout").string(); }
  // <dir>/<id>.yaml, the node config Keygen writes.
  std::string NodeConfig(const std::string& id) const;
  // Writes `text` to `relative` under the dir and returns the full path.
  std::string Write(const std::string& relative, const std::string& text) const;

  // `renrakumo ARGS...` (in the sandbox dir when `in_dir`) and `renrakumo-hub ARGS...`.
  RunResult Cli(std::vector<std::string> args, bool in_dir = false) const;
  RunResult Hub(std::vector<std::string> args) const;
  // The hub's journal engine: RENRAKUMO_TEST_JOURNAL_ENGINE (written into hub.yaml), or the
  // hub's default, log, when it is unset (ctest runs the hub's tests on both).
  static std::string JournalEngine();

  // `renrakumo keygen --id ID --dir <dir>/keys`, plus --node-config <dir>/<id>.yaml pointing
  // at this sandbox's hub when `node_config`.
  RunResult Keygen(const std::string& id, bool node_config = true,
                   const std::vector<std::string>& extra = {}) const;
  // The hub's key pair and <dir>/hub.yaml (topology: the shipped config/topology.yaml).
  // Call before Keygen of nodes that need a node config (they name keys/hub.pub).
  ::testing::AssertionResult PrepareHub() const;
  // Starts renrakumo-hub -c <dir>/hub.yaml and waits (bounded) until both ipc sockets exist.
  ::testing::AssertionResult StartHub();
  // SIGTERM and wait; fails if the hub did not stop cleanly with exit code 0.
  ::testing::AssertionResult StopHub();
  std::string HubLog() const;
  // SIGKILL, as a crash or power cut would: no clean shutdown. Removes the stale ipc files so
  // the next StartHub() waits for the new hub's sockets.
  void KillHub();
  // Sends `sig` (e.g. SIGHUP) to the running hub.
  void SignalHub(int sig) const;
  // hub.yaml's rules_file (default: the shipped config/rules.yaml). Before PrepareHub.
  void set_rules_file(const std::string& path) { rules_file_ = path; }

 private:
  std::filesystem::path dir_;
  std::string rules_file_ = kSourceDir + "/config/rules.yaml";
  std::unique_ptr<Daemon> hub_;
};

// The non-empty lines of `text`.
std::vector<std::string> Lines(const std::string& text);
// The message id in the CLI's "accepted: <id> → ..." line, or "" if there is none.
std::string AcceptedMessageId(const std::string& cli_stdout);

}  // namespace renrakumo::clitest
