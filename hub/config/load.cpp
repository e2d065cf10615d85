// Parse, default, resolve, validate. The defaults live here (and in the comments of
// config.proto and config/hub.yaml) because proto3 has no field defaults: zero means unset.
#include "config/load.h"

#include <filesystem>

#include "config/keys.h"
#include "config/yaml_proto.h"
#include "core/config_check.h"

namespace renrakumo::config {
namespace {

namespace fs = std::filesystem;

std::string DirOf(const std::string& file) { return fs::path(file).parent_path().string(); }

// A relative path in a config file means "next to this file", whatever directory the hub
// was started from.
void Resolve(const std::string& dir, std::string* path) {
  if (path->empty() || fs::path(*path).is_absolute()) return;
  *path = (fs::path(dir) / *path).lexically_normal().string();
}

// One problem per line, each naming the file, as --check-config prints them.
Error Problems(const std::string& file, const std::vector<std::string>& problems) {
  std::string message;
  for (const std::string& p : problems) message += (message.empty() ? "" : "\n") + file + ": " + p;
  return Error{message};
}

std::string NodeLabel(int index, const v1::Node& node) {
  return "nodes[" + std::to_string(index) + "]" + (node.id().empty() ? "" : " (" + node.id() + ")");
}

// Fills one kind of key list (CURVE `public_keys` or Ed25519 `signing_keys`) from its file
// field, or else from <keys_dir>/<id><suffix>.
Status AttachKeyList(const std::string& dir, const std::string& keys_dir, const std::string& label,
                     const std::string& id, std::string* file, const std::string& file_field,
                     google::protobuf::RepeatedPtrField<std::string>* keys,
                     const std::string& suffix) {
  if (!file->empty()) {
    Resolve(dir, file);
    Result<std::string> key = ReadKeyFile(*file, /*secret=*/false);
    if (!key) return Error{label + "." + file_field + ": " + key.error()};
    keys->Add(std::move(key).value());
  }
  // Only well-formed ids become file names: an id like "../x" must not pick a file elsewhere.
  if (!keys->empty() || keys_dir.empty() || !core::IsValidId(id)) return Ok{};
  const fs::path candidate = fs::path(keys_dir) / (id + suffix);
  std::error_code ec;
  if (!fs::is_regular_file(candidate, ec)) return Ok{};
  Result<std::string> key = ReadKeyFile(candidate.string(), /*secret=*/false);
  if (!key) return Error{label + ": " + key.error()};
  keys->Add(std::move(key).value());
  return Ok{};
}

// Fills node->public_keys (CURVE) and node->signing_keys (Ed25519) from their files.
Status AttachKeys(const std::string& dir, const std::string& keys_dir, int index,
                  v1::Node* node) {
  const std::string label = NodeLabel(index, *node);
  if (auto s = AttachKeyList(dir, keys_dir, label, node->id(), node->mutable_public_key_file(),
                             "public_key_file", node->mutable_public_keys(), ".pub");
      !s)
    return s;
  return AttachKeyList(dir, keys_dir, label, node->id(), node->mutable_signing_key_file(),
                       "signing_key_file", node->mutable_signing_keys(), ".sign.pub");
}

}  // namespace

void ApplyHubDefaults(v1::HubConfig* c) {
  v1::Limits* l = c->mutable_limits();
  if (l->max_message_bytes() == 0) l->set_max_message_bytes(1048576);
  if (l->max_batch() == 0) l->set_max_batch(512);
  if (l->max_fetch() == 0) l->set_max_fetch(1000);
  if (l->heartbeat_ivl_ms() == 0) l->set_heartbeat_ivl_ms(5000);
  if (l->heartbeat_timeout_ms() == 0) l->set_heartbeat_timeout_ms(15000);
  if (l->send_hwm() == 0) l->set_send_hwm(100000);
  if (c->retention().prune_interval_s() == 0) c->mutable_retention()->set_prune_interval_s(3600);
  if (c->log_level().empty()) c->set_log_level("info");
  // A new journal on the log engine (docs/journal-log.md); an in-memory one can only be SQLite.
  if (c->journal_engine().empty())
    c->set_journal_engine(c->journal_path() == ":memory:" ? "sqlite" : "log");
  if (c->zap_domain().empty()) c->set_zap_domain("renrakumo");
  if (c->network_name().empty()) c->set_network_name("renrakumo");
}

Result<v1::HubConfig> LoadHubConfig(const std::string& path) {
  v1::HubConfig c;
  if (Status s = ParseYamlFile(path, &c); !s) return Error{s.error()};
  ApplyHubDefaults(&c);
  const std::string dir = DirOf(path);
  for (std::string* p : {c.mutable_topology_file(), c.mutable_rules_file(), c.mutable_public_key_file(),
                         c.mutable_secret_key_file(), c.mutable_keys_dir()}) {
    Resolve(dir, p);
  }
  if (c.journal_path() != ":memory:") Resolve(dir, c.mutable_journal_path());  // SQLite's name
  const std::vector<std::string> problems = core::ValidateHubConfig(c);
  if (!problems.empty()) return Problems(path, problems);
  return c;
}

Result<LoadedTopology> LoadTopology(const std::string& path, const std::string& keys_dir) {
  LoadedTopology out;
  if (Status s = ParseYamlFile(path, &out.topology); !s) return Error{s.error()};
  for (v1::Sector& sector : *out.topology.mutable_sectors()) {
    if (sector.report_path() == v1::REPORT_PATH_UNSPECIFIED) {
      sector.set_report_path(v1::REPORT_PATH_TO_MINISTRY);
    }
  }
  std::vector<std::string> problems;
  const std::string dir = DirOf(path);
  for (int i = 0; i < out.topology.nodes_size(); ++i) {
    Status s = AttachKeys(dir, keys_dir, i, out.topology.mutable_nodes(i));
    if (!s) problems.push_back(s.error());
  }
  for (std::string& p : core::ValidateTopology(out.topology)) problems.push_back(std::move(p));
  if (!problems.empty()) return Problems(path, problems);
  for (const std::string& w : core::TopologyWarnings(out.topology)) {
    out.warnings.push_back(path + ": " + w);
  }
  return out;
}

Result<v1::NodeConfig> LoadNodeConfig(const std::string& path) {
  v1::NodeConfig c;
  if (Status s = ParseYamlFile(path, &c); !s) return Error{s.error()};
  if (c.request_timeout_ms() == 0) c.set_request_timeout_ms(3000);
  if (c.submit_deadline_ms() == 0) c.set_submit_deadline_ms(30000);
  if (c.receive_hwm() == 0) c.set_receive_hwm(10000);
  const std::string dir = DirOf(path);
  // An unset state_dir is the file's own directory; a relative one is relative to it.
  if (c.state_dir().empty()) c.set_state_dir(dir.empty() ? "." : dir);
  else Resolve(dir, c.mutable_state_dir());
  for (std::string* p : {c.mutable_public_key_file(), c.mutable_secret_key_file(),
                         c.mutable_hub_public_key_file(), c.mutable_signing_key_file(),
                         c.mutable_signers_file()}) {
    Resolve(dir, p);
  }
  if (!c.hub_public_key_file().empty()) {
    if (!c.hub_public_key().empty()) {
      return Problems(path, {"hub_public_key_file: set either it or hub_public_key, not both"});
    }
    Result<std::string> key = ReadKeyFile(c.hub_public_key_file(), /*secret=*/false);
    if (!key) return Problems(path, {"hub_public_key_file: " + key.error()});
    c.set_hub_public_key(std::move(key).value());
  }
  const std::vector<std::string> problems = core::ValidateNodeConfig(c);
  if (!problems.empty()) return Problems(path, problems);
  return c;
}

}  // namespace renrakumo::config
