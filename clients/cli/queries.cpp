#include "cli/queries.h"

#include <ctime>
#include <iomanip>
#include <iostream>

#include "config/enum_names.h"
#include "renrakumo/v1/workflow.pb.h"

namespace renrakumo::cli {
namespace {

std::string Clock(int64_t ms) {
  if (ms == 0) return "-";
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

int ShowNodes(client::Client& node) {
  auto nodes = node.Nodes();
  if (!nodes) return Fail(nodes.error(), 3);
  for (const auto& n : nodes->nodes())
    std::cout << std::left << std::setw(20) << n.node() << std::setw(12) << n.kind()
              << std::setw(13) << (n.sector().empty() ? "-" : n.sector())
              << (n.last_seen_ms() ? "last seen " + Clock(n.last_seen_ms()) : "not seen") << "\n";
  return 0;
}

int ShowMessageStatus(client::Client& node, const std::string& sender, const std::string& id) {
  auto status = node.Status(sender.empty() ? node.node_id() : sender, id);
  if (!status) return Fail(status.error(), 3);
  int answered = 0;
  std::cout << status->kind() << " " << status->message_id() << " from " << status->sender()
            << ", accepted " << Clock(status->accepted_at_ms()) << "\n";
  for (const auto& r : status->recipients()) {
    const bool acked = r.ack() != v1::ACK_STATE_UNSPECIFIED;
    answered += acked;
    std::cout << "  " << std::left << std::setw(20) << r.node() << std::setw(22) << ("via " + r.via())
              << std::setw(12) << (r.processed() ? "processed" : "pending")
              << (acked ? config::ShortEnumName(v1::AckState_descriptor()->FindValueByNumber(r.ack())) +
                              " " + Clock(r.ack_at_ms()) + (r.comment().empty() ? "" : " \"" + r.comment() + "\"")
                        : "no answer")
              << "\n";
  }
  std::cout << answered << " of " << status->recipients_size() << " recipients answered";
  if (answered < status->recipients_size()) {
    std::cout << "; waiting for:";
    for (const auto& r : status->recipients())
      if (r.ack() == v1::ACK_STATE_UNSPECIFIED) std::cout << " " << r.node();
  }
  std::cout << "\n";
  return 0;
}

std::string Word(const google::protobuf::EnumDescriptor* type, int value) {
  const auto* v = type->FindValueByNumber(value);
  return v == nullptr || value == 0 ? "-" : config::ShortEnumName(v);
}

std::string CellText(const v1::MatrixCell& cell) {
  static const char* kLetter[] = {"?", "a", "b", "c", "d", "e"};
  const int l = cell.likelihood();
  return std::string("(") + kLetter[l >= 0 && l <= 5 ? l : 0] + ") " +
         Word(v1::Situation_descriptor(), cell.situation()) + " / " +
         Word(v1::Likelihood_descriptor(), cell.likelihood());
}

}  // namespace

int ShowIncidents(const Common& c, const std::string& reporter, const std::string& id, bool all) {
  auto node = ConnectNode(c);
  if (!node) return Fail(node.error(), 1);
  v1::IncidentsQuery q;
  q.set_reporter(reporter);
  q.set_incident_id(id);
  q.set_include_closed(all);
  q.set_include_drills(all);
  auto list = (*node)->Incidents(q);
  if (!list) return Fail(list.error(), 3);
  if (list->incidents().empty()) std::cout << "no open incidents you may see\n";
  for (const auto& r : list->incidents()) {
    const bool drill = r.status() == v1::STATUS_EXERCISE || r.status() == v1::STATUS_TEST;
    std::cout << r.incident_id() << "  " << r.reporter() << " (" << r.sector() << ")  "
              << CellText(r.cell()) << "  opened " << Clock(r.opened_at_ms())
              << (r.closed() ? "  closed" : "") << (drill ? "  *** drill ***" : "") << "\n";
    if (id.empty()) continue;
    for (const auto& h : r.history())
      std::cout << "  " << Clock(h.at_ms()) << "  " << std::left << std::setw(12) << h.by()
                << std::setw(11) << Word(v1::ChangeSource_descriptor(), h.source())
                << CellText(h.cell())
                << (h.phase() ? "  " + Word(v1::ReportPhase_descriptor(), h.phase()) : "") << "\n";
    for (const auto& d : r.deadlines())
      std::cout << "  deadline " << Word(v1::DeadlineKind_descriptor(), d.kind()) << " due "
                << Clock(d.due_at_ms()) << ": " << Word(v1::DeadlineState_descriptor(), d.state())
                << (d.closed_why().empty() ? "" : " — " + d.closed_why()) << "\n";
  }
  return 0;
}

int ShowStatus(const Common& c, const std::string& message_id, const std::string& sender,
               bool nodes) {
  auto node = ConnectNode(c);
  if (!node) return Fail(node.error(), 1);
  if (nodes) return ShowNodes(**node);
  if (!message_id.empty()) return ShowMessageStatus(**node, sender, message_id);
  const auto& w = (*node)->welcome();
  std::cout << "connected to " << w.network_name() << " at " << (*node)->route() << " as "
            << w.node_id() << " (" << w.kind() << (w.sector().empty() ? "" : ", sector " + w.sector())
            << ")\n";
  for (const auto& head : w.streams())
    std::cout << "  " << head.stream() << "  last " << head.last_seq() << ", processed here "
              << (*node)->cursors().get(head.stream()) << "\n";
  return 0;
}

}  // namespace renrakumo::cli
