#include "cli/drill.h"

#include <chrono>
#include <iomanip>
#include <iostream>
#include <map>
#include <thread>

namespace renrakumo::cli {
namespace {

struct Stage {
  int intended = 0, reached = 0, acknowledged = 0;
  std::vector<std::string> silent;
};

std::string StageOf(const std::string& kind) {
  if (kind == "ministry" || kind == "cabinet") return "1 ministries";
  if (kind == "association") return "2 associations";
  return "3 operators";
}

// Every node but the sender is meant to get the drill: a member whose association has not
// relayed yet is counted as not reached, not left out.
std::map<std::string, Stage> Tally(const v1::DeliveryStatus& status,
                                   const std::map<std::string, std::string>& kinds,
                                   const std::string& sender) {
  std::map<std::string, const v1::RecipientStatus*> by_node;
  for (const auto& r : status.recipients()) by_node[r.node()] = &r;
  std::map<std::string, Stage> stages;
  for (const auto& [node, kind] : kinds) {
    if (node == sender) continue;
    auto& s = stages[StageOf(kind)];
    ++s.intended;
    const auto it = by_node.find(node);
    const bool acked = it != by_node.end() && it->second->ack() != v1::ACK_STATE_UNSPECIFIED;
    s.reached += it != by_node.end() && (it->second->processed() || acked);
    s.acknowledged += acked;
    if (!acked) s.silent.push_back(node);
  }
  return stages;
}

int Percent(int part, int whole) { return whole == 0 ? 100 : 100 * part / whole; }

}  // namespace

int RunDrill(client::Client& cabinet, const DrillOptions& o) {
  auto nodes = cabinet.Nodes();
  if (!nodes) {
    std::cerr << "renrakumo: drill: " << nodes.error() << "\n";
    return 3;
  }
  std::map<std::string, std::string> kinds;
  for (const auto& n : nodes->nodes()) kinds[n.node()] = n.kind();

  v1::Envelope env;
  env.set_message_id(o.message_id.empty() ? client::NewMessageId() : o.message_id);
  env.set_status(v1::STATUS_EXERCISE);  // labelled everywhere; never a real incident
  env.set_tlp(v1::TLP_GREEN);
  auto* a = env.mutable_advisory();
  a->set_kind(v1::ADVISORY_PREVENTION_NOTICE);
  a->set_severity(v1::SEVERITY_MINOR);
  a->mutable_audience()->set_everyone(true);
  a->set_title(o.title);
  a->set_body("This is an exercise. Acknowledge receipt: renrakumo ack --from " +
              cabinet.node_id() + " --message " + env.message_id() + " --state read");
  auto sent = cabinet.Submit(env);
  if (!sent || !sent->accepted) {
    std::cerr << "renrakumo: drill not sent: "
              << (sent ? sent->rejected_reply.reason() : sent.error()) << "\n";
    return sent ? 3 : 1;
  }
  std::cout << "drill " << env.message_id() << " sent to every sector; waiting up to " << o.wait_s
            << " s for acknowledgements\n";

  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(o.wait_s);
  v1::DeliveryStatus status;
  for (;;) {
    auto now = cabinet.Status(cabinet.node_id(), env.message_id());
    if (!now) {
      std::cerr << "renrakumo: drill: " << now.error() << "\n";
      return 1;
    }
    status = *now;
    int answered = 0;
    for (const auto& r : status.recipients()) answered += r.ack() != v1::ACK_STATE_UNSPECIFIED;
    const int everyone = static_cast<int>(kinds.size()) - 1;  // all but the Cabinet itself
    std::cout << "  " << answered << " of " << everyone << " acknowledged\n" << std::flush;
    if (answered >= everyone || std::chrono::steady_clock::now() >= end) break;
    std::this_thread::sleep_for(std::chrono::seconds(1));  // a person's pace, not a sync
  }

  bool complete = true;
  std::cout << std::left << std::setw(16) << "stage" << std::setw(10) << "intended"
            << std::setw(14) << "reached" << "acknowledged\n";
  for (const auto& [name, s] : Tally(status, kinds, cabinet.node_id())) {
    std::cout << std::setw(16) << name.substr(2) << std::setw(10) << s.intended << std::setw(14)
              << (std::to_string(s.reached) + " (" + std::to_string(Percent(s.reached, s.intended)) + "%)")
              << s.acknowledged << " (" << Percent(s.acknowledged, s.intended) << "%)\n";
    if (!s.silent.empty()) {
      complete = false;
      std::cout << "    not acknowledged:";
      for (const auto& n : s.silent) std::cout << " " << n;
      std::cout << "\n";
    }
  }
  return complete ? 0 : 4;
}

}  // namespace renrakumo::cli
