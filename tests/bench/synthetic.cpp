#include "synthetic.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "config/signing.h"
#include "core/config_check.h"
#include "renrakumo/v1/wire.pb.h"

namespace renrakumo::bench {
namespace {

// The hub refuses envelopes created too long ago (or in the future): stamp them now.
int64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string Numbered(const char* prefix, size_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s-%05zu", prefix, i + 1);
  return buf;
}

v1::Node* AddNode(v1::Topology& t, const std::string& id, v1::NodeKind kind,
                  const std::string& sector, const config::KeyPair& keys) {
  v1::Node* n = t.add_nodes();
  n->set_id(id);
  n->set_name(id);
  n->set_kind(kind);
  n->set_sector(sector);
  n->add_public_keys(keys.public_z85);
  return n;
}

// Pads `text` so that `env` encodes to about `target` bytes (a long string field's length
// prefix is 2 bytes below 16 KiB).
void PadTo(v1::Envelope& env, std::string* text, size_t target) {
  const size_t base = env.ByteSizeLong();
  if (target > base + 3) text->assign(target - base - 3, 'x');
}

}  // namespace

SyntheticNetwork MakeSyntheticNetwork(size_t finance_operators, size_t telecom_operators) {
  SyntheticNetwork net;
  net.hub_keys = config::GenerateKeyPair();
  net.fsa_keys = config::GenerateKeyPair();
  net.mic_keys = config::GenerateKeyPair();
  net.jba_keys = config::GenerateKeyPair();
  net.cabinet_keys = config::GenerateKeyPair();
  net.fsa_signing = config::GenerateSigningKeyPair();
  net.mic_signing = config::GenerateSigningKeyPair();
  v1::Topology& t = net.topology;

  v1::Sector* finance = t.add_sectors();
  finance->set_id("finance");
  finance->set_name("Finance (synthetic)");
  finance->add_ministries("fsa");
  finance->set_advisory_path(v1::ADVISORY_PATH_VIA_ASSOCIATION);
  finance->set_report_path(v1::REPORT_PATH_TO_MINISTRY);
  finance->set_peer_sharing(v1::PEER_SHARING_VIA_ASSOCIATION);
  finance->add_relay_associations("jba");
  finance->add_critical_systems("core_banking");

  v1::Sector* telecom = t.add_sectors();
  telecom->set_id("telecom");
  telecom->set_name("Telecommunications (synthetic)");
  telecom->add_ministries("mic");
  telecom->set_advisory_path(v1::ADVISORY_PATH_DIRECT);
  telecom->set_report_path(v1::REPORT_PATH_TO_MINISTRY);
  telecom->set_peer_sharing(v1::PEER_SHARING_DIRECT);
  telecom->add_critical_systems("network_management");

  AddNode(t, "cabinet", v1::NODE_KIND_CABINET, "", net.cabinet_keys);
  AddNode(t, "fsa", v1::NODE_KIND_MINISTRY, "", net.fsa_keys)
      ->add_signing_keys(net.fsa_signing.public_z85);
  AddNode(t, "mic", v1::NODE_KIND_MINISTRY, "", net.mic_keys)
      ->add_signing_keys(net.mic_signing.public_z85);
  v1::Node* jba = AddNode(t, "jba", v1::NODE_KIND_ASSOCIATION, "finance", net.jba_keys);
  for (size_t i = 0; i < finance_operators; ++i) {
    net.finance_ops.push_back(Numbered("bank", i));
    net.finance_keys.push_back(config::GenerateKeyPair());
    AddNode(t, net.finance_ops.back(), v1::NODE_KIND_OPERATOR, "finance", net.finance_keys.back());
    jba->add_members(net.finance_ops.back());
  }
  for (size_t i = 0; i < telecom_operators; ++i) {
    net.telecom_ops.push_back(Numbered("tel", i));
    net.telecom_keys.push_back(config::GenerateKeyPair());
    AddNode(t, net.telecom_ops.back(), v1::NODE_KIND_OPERATOR, "telecom", net.telecom_keys.back());
  }
  if (auto errors = core::ValidateTopology(t); !errors.empty())
    throw std::runtime_error("synthetic topology is invalid: " + errors.front());
  return net;
}

v1::Envelope MakeReport(const std::string& message_id, size_t envelope_bytes) {
  v1::Envelope env;
  env.set_message_id(message_id);
  env.set_created_at_ms(NowMs());
  env.set_tlp(v1::TLP_AMBER);
  auto* r = env.mutable_report();
  r->set_incident_id("inc-" + message_id);
  r->set_phase(v1::PHASE_FLASH);
  r->set_situation(v1::SITUATION_SERIOUS_FAILURE);
  r->set_likelihood(v1::LIKELIHOOD_POSSIBLE_UNCLEAR);
  r->set_affected_system("core_banking");
  r->set_contact("SOC duty officer, +81-3-0000-0000");
  PadTo(env, r->mutable_narrative(), envelope_bytes);
  return env;
}

v1::Envelope MakeWarning(const std::string& message_id, const std::string& sector,
                         size_t envelope_bytes) {
  v1::Envelope env;
  env.set_message_id(message_id);
  env.set_created_at_ms(NowMs());
  env.set_tlp(v1::TLP_GREEN);
  auto* a = env.mutable_advisory();
  a->set_kind(v1::ADVISORY_WARNING);
  a->set_severity(v1::SEVERITY_SEVERE);
  a->set_title("Exploited VPN vulnerability: patch now");
  a->mutable_audience()->add_sectors(sector);
  PadTo(env, a->mutable_body(), envelope_bytes);
  return env;
}

std::string EncodeSubmit(uint64_t request_id, const v1::Envelope& envelope) {
  v1::IngestRequest req;
  req.set_request_id(request_id);
  envelope.SerializeToString(req.mutable_submit()->mutable_envelope());
  return req.SerializeAsString();
}

std::string EncodeSignedSubmit(uint64_t request_id, const v1::Envelope& envelope,
                               const config::KeyPair& signing) {
  auto signer = config::Signer::FromSeed(signing.secret_z85);
  if (!signer) throw std::runtime_error(signer.error());
  auto bytes = signer->Sign(envelope.SerializeAsString());
  if (!bytes) throw std::runtime_error(bytes.error());
  v1::IngestRequest req;
  req.set_request_id(request_id);
  req.mutable_submit()->set_envelope(std::move(bytes).value());
  return req.SerializeAsString();
}

StormBatch MakeStormBatch(size_t n, size_t senders, std::mt19937_64& random) {
  static const std::string envelope = MakeReport("m-000000000001", 1024).SerializeAsString();
  StormBatch b;
  b.commits.resize(n);
  std::string lines;
  for (auto& c : b.commits) {
    char sender[32], id[40];
    std::snprintf(sender, sizeof sender, "bank-%05zu", static_cast<size_t>(random() % senders));
    std::snprintf(id, sizeof id, "%016llx%016llx", static_cast<unsigned long long>(random()),
                  static_cast<unsigned long long>(random()));
    c.sender = sender;
    c.message_id = id;
    c.accepted_at_ms = 1'700'000'000'000;
    c.kind = "report";
    c.envelope = envelope;
    c.deliveries.push_back({"node.fsa.", "incident report from " + c.sender + " (finance sector)"});
    lines += (lines.empty() ? "" : "\n") + c.kind + " '" + c.message_id + "' from " + c.sender +
             " at " + std::to_string(c.accepted_at_ms) + " -> node.fsa.";
  }
  if (n > 0)
    b.audit.push_back({b.commits.back().accepted_at_ms, "hub", "accepted",
                       std::to_string(n) + " messages", std::move(lines)});
  return b;
}

uint64_t ProcessBytesWritten() {
  std::ifstream io("/proc/self/io");
  std::string key;
  uint64_t value = 0;
  while (io >> key >> value)
    if (key == "wchar:") return value;
  return 0;
}

size_t OpenDescriptors() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

bool WaitForDescriptors(size_t at_most, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (OpenDescriptors() > at_most) {
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

}  // namespace renrakumo::bench
