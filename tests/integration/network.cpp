#include "network.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdlib>
#include <fstream>
#include <random>

#include <zmq.hpp>

#include "config/keys.h"
#include "config/load.h"
#include "config/rules_load.h"
#include "config/signing.h"
#include "store/sqlite_journal.h"

namespace renrakumo::testing {
namespace fs = std::filesystem;

namespace {

fs::path FreshDir() {
  std::random_device rd;
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  fs::path dir = fs::temp_directory_path() /
                 ("renrakumo-it-" + std::string(info ? info->name() : "x") + "-" +
                  std::to_string(rd()));
  fs::create_directories(dir / "keys");
  return dir;
}

}  // namespace

TestNetwork::TestNetwork(const std::function<void(v1::HubConfig&)>& tweak,
                         const std::function<void(v1::Rules&)>& rules_tweak)
    : dir_(FreshDir()) {
  auto rules = config::LoadRules(RENRAKUMO_SOURCE_DIR "/config/rules.yaml");
  if (!rules) throw std::runtime_error(rules.error());
  rules_ = *rules;
  if (rules_tweak) rules_tweak(rules_);
  const auto hub_keys = config::GenerateKeyPair();
  hub_keys_public_ = hub_keys.public_z85;
  hub_keys_secret_ = hub_keys.secret_z85;
  // Keys for every node of the sample topology, written where the topology loader looks.
  auto bare = config::LoadTopology(RENRAKUMO_SOURCE_DIR "/config/topology.yaml", "");
  if (!bare) throw std::runtime_error(bare.error());
  for (const auto& n : bare->topology.nodes()) {
    if (auto s = config::WriteKeyPair((dir_ / "keys").string(), n.id(), config::GenerateKeyPair(),
                                      false);
        !s)
      throw std::runtime_error(s.error());
    // Signing keys for the nodes that issue advisories or relay them.
    const bool signs = n.kind() == v1::NODE_KIND_MINISTRY || n.kind() == v1::NODE_KIND_CABINET ||
                       n.kind() == v1::NODE_KIND_ASSOCIATION || n.vendor();
    if (!signs) continue;
    if (auto s = config::WriteSigningKeyPair((dir_ / "keys").string(), n.id(),
                                             config::GenerateSigningKeyPair(), false);
        !s)
      throw std::runtime_error(s.error());
  }
  auto loaded = config::LoadTopology(RENRAKUMO_SOURCE_DIR "/config/topology.yaml",
                                     (dir_ / "keys").string());
  if (!loaded) throw std::runtime_error(loaded.error());
  topology_ = std::make_shared<const core::Topology>(loaded->topology);
  // The signers every node trusts, as `renrakumo-hub signers` would write them.
  std::ofstream signers(dir_ / "signers.yaml");
  signers << "signers:\n";
  for (const auto& n : loaded->topology.nodes()) {
    if (n.signing_keys().empty()) continue;
    signers << "  - node: " << n.id() << "\n    name: \"" << n.name() << "\"\n    keys:\n";
    for (const auto& k : n.signing_keys()) signers << "      - \"" << k << "\"\n";
  }
  if (!signers.flush()) throw std::runtime_error("cannot write signers.yaml");

  hub_config_.set_network_name("integration test network");
  hub_config_.set_ingest_endpoint("tcp://127.0.0.1:*");
  hub_config_.set_fanout_endpoint("tcp://127.0.0.1:*");
  hub_config_.set_journal_path((dir_ / "journal.db").string());
  // ctest runs some of these tests twice: on the default engine (log), and with this set to
  // "sqlite".
  if (const char* engine = std::getenv("RENRAKUMO_TEST_JOURNAL_ENGINE"))
    hub_config_.set_journal_engine(engine);
  if (tweak) tweak(hub_config_);
  config::ApplyHubDefaults(&hub_config_);
  StartHub();
}

TestNetwork::~TestNetwork() {
  StopHub();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

void TestNetwork::StartHub() {
  store::JournalOptions options;
  options.engine = store::EngineNamed(hub_config_.journal_engine());
  auto journal = store::OpenJournal(hub_config_.journal_path(), options);
  if (!journal) throw std::runtime_error(journal.error());
  if (wrap_journal_) *journal = wrap_journal_(std::move(*journal));
  auto reload = [this]() -> Result<core::TopologyPtr> { return topology_; };
  auto reload_rules = [this](const core::Topology&) -> Result<v1::Rules> { return rules_; };
  auto hub = net::Hub::Create(
      {hub_config_, topology_, hub_keys_secret_, reload, rules_, reload_rules},
      std::move(*journal));
  if (!hub) throw std::runtime_error(hub.error());
  hub_ = std::move(*hub);
  // Later restarts bind the same ports, so nodes reconnect to the same address.
  hub_config_.set_ingest_endpoint(hub_->ingest_endpoint());
  hub_config_.set_fanout_endpoint(hub_->fanout_endpoint());
  stop_ = false;
  run_failed_ = false;
  loop_ = std::thread([this] {
    if (auto s = hub_->Run(stop_, &reload_); !s) {
      run_error_ = s.error();
      run_failed_ = true;
    }
  });
}

void TestNetwork::WrapJournal(std::function<core::JournalPtr(core::JournalPtr)> wrap) {
  StopHub();
  wrap_journal_ = std::move(wrap);
  StartHub();
}

void TestNetwork::StopHub() {
  stop_ = true;
  if (loop_.joinable()) loop_.join();
  hub_.reset();
}

void TestNetwork::ReloadTopology(v1::Topology topology) {
  const uint64_t before = hub_->counters().topology_reloads.load();
  topology_ = std::make_shared<const core::Topology>(std::move(topology));  // read by the loop after the flag
  reload_ = true;
  if (!WaitFor([&] { return hub_->counters().topology_reloads.load() > before; }))
    throw std::runtime_error("the hub did not apply the reloaded topology");
}

void TestNetwork::ReloadRules(v1::Rules rules) {
  rules_ = std::move(rules);  // read by the loop after the flag, as the topology is
  ReloadTopology(topology_->config());
}

void TestNetwork::RestartHub() {
  StopHub();
  StartHub();
}

std::string TestNetwork::KeyOf(const std::string& id, bool secret) const {
  auto key = config::ReadKeyFile((dir_ / "keys" / (id + (secret ? ".key" : ".pub"))).string(), secret);
  if (!key) throw std::runtime_error(key.error());
  return *key;
}

std::string TestNetwork::EnvelopeBytes(const std::string& sender, const v1::Envelope& env) const {
  std::string bytes = env.SerializeAsString();
  const auto key = dir_ / "keys" / (sender + ".sign.key");
  if (!(env.has_advisory() || env.has_relay()) || !fs::exists(key)) return bytes;
  auto signer = config::Signer::FromFile(key.string());
  if (!signer) throw std::runtime_error(signer.error());
  auto signed_bytes = signer->Sign(bytes);
  if (!signed_bytes) throw std::runtime_error(signed_bytes.error());
  return *signed_bytes;
}

v1::NodeConfig TestNetwork::NodeConfig(const std::string& id) const {
  v1::NodeConfig c;
  c.set_node_id(id);
  c.set_public_key_file((dir_ / "keys" / (id + ".pub")).string());
  c.set_secret_key_file((dir_ / "keys" / (id + ".key")).string());
  c.set_hub_public_key(hub_keys_public_);
  if (const auto sign_key = dir_ / "keys" / (id + ".sign.key"); fs::exists(sign_key))
    c.set_signing_key_file(sign_key.string());
  c.set_signers_file((dir_ / "signers.yaml").string());
  auto* route = c.add_hubs();
  route->set_ingest_endpoint(hub_->ingest_endpoint());
  route->set_fanout_endpoint(hub_->fanout_endpoint());
  c.set_state_dir(dir_.string());
  c.set_request_timeout_ms(2000);
  c.set_submit_deadline_ms(20000);
  return c;
}

std::unique_ptr<client::Client> TestNetwork::Connect(const std::string& id) const {
  auto c = client::Client::Connect(NodeConfig(id));
  if (!c) {
    ADD_FAILURE() << "cannot connect as " << id << ": " << c.error();
    return nullptr;
  }
  return std::move(*c);
}

bool TestNetwork::WaitFor(const std::function<bool()>& condition, std::chrono::seconds bound) {
  const auto end = std::chrono::steady_clock::now() + bound;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

std::vector<v1::Delivery> Drain(client::Client& node) {
  std::vector<v1::Delivery> out;
  for (;;) {
    auto next = node.Next(std::chrono::milliseconds(0));
    if (!next) {
      ADD_FAILURE() << "receiving failed: " << next.error();
      return out;
    }
    if (!*next) return out;
    out.push_back(std::move(**next));
  }
}

v1::Envelope MakeAdvisory(const std::string& id, std::vector<std::string> sectors,
                          v1::AdvisoryKind kind) {
  v1::Envelope env;
  env.set_message_id(id);
  env.set_tlp(v1::TLP_GREEN);
  auto* a = env.mutable_advisory();
  a->set_kind(kind);
  a->set_severity(v1::SEVERITY_SEVERE);
  a->set_title("Exploited VPN vulnerability: patch now");
  a->set_body("Apply the vendor's fix to every remote-access gateway.");
  for (auto& s : sectors) a->mutable_audience()->add_sectors(s);
  return env;
}

v1::Envelope MakeReport(const std::string& id, const std::string& system) {
  v1::Envelope env;
  env.set_message_id(id);
  env.set_tlp(v1::TLP_AMBER);
  auto* r = env.mutable_report();
  r->set_incident_id("inc-" + id);
  r->set_phase(v1::PHASE_FLASH);
  r->set_situation(v1::SITUATION_SERIOUS_FAILURE);
  r->set_likelihood(v1::LIKELIHOOD_POSSIBLE_UNCLEAR);
  r->set_affected_system(system);
  r->set_narrative("Unusual outbound traffic from a gateway.");
  return env;
}

}  // namespace renrakumo::testing

namespace renrakumo::testing {

size_t SubmitMany(const TestNetwork& net, const std::string& sender,
                  const std::vector<v1::Envelope>& envelopes) {
  zmq::context_t ctx;
  zmq::socket_t dealer(ctx, zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::linger, 0);
  dealer.set(zmq::sockopt::sndhwm, 0);
  dealer.set(zmq::sockopt::rcvhwm, 0);
  dealer.set(zmq::sockopt::curve_serverkey, net.hub_public_key());
  dealer.set(zmq::sockopt::curve_publickey, net.KeyOf(sender, false));
  dealer.set(zmq::sockopt::curve_secretkey, net.KeyOf(sender, true));
  dealer.set(zmq::sockopt::rcvtimeo, 5000);
  dealer.connect(net.hub().ingest_endpoint());
  // request id = index + 1; unanswered requests are resent (same message id), as the client
  // library does, until every one is answered or the rounds run out.
  std::vector<bool> answered(envelopes.size(), false);
  size_t accepted = 0, open = envelopes.size();
  for (int round = 0; round < 5 && open > 0; ++round) {
    for (size_t i = 0; i < envelopes.size(); ++i) {
      if (answered[i]) continue;
      v1::IngestRequest req;
      req.set_request_id(i + 1);
      req.mutable_submit()->set_envelope(net.EnvelopeBytes(sender, envelopes[i]));
      dealer.send(zmq::buffer(req.SerializeAsString()), zmq::send_flags::none);
    }
    zmq::message_t msg;
    while (open > 0 && dealer.recv(msg)) {  // bounded by rcvtimeo
      v1::IngestReply reply;
      if (!reply.ParseFromArray(msg.data(), static_cast<int>(msg.size()))) continue;
      const uint64_t i = reply.request_id() - 1;
      if (i >= envelopes.size() || answered[i]) continue;
      answered[i] = true;
      --open;
      if (reply.has_accepted()) ++accepted;
    }
  }
  return accepted;
}

v1::Envelope MakeRelay(const std::string& id, const std::string& original_sender,
                       const std::string& original_id, const std::string& original,
                       const std::string& commentary) {
  v1::Envelope relay;
  relay.set_message_id(id);
  relay.set_tlp(v1::TLP_GREEN);
  relay.mutable_relay()->set_original_message_id(original_id);
  relay.mutable_relay()->set_original_sender(original_sender);
  relay.mutable_relay()->set_original_envelope(original);
  relay.mutable_relay()->set_commentary(commentary);
  return relay;
}

std::vector<std::string> AuditActions(const TestNetwork& net, const std::string& pattern) {
  std::vector<std::string> out;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2((net.dir() / "journal.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) !=
      SQLITE_OK) {
    ADD_FAILURE() << "cannot open the journal";
    sqlite3_close(db);
    return out;
  }
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "SELECT action || ' ' || subject || ' ' || detail FROM audit "
                         "WHERE action LIKE ?1 ORDER BY seq", -1, &st, nullptr);
  sqlite3_bind_text(st, 1, pattern.c_str(), -1, SQLITE_TRANSIENT);
  while (sqlite3_step(st) == SQLITE_ROW)
    out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

}  // namespace renrakumo::testing
