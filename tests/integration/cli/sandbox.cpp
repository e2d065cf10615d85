#include <csignal>
#include "sandbox.h"

#include <cstdlib>

#include <sys/wait.h>

#include <atomic>
#include <fstream>
#include <random>
#include <regex>
#include <set>
#include <sstream>

namespace renrakumo::clitest {
namespace fs = std::filesystem;

namespace {

fs::path FreshDir() {
  static std::atomic<int> counter{0};
  // Short: an ipc:// path must fit in sun_path (108 bytes).
  const fs::path dir = fs::path(::testing::TempDir()) /
                       ("rk-cli-" + std::to_string(std::random_device{}()) + "-" +
                        std::to_string(counter++));
  fs::create_directories(dir / "keys");
  return dir;
}

}  // namespace

Sandbox::Sandbox() : dir_(FreshDir()) {}

Sandbox::~Sandbox() {
  hub_.reset();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string Sandbox::NodeConfig(const std::string& id) const {
  return (dir_ / (id + ".yaml")).string();
}

std::string Sandbox::Write(const std::string& relative, const std::string& text) const {
  const fs::path file = dir_ / relative;
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
  return file.string();
}

RunResult Sandbox::Cli(std::vector<std::string> args, bool in_dir) const {
  args.insert(args.begin(), kCli);
  return Run(args, in_dir ? dir_ : fs::path());
}

RunResult Sandbox::Hub(std::vector<std::string> args) const {
  args.insert(args.begin(), kHubBinary);
  return Run(args);
}

RunResult Sandbox::Keygen(const std::string& id, bool node_config,
                          const std::vector<std::string>& extra) const {
  // The sample topology's nodes that issue or relay advisories sign them.
  static const std::set<std::string> kSigners = {"cabinet", "mic",  "fsa",  "mlit", "meti",
                                                 "jba",     "fisc", "fepc", "jga",  "vendor-x"};
  if (node_config && kSigners.count(id) != 0 && !fs::exists(keys() / (id + ".sign.key"))) {
    const RunResult r = Cli({"keygen", "--id", id, "--dir", keys().string(), "--signing"});
    if (r.exit_code != 0) return r;
  }
  std::vector<std::string> args = {"keygen", "--id", id, "--dir", keys().string()};
  if (node_config) {
    args.insert(args.end(), {"--node-config", NodeConfig(id), "--hub-key",
                             (keys() / "hub.pub").string(), "--hub", ingest() + "," + fanout(),
                             "--signers", (dir_ / "signers.yaml").string()});
  }
  args.insert(args.end(), extra.begin(), extra.end());
  return Cli(args);
}

::testing::AssertionResult Sandbox::PrepareHub() const {
  if ((dir_ / "fanout").string().size() > 100)
    return ::testing::AssertionFailure() << "temp dir too long for an ipc:// path: " << dir_;
  if (!fs::exists(keys() / "hub.pub")) {
    const RunResult r = Keygen("hub", false);
    if (r.exit_code != 0) return ::testing::AssertionFailure() << r.Describe();
  }
  Write("hub.yaml",
        "# written by cli_tests\n"
        "network_name: \"cli test network\"\n"
        "topology_file: " + kSourceDir + "/config/topology.yaml\n"
        "rules_file: " + rules_file_ + "\n"
        "ingest_endpoint: \"" + ingest() + "\"\n"
        "fanout_endpoint: \"" + fanout() + "\"\n"
        "public_key_file: keys/hub.pub\n"
        "secret_key_file: keys/hub.key\n"
        "keys_dir: keys\n"
        "journal_path: journal.db\n"
        + (std::getenv("RENRAKUMO_TEST_JOURNAL_ENGINE") != nullptr
               ? "journal_engine: " + JournalEngine() + "\n"
               : std::string()) +
        "log_level: debug\n");
  // What every node pins: the signing keys of the topology, as the hub operator hands them out.
  const RunResult signers = Hub({"signers", "-c", (dir_ / "hub.yaml").string(), "-o",
                                 (dir_ / "signers.yaml").string()});
  if (signers.exit_code != 0) return ::testing::AssertionFailure() << signers.Describe();
  return ::testing::AssertionSuccess();
}

std::string Sandbox::JournalEngine() {
  const char* engine = std::getenv("RENRAKUMO_TEST_JOURNAL_ENGINE");
  return engine != nullptr ? engine : "log";  // unset: the hub's default
}

::testing::AssertionResult Sandbox::StartHub() {
  if (auto prepared = PrepareHub(); !prepared) return prepared;
  hub_ = std::make_unique<Daemon>(
      std::vector<std::string>{kHubBinary, "-c", (dir_ / "hub.yaml").string()}, dir_ / "hub.log");
  // The hub binds ingest, then fanout; both files existing means it is accepting.
  const bool ready = WaitUntil([this] {
    return !hub_->Running() || (fs::exists(dir_ / "ingest") && fs::exists(dir_ / "fanout"));
  });
  if (!hub_->Running())
    return ::testing::AssertionFailure() << "renrakumo-hub exited during start-up (status "
                                         << hub_->exit_status() << "):\n" << HubLog();
  if (!ready)
    return ::testing::AssertionFailure() << "renrakumo-hub did not bind " << ingest() << " and "
                                         << fanout() << " within 20 s:\n" << HubLog();
  return ::testing::AssertionSuccess();
}

void Sandbox::KillHub() {
  if (!hub_) return;
  ::kill(hub_->pid(), SIGKILL);
  WaitUntil([this] { return !hub_->Running(); });
  hub_.reset();
  std::error_code ec;
  fs::remove(dir_ / "ingest", ec);
  fs::remove(dir_ / "fanout", ec);
}

::testing::AssertionResult Sandbox::StopHub() {
  if (!hub_) return ::testing::AssertionSuccess();
  const int status = hub_->Stop();
  hub_.reset();
  if (status == -1)
    return ::testing::AssertionFailure() << "renrakumo-hub ignored SIGTERM for 20 s:\n" << HubLog();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return ::testing::AssertionFailure() << "renrakumo-hub did not stop cleanly on SIGTERM (wait status "
                                         << status << "):\n" << HubLog();
  return ::testing::AssertionSuccess();
}

void Sandbox::SignalHub(int sig) const {
  if (hub_) ::kill(hub_->pid(), sig);
}

std::string Sandbox::HubLog() const { return ReadFile(dir_ / "hub.log"); }

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

std::string AcceptedMessageId(const std::string& cli_stdout) {
  static const std::regex accepted(R"(accepted(?: \(already accepted earlier\))?: (\S+) )");
  std::smatch m;
  return std::regex_search(cli_stdout, m, accepted) ? m[1].str() : "";
}

}  // namespace renrakumo::clitest
