// renrakumo: the command-line tool every node uses. A thin shell over librenrakumo-client.
// Exit codes: 0 done, 1 could not reach or talk to the hub, 2 bad usage or config,
// 3 the hub rejected the message (the reason is printed), 4 a drill ended with recipients
// that did not acknowledge.
#include <CLI/CLI.hpp>

#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <thread>

#include "cli/common.h"
#include "cli/compose.h"
#include "cli/drill.h"
#include "cli/print.h"
#include "cli/queries.h"
#include "config/keys.h"
#include "config/load.h"
#include "core/decision.h"
#include "lib/client.h"
#include "renrakumo/v1/workflow.pb.h"

namespace {

using namespace renrakumo;
using cli::Common;
using cli::ConnectNode;
using cli::Fail;
namespace fs = std::filesystem;

// Messages an earlier run submitted but never saw answered go first, under their own ids.
int ResubmitOutbox(client::Client& node) {
  auto earlier = node.ResubmitOutbox();
  if (!earlier) return Fail(earlier.error(), 1);
  for (const auto& o : *earlier)
    std::cerr << "renrakumo: earlier message " << (o.accepted ? o.accepted_reply.message_id()
                                                              : o.rejected_reply.message_id())
              << (o.accepted ? " accepted" : " rejected: " + o.rejected_reply.reason()) << "\n";
  return 0;
}

int SubmitAndReport(const Common& c, v1::Envelope env, const std::string& default_tlp) {
  if (auto s = cli::FillEnvelope(env, c.tlp.empty() ? default_tlp : c.tlp, c.status, c.message_id); !s)
    return Fail(s.error(), 2);
  auto node = ConnectNode(c);
  if (!node) return Fail(node.error(), 1);
  if (auto s = ResubmitOutbox(**node); s != 0) return s;
  auto outcome = (*node)->Submit(env);
  if (!outcome) return Fail(outcome.error(), 1);
  if (!outcome->accepted) {
    const auto& r = outcome->rejected_reply;
    return Fail("rejected (" + std::string(core::RejectCodeName(r.code())) + "): " + r.reason(), 3);
  }
  const auto& a = outcome->accepted_reply;
  std::cout << "accepted" << (a.duplicate() ? " (already accepted earlier)" : "") << ": "
            << env.message_id() << " →";
  for (const auto& p : a.deliveries()) std::cout << " " << p.stream() << "#" << p.seq();
  if (a.deliveries().empty()) std::cout << " recorded (nothing to deliver)";
  std::cout << "\n";
  for (const auto& w : a.warnings()) std::cout << "warning: " << w << "\n";
  return 0;
}

// An Ed25519 signing key pair for a node that issues advisories or relays them.
int KeygenSigning(const std::string& id, const std::string& dir, bool force) {
  const auto keys = config::GenerateSigningKeyPair();
  if (auto s = config::WriteSigningKeyPair(dir, id, keys, force); !s) return Fail(s.error(), 2);
  std::cout << "wrote " << (fs::path(dir) / (id + ".sign.pub")).string() << " (public: list it in "
            << "the topology as signing_keys) and " << (fs::path(dir) / (id + ".sign.key")).string()
            << " (secret, mode 0600: the node config's signing_key_file)\n";
  return 0;
}

int Keygen(const std::string& id, const std::string& dir, bool force, const std::string& node_cfg,
           const std::string& hub_key, const std::vector<std::string>& hubs,
           const std::string& signers) {
  // Check the node-config options before writing anything: a mistake leaves no half-made files.
  if (!node_cfg.empty()) {
    if (hub_key.empty()) return Fail("--node-config needs --hub-key, the hub's public key file", 2);
    if (hubs.empty()) return Fail("--node-config needs at least one --hub INGEST,FANOUT", 2);
    for (const auto& h : hubs)
      if (h.find(',') == std::string::npos)
        return Fail("--hub takes INGEST,FANOUT endpoints; got '" + h + "'", 2);
    std::error_code ec;
    if (const auto parent = fs::path(node_cfg).parent_path(); !parent.empty())
      fs::create_directories(parent, ec);
    if (ec) return Fail("cannot create the directory of " + node_cfg + ": " + ec.message(), 2);
  }
  const auto keys = config::GenerateKeyPair();
  if (auto s = config::WriteKeyPair(dir, id, keys, force); !s) return Fail(s.error(), 2);
  std::cout << "wrote " << (fs::path(dir) / (id + ".pub")).string() << " (public) and "
            << (fs::path(dir) / (id + ".key")).string() << " (secret, mode 0600)\n";
  if (node_cfg.empty()) return 0;
  std::ofstream out(node_cfg, std::ios::trunc);
  out << "# renrakumo node config for " << id << " (written by renrakumo keygen)\n"
      << "node_id: " << id << "\n"
      << "public_key_file: " << fs::absolute(fs::path(dir) / (id + ".pub")).string() << "\n"
      << "secret_key_file: " << fs::absolute(fs::path(dir) / (id + ".key")).string() << "\n"
      << "hub_public_key_file: " << fs::absolute(hub_key).string() << "\n";
  if (const auto sign_key = fs::path(dir) / (id + ".sign.key"); fs::exists(sign_key))
    out << "# signs this node's advisories and relays\n"
        << "signing_key_file: " << fs::absolute(sign_key).string() << "\n";
  if (!signers.empty())
    out << "# whose signatures this node checks (renrakumo-hub signers)\n"
        << "signers_file: " << fs::absolute(signers).string() << "\n";
  out
      << "# contact routes in order of preference (the 2001 rules ask for at least two)\n"
      << "hubs:\n";
  for (const auto& h : hubs) {
    const auto comma = h.find(',');
    out << "  - ingest_endpoint: " << h.substr(0, comma) << "\n"
        << "    fanout_endpoint: " << h.substr(comma + 1) << "\n";
  }
  if (!out.flush()) return Fail("cannot write " + node_cfg, 2);
  std::cout << "wrote " << node_cfg << "\n";
  return 0;
}

int Relay(const Common& c, const std::string& sender, const std::string& original_id,
          const std::string& commentary) {
  auto node = ConnectNode(c);
  if (!node) return Fail(node.error(), 1);
  auto original = (*node)->GetMessage(sender, original_id);
  if (!original) return Fail("cannot relay: " + original.error(), 3);
  v1::Envelope env;
  auto* relay = env.mutable_relay();
  relay->set_original_message_id(original_id);
  relay->set_original_sender(sender);
  relay->set_original_envelope(original->envelope());  // byte for byte
  relay->set_commentary(commentary);
  v1::Envelope inner;
  inner.ParseFromString(original->envelope());
  // A relay keeps the original's marking unless the association asks for a stricter one.
  const std::string tlp = config::ShortEnumName(
      v1::Tlp_descriptor()->FindValueByNumber(inner.tlp() == 0 ? v1::TLP_GREEN : inner.tlp()));
  return SubmitAndReport(c, env, tlp);
}

int Listen(const Common& c, bool json, int count, int timeout_s, bool from_start) {
  auto node = ConnectNode(c);
  if (!node) return Fail(node.error(), 1);
  auto& client = **node;
  client.set_notice_handler([](const std::string& text) { std::cerr << "renrakumo: " << text << "\n"; });
  if (from_start)
    for (const auto& head : client.welcome().streams()) client.cursors().set(head.stream(), 0);
  if (!json)
    std::cerr << "listening as " << client.node_id() << " on " << client.route() << " ("
              << client.welcome().streams_size() << " streams)\n";
  int received = 0;
  while (count <= 0 || received < count) {
    auto next = client.Next(std::chrono::seconds(timeout_s > 0 ? timeout_s : 3600));
    if (!next) {
      // Say so, and keep trying every route with back-off: a listener must not give up.
      std::cerr << "renrakumo: " << next.error() << "; reconnecting\n";
      for (int delay_s = 1; !client.Reconnect(); delay_s = std::min(delay_s * 2, 30)) {
        if (timeout_s > 0) return Fail("cannot reach any hub route; giving up (--timeout set)", 1);
        std::this_thread::sleep_for(std::chrono::seconds(delay_s));
      }
      continue;
    }
    if (!*next) {
      if (timeout_s > 0) return count > 0 ? Fail("timed out after " + std::to_string(timeout_s) +
                                                     " s with " + std::to_string(received) + " of " +
                                                     std::to_string(count) + " deliveries", 1)
                                          : 0;
      continue;
    }
    const client::Provenance provenance = client.Check(**next);
    std::cout << (json ? cli::FormatJson(**next, &provenance) + "\n"
                       : cli::FormatReadable(**next, &provenance))
              << std::flush;
    ++received;
    if (auto s = client.CommitCursors(); !s) return Fail(s.error(), 1);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"renrakumo: the contact network's command-line tool"};
  app.require_subcommand(1);
  Common c;
  if (const char* env = std::getenv("RENRAKUMO_NODE_CONFIG")) c.node_config = env;
  auto add_common = [&](CLI::App* sub) {
    sub->add_option("-n,--node-config", c.node_config, "this node's config (or RENRAKUMO_NODE_CONFIG)");
    sub->add_option("--tlp", c.tlp, "TLP 2.0 marking: clear, green, amber, amber+strict, red");
    sub->add_option("--status", c.status, "actual, exercise or test")->capture_default_str();
    sub->add_option("--message-id", c.message_id, "idempotency key (default: random); reuse it to retry");
  };

  std::string id, dir = "keys", node_cfg, hub_key;
  std::vector<std::string> hubs;
  bool force = false;
  auto* keygen = app.add_subcommand("keygen", "write a node's CURVE key pair (<dir>/<id>.pub, .key)");
  keygen->add_option("--id", id, "node id")->required();
  keygen->add_option("--dir", dir, "directory for the key files")->capture_default_str();
  keygen->add_flag("--force", force, "replace an existing key pair");
  keygen->add_option("--node-config", node_cfg, "also write a node config file here");
  keygen->add_option("--hub-key", hub_key, "the hub's public key file (for --node-config)");
  keygen->add_option("--hub", hubs, "INGEST,FANOUT endpoints of a hub route (repeatable)");
  bool signing = false;
  std::string signers;
  keygen->add_flag("--signing", signing,
                   "write an Ed25519 signing key pair instead (<id>.sign.pub, .sign.key): for "
                   "ministries, the Cabinet Secretariat, associations and vendors");
  keygen->add_option("--signers", signers,
                     "signers.yaml this node trusts (for --node-config; see renrakumo-hub signers)");

  cli::ReportOptions ro;
  auto* report = app.add_subcommand("report", "file an incident report with your ministry");
  add_common(report);
  report->add_option("--incident", ro.incident_id, "incident id (phases share it)")->required();
  report->add_option("--phase", ro.phase, "flash, follow_up or final")->capture_default_str();
  report->add_option("--situation", ro.situation, "precursor, minor_failure, serious_failure, attack_confirmed")->required();
  report->add_option("--likelihood", ro.likelihood, "negligible, high_impact_if_attack, possible_unclear, high, confirmed")->required();
  report->add_option("--system", ro.system, "affected critical system of your sector, or other")->capture_default_str();
  report->add_option("--narrative", ro.narrative, "what happened");
  report->add_option("--evidence", ro.evidence, "port_scan, sniffer_on_gateway, backdoor, attack_notice, ...");
  report->add_option("--cause", ro.cause, "cause category, e.g. intentional_malware, under_investigation");
  report->add_flag("--cyber-suspected", ro.cyber_suspected, "a cyber cause is suspected");
  report->add_option("--contact", ro.contact, "contact person and route");
  report->add_option("--location", ro.location, "where");
  report->add_option("--response", ro.response, "response status");
  report->add_option("--served-operator", ro.served_operator, "provider: the operator affected");
  report->add_option("--users", ro.users, "users affected");
  report->add_option("--duration-min", ro.duration_min, "outage duration in minutes");
  report->add_option("--kw", ro.kw, "supply lost in kW");
  report->add_option("--households", ro.households, "households affected");
  report->add_option("--delay-min", ro.delay_min, "worst delay in minutes");
  report->add_option("--cancelled", ro.cancelled, "trains cancelled");

  cli::AssessOptions so;
  auto* assess = app.add_subcommand("assess", "classify an incident (ministry, Cabinet Secretariat)");
  add_common(assess);
  assess->add_option("--incident", so.incident_id, "incident id")->required();
  assess->add_option("--reporter", so.reporter, "node that filed it")->required();
  assess->add_option("--situation", so.situation, "matrix row")->required();
  assess->add_option("--likelihood", so.likelihood, "matrix column")->required();
  assess->add_flag("--at-risk", so.at_risk, "other operators may be harmed");
  assess->add_option("--notes", so.notes, "analysis notes");

  cli::AdviseOptions ao;
  auto* advise = app.add_subcommand("advise", "issue an advisory (government, vendors)");
  add_common(advise);
  advise->add_option("--kind", ao.kind, "warning, prevention_notice, countermeasure, all_clear, security_information")->capture_default_str();
  advise->add_option("--sector", ao.sectors, "audience sector (repeatable)");
  advise->add_option("--node", ao.nodes, "audience node (repeatable)");
  advise->add_flag("--everyone", ao.everyone, "every node of the network");
  advise->add_option("--severity", ao.severity, "minor, moderate, severe, extreme")->capture_default_str();
  advise->add_option("--title", ao.title, "one line")->required();
  advise->add_option("--body", ao.body, "the advisory text");
  advise->add_option("--incident", ao.incidents, "incident this concerns (repeatable)");
  advise->add_option("--lifecycle", ao.lifecycle, "alert, update or cancel")->capture_default_str();
  advise->add_option("--replaces", ao.replaces, "message id an update or cancel replaces");

  std::string from, original_id, commentary;
  auto* relay = app.add_subcommand("relay", "pass a received advisory on to your members, unchanged");
  add_common(relay);
  relay->add_option("--from", from, "node id that sent the original")->required();
  relay->add_option("--original", original_id, "message id of the original")->required();
  relay->add_option("--commentary", commentary, "your own words, sent alongside");

  std::string share_title, share_body;
  auto* share = app.add_subcommand("share", "share information with your sector's operators");
  add_common(share);
  share->add_option("--title", share_title, "one line")->required();
  share->add_option("--body", share_body, "the text");

  bool json = false, from_start = false;
  int count = 0, timeout_s = 0;
  auto* listen = app.add_subcommand("listen", "print deliveries as they arrive, catching up first");
  add_common(listen);
  listen->add_flag("--json", json, "one JSON object per line");
  listen->add_option("--count", count, "exit after this many deliveries");
  listen->add_option("--timeout", timeout_s, "exit after this many seconds without a delivery");
  listen->add_flag("--from-start", from_start, "replay every stream from its first delivery");

  std::string status_id, status_from;
  bool status_nodes = false;
  auto* status = app.add_subcommand("status", "who you are and your streams; or who got a message; or --nodes");
  add_common(status);
  status->add_option("message_id", status_id, "a message you sent (or relayed): list its recipients and their answers");
  status->add_option("--from", status_from, "the message's sender, if not you (Cabinet Secretariat)");
  status->add_flag("--nodes", status_nodes, "every node with its last-seen time (government only)");

  std::string inc_reporter, inc_id;
  bool inc_all = false;
  auto* incidents = app.add_subcommand("incidents", "open incidents you may see, with their current cell");
  add_common(incidents);
  incidents->add_flag("--all", inc_all, "also closed incidents and drills");
  auto* incident = app.add_subcommand("incident", "one incident with its full history and deadlines");
  add_common(incident);
  incident->add_option("incident_id", inc_id, "the reporter's incident id")->required();
  incident->add_option("--reporter", inc_reporter, "the operator that reported it (default: you)");

  cli::DrillOptions drill_options;
  auto* drill = app.add_subcommand("drill", "Cabinet Secretariat: a contact-confirmation drill down the whole chain");
  add_common(drill);
  drill->add_option("--title", drill_options.title, "the drill advisory's title")->capture_default_str();
  drill->add_option("--wait", drill_options.wait_s, "seconds to wait for acknowledgements")->capture_default_str();

  std::string ack_from, ack_id, ack_state = "read", ack_comment;
  auto* ack = app.add_subcommand("ack", "acknowledge a message you received: received, read, acted_on");
  add_common(ack);
  ack->add_option("--from", ack_from, "node id that sent it")->required();
  ack->add_option("--message", ack_id, "its message id")->required();
  ack->add_option("--state", ack_state, "received, read or acted_on")->capture_default_str();
  ack->add_option("--comment", ack_comment, "what was done");

  CLI11_PARSE(app, argc, argv);

  if (status->parsed()) return ShowStatus(c, status_id, status_from, status_nodes);
  if (drill->parsed()) {
    auto node = ConnectNode(c);
    if (!node) return Fail(node.error(), 1);
    drill_options.message_id = c.message_id;
    return cli::RunDrill(**node, drill_options);
  }
  if (incidents->parsed()) return ShowIncidents(c, "", "", inc_all);
  if (incident->parsed()) return ShowIncidents(c, inc_reporter, inc_id, true);
  if (ack->parsed()) {
    auto state = cli::ParseEnum<v1::AckState>("--state", ack_state);
    if (!state) return Fail(state.error(), 2);
    v1::Envelope env;
    env.mutable_acknowledgement()->set_message_sender(ack_from);
    env.mutable_acknowledgement()->set_message_id(ack_id);
    env.mutable_acknowledgement()->set_state(*state);
    env.mutable_acknowledgement()->set_comment(ack_comment);
    return SubmitAndReport(c, env, "amber");
  }
  if (keygen->parsed())
    return signing ? KeygenSigning(id, dir, force)
                   : Keygen(id, dir, force, node_cfg, hub_key, hubs, signers);
  if (listen->parsed()) return Listen(c, json, count, timeout_s, from_start);
  if (relay->parsed()) return Relay(c, from, original_id, commentary);
  v1::Envelope env;
  if (report->parsed()) {
    auto r = cli::ComposeReport(ro);
    if (!r) return Fail(r.error(), 2);
    *env.mutable_report() = *r;
    return SubmitAndReport(c, env, "amber");
  }
  if (assess->parsed()) {
    auto a = cli::ComposeAssessment(so);
    if (!a) return Fail(a.error(), 2);
    *env.mutable_assessment() = *a;
    return SubmitAndReport(c, env, "amber");
  }
  if (advise->parsed()) {
    auto a = cli::ComposeAdvisory(ao);
    if (!a) return Fail(a.error(), 2);
    *env.mutable_advisory() = *a;
    return SubmitAndReport(c, env, ao.everyone ? "clear" : "green");
  }
  if (share->parsed()) {
    env.mutable_share()->set_title(share_title);
    env.mutable_share()->set_body(share_body);
    return SubmitAndReport(c, env, "green");
  }
  return 2;
}
