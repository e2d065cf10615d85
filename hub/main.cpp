// renrakumo-hub: loads hub.yaml and topology.yaml, opens the journal, and runs the loop.
// Exit codes: 0 clean stop, 1 runtime failure, 2 bad configuration.
#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <csignal>
#include <fstream>
#include <iostream>
#include <sstream>

#include <zmq.h>

#include "config/keys.h"
#include "core/config_check.h"
#include "config/load.h"
#include "config/rules_load.h"
#include "net/hub.h"
#include "store/journal_backup.h"
#include "store/sqlite_journal.h"

namespace {

std::atomic<bool> g_stop{false};
std::atomic<bool> g_reload{false};

extern "C" void OnSignal(int sig) {
  // Handlers only set flags; the loop does the work.
  if (sig == SIGHUP) g_reload = true;
  else g_stop = true;
}

using renrakumo::Result;
namespace config = renrakumo::config;
namespace core = renrakumo::core;

Result<core::TopologyPtr> LoadTopology(const renrakumo::v1::HubConfig& hub) {
  auto loaded = config::LoadTopology(hub.topology_file(), hub.keys_dir());
  if (!loaded) return renrakumo::Error{loaded.error()};
  for (const auto& w : loaded->warnings) spdlog::warn("{}", w);  // already names the file
  return core::TopologyPtr(std::make_shared<const core::Topology>(loaded->topology));
}

// The hub's own key pair: the secret file private, and the public file its true half, since
// nodes are given the public file and would otherwise fail their handshakes.
renrakumo::Result<std::string> ReadHubKeys(const renrakumo::v1::HubConfig& hub) {
  auto secret = config::ReadKeyFile(hub.secret_key_file(), true);
  if (!secret) return renrakumo::Error{"hub key: " + secret.error()};
  auto pub = config::ReadKeyFile(hub.public_key_file(), false);
  if (!pub) return renrakumo::Error{"hub key: " + pub.error()};
  char derived[41] = {};
  if (zmq_curve_public(derived, secret->c_str()) != 0 || *pub != std::string(derived, 40))
    return renrakumo::Error{"hub key: " + hub.public_key_file() + " is not the public half of " +
                            hub.secret_key_file() + "; nodes given it could not connect"};
  return *secret;
}

// For the offline subcommands: hub.yaml and its topology, or the error sentence.
struct OfflineConfig {
  renrakumo::v1::HubConfig hub;
  config::LoadedTopology topology;
};
Result<OfflineConfig> LoadOffline(const std::string& path) {
  auto hub = config::LoadHubConfig(path);
  if (!hub) return renrakumo::Error{hub.error()};
  auto topo = config::LoadTopology(hub->topology_file(), hub->keys_dir());
  if (!topo) return renrakumo::Error{topo.error()};
  return OfflineConfig{std::move(*hub), std::move(*topo)};
}

int CheckConfig(const std::string& path) {
  auto offline = LoadOffline(path);
  if (!offline) {
    std::cerr << offline.error() << "\n";
    return 2;
  }
  const auto* hub = &offline->hub;
  const auto* topo = &offline->topology;
  std::vector<std::string> warnings = topo->warnings;
  for (const auto& w : core::HubScaleWarnings(*hub, topo->topology)) warnings.push_back(path + ": " + w);
  auto rules = config::LoadRules(hub->rules_file());
  if (!rules) {
    std::cerr << rules.error() << "\n";
    return 2;
  }
  if (auto s = config::CheckSectorDeadlines(*rules, topo->topology, hub->topology_file()); !s) {
    std::cerr << s.error() << "\n";
    return 2;
  }
  // Last, so that a config written before any key exists is checked in full first.
  if (auto keys = ReadHubKeys(*hub); !keys) {
    for (const auto& w : warnings) std::cerr << "warning: " << w << "\n";
    std::cerr << path << ": " << keys.error() << "\n";
    return 2;
  }
  for (const auto& w : warnings) std::cerr << "warning: " << w << "\n";
  std::cout << path << ": OK (" << topo->topology.sectors_size() << " sectors, "
            << topo->topology.nodes_size() << " nodes)\n";
  return 0;
}

void SetUpLogging(const std::string& level) {
  auto logger = spdlog::stdout_color_mt("hub");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ [%n] %v");
  spdlog::set_level(spdlog::level::from_str(level.empty() ? "info" : level));
  spdlog::flush_on(spdlog::level::info);
}

// YAML double-quoted scalar (a JSON string is one).
std::string Quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// signers.yaml for the nodes: every node of the topology that holds a signing key, with its
// name, to be handed to nodes out of band (like the hub's public key).
int WriteSigners(const std::string& config_path, const std::string& out_path) {
  auto offline = LoadOffline(config_path);
  if (!offline) {
    std::cerr << offline.error() << "\n";
    return 2;
  }
  const auto* hub = &offline->hub;
  for (const auto& w : offline->topology.warnings)  // e.g. a signer without a key
    if (w.find("signing key") != std::string::npos) std::cerr << "warning: " << w << "\n";
  std::ostringstream y;
  y << "# Signers a node trusts: whose advisories and relays it checks, and with which keys.\n"
    << "# Written by renrakumo-hub signers from " << hub->topology_file() << ".\n"
    << "# Give it to the nodes by a channel you trust, as you give them the hub's key;\n"
    << "# their node config names it as signers_file.\n"
    << "network_name: " << Quoted(hub->network_name()) << "\n"
    << "signers:\n";
  int n = 0;
  for (const auto& node : offline->topology.topology.nodes()) {
    if (node.signing_keys().empty()) continue;
    y << "  - node: " << node.id() << "\n    name: " << Quoted(node.name()) << "\n    keys:\n";
    for (const auto& k : node.signing_keys()) y << "      - " << Quoted(k) << "\n";
    ++n;
  }
  if (out_path.empty() || out_path == "-") {
    std::cout << y.str();
  } else {
    std::ofstream out(out_path, std::ios::trunc);
    if (!(out << y.str()) || !out.flush()) {
      std::cerr << "cannot write " << out_path << "\n";
      return 1;
    }
    std::cerr << "wrote " << out_path << " (" << n << " signers)\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"renrakumo-hub: the contact network's hub"};
  std::string config_path = "config/hub.yaml";
  bool check_only = false;
  std::string log_level;
  app.add_option("-c,--config", config_path, "hub configuration file")->capture_default_str();
  app.add_flag("--check-config", check_only, "validate the configuration and exit (2 if bad)");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error (overrides hub.yaml)");
  auto* audit = app.add_subcommand("audit", "the journal's tamper-evident audit trail");
  auto* verify = audit->add_subcommand("verify", "walk the hash chain; name the first broken entry");
  audit->fallthrough();  // -c may follow the subcommand
  verify->fallthrough();
  std::string backup_dest;
  auto* backup = app.add_subcommand(
      "backup", "copy the journal (and its log) while the hub runs, then check the copy");
  backup->add_option("dest", backup_dest, "the copy's file (must not exist)")->required();
  backup->fallthrough();
  std::string signers_out;
  auto* signers = app.add_subcommand(
      "signers", "write signers.yaml: every node's public signing keys, for the nodes to pin");
  signers->add_option("-o,--output", signers_out, "file to write (default: standard output)");
  signers->fallthrough();
  CLI11_PARSE(app, argc, argv);

  if (check_only) return CheckConfig(config_path);
  if (signers->parsed()) return WriteSigners(config_path, signers_out);
  if (backup->parsed()) {
    auto hub = config::LoadHubConfig(config_path);
    if (!hub) {
      std::cerr << hub.error() << "\n";
      return 2;
    }
    spdlog::set_level(spdlog::level::warn);  // the check-open logs at info
    auto copied = renrakumo::store::BackupJournal(hub->journal_path(), backup_dest);
    if (!copied) {
      std::cerr << copied.error() << "\n";
      return 1;
    }
    std::cout << *copied << "\n";
    return 0;
  }
  if (verify->parsed()) {
    auto hub = config::LoadHubConfig(config_path);
    if (!hub) {
      std::cerr << hub.error() << "\n";
      return 2;
    }
    auto verdict = renrakumo::store::VerifyAuditChain(hub->journal_path());
    if (!verdict) {
      std::cerr << hub->journal_path() << ": " << verdict.error() << "\n";
      return 1;
    }
    std::cout << hub->journal_path() << ": " << *verdict << "\n";
    return 0;
  }
  // Before anything is bound: a signal during start-up must stop the hub cleanly too.
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGHUP, OnSignal);

  auto hub_config = config::LoadHubConfig(config_path);
  if (!hub_config) {
    std::cerr << hub_config.error() << "\n";
    return 2;
  }
  SetUpLogging(log_level.empty() ? hub_config->log_level() : log_level);
  auto topology = LoadTopology(*hub_config);
  if (!topology) {
    std::cerr << topology.error() << "\n";
    return 2;
  }
  for (const auto& w : core::HubScaleWarnings(*hub_config, (*topology)->config()))
    spdlog::warn("{}: {}", config_path, w);
  auto secret = ReadHubKeys(*hub_config);
  if (!secret) {
    std::cerr << config_path << ": " << secret.error() << "\n";
    return 2;
  }
  renrakumo::store::JournalOptions journal_options;
  journal_options.engine = renrakumo::store::EngineNamed(hub_config->journal_engine());
  auto journal = renrakumo::store::OpenJournal(hub_config->journal_path(), journal_options);
  if (!journal) {
    spdlog::critical("{}", journal.error());
    return 1;
  }
  renrakumo::v1::HubConfig cfg = *hub_config;
  auto rules = config::LoadRules(cfg.rules_file());
  if (!rules) {
    std::cerr << rules.error() << "\n";
    return 2;
  }
  if (auto s = config::CheckSectorDeadlines(*rules, (*topology)->config(), cfg.topology_file()); !s) {
    std::cerr << s.error() << "\n";
    return 2;
  }
  // SIGHUP reloads the topology and the rules together; a bad file keeps both as they were.
  auto reload_rules = [cfg](const core::Topology& t) -> Result<renrakumo::v1::Rules> {
    auto fresh = config::LoadRules(cfg.rules_file());
    if (!fresh) return renrakumo::Error{fresh.error()};
    if (auto s = config::CheckSectorDeadlines(*fresh, t.config(), cfg.topology_file()); !s)
      return renrakumo::Error{s.error()};
    return fresh;
  };
  auto hub = renrakumo::net::Hub::Create(
      {cfg, *topology, *secret, [cfg] { return LoadTopology(cfg); }, *rules, reload_rules},
      std::move(*journal));
  if (!hub) {
    spdlog::critical("{}", hub.error());
    return 1;
  }
  // A failed disk sync stops the hub (logged critical by Run): exit non-zero, so that the
  // service manager reports it.
  return (*hub)->Run(g_stop, &g_reload) ? 0 : 1;
}
