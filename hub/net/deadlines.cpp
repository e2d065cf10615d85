// Deadlines of the seed's workflow (core/workflow.h), acted on by the loop: when one passes,
// the hub sends its notices (reminders, an overdue or automatic escalation) and, for an
// association that did not relay in time, delivers the advisory directly as a fallback. Each
// action is journalled like any message, under a message id derived from the deadline, so a
// restarted hub recognises what it already did and never does it twice.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <functional>

#include "core/envelope_check.h"
#include "core/streams.h"
#include "net/hub.h"
#include "renrakumo/v1/messages.pb.h"

namespace renrakumo::net {
namespace {

constexpr const char* kHubSender = "hub";

const char* KindWord(core::ActionKind kind) {
  switch (kind) {
    case core::ActionKind::kSendEscalation: return "automatic_escalation";
    case core::ActionKind::kEscalationOverdue: return "escalation_overdue";
    case core::ActionKind::kRelayFallback: return "relay_fallback";
    default: return "acknowledgement_reminder";
  }
}

// Stable across restarts: the same deadline and recipient always give the same id.
std::string ActionMessageId(const core::Action& a, const std::string& to) {
  const std::string basis = std::to_string(static_cast<int>(a.deadline.kind())) + "|" +
                            a.deadline.subject() + "|" + a.deadline.party() + "|" +
                            std::to_string(a.deadline.due_at_ms()) + "|" + to;
  char buf[40];
  std::snprintf(buf, sizeof buf, "hub-%016llx",
                static_cast<unsigned long long>(core::StableHash(basis)));
  return std::string(buf) + "-" + std::to_string(to.size());
}

core::Commit HubCommit(std::string message_id, int64_t now_ms, std::string kind,
                       const v1::Envelope& env) {
  core::Commit c;
  c.sender = kHubSender;
  c.message_id = std::move(message_id);
  c.accepted_at_ms = now_ms;
  c.kind = std::move(kind);
  c.envelope = env.SerializeAsString();
  return c;
}

}  // namespace

std::vector<core::Commit> Hub::CommitsFor(const core::Action& action, int64_t now_ms) {
  std::vector<core::Commit> out;
  for (const auto& n : action.notices) {
    v1::Envelope env;
    env.set_message_id(ActionMessageId(action, n.to));
    env.set_created_at_ms(now_ms);
    env.set_tlp(v1::TLP_AMBER);
    env.set_status(action.status);
    env.mutable_notice()->set_kind(KindWord(action.kind));
    env.mutable_notice()->set_subject(action.deadline.subject());
    env.mutable_notice()->set_text(n.text);
    auto c = HubCommit(env.message_id(), now_ms, "notice", env);
    c.deliveries.push_back({core::NodeStream(n.to), n.text});
    out.push_back(std::move(c));
  }
  if (action.kind != core::ActionKind::kRelayFallback || action.deliver_to.empty()) return out;
  // The fallback is the hub relaying the government's original, byte for byte.
  auto record = workflow_.advisories.find(action.deadline.subject());
  if (record == workflow_.advisories.end()) return out;
  auto original = journal_->Find(record->second.issuer(), record->second.message_id());
  if (!original) return out;
  v1::Envelope env;
  env.set_message_id(ActionMessageId(action, "fallback"));
  env.set_created_at_ms(now_ms);
  v1::Envelope inner;
  inner.ParseFromString(original->envelope);
  env.set_tlp(inner.tlp());
  env.set_status(action.status);
  auto* relay = env.mutable_relay();
  relay->set_original_message_id(original->message_id);
  relay->set_original_sender(original->sender);
  relay->set_original_envelope(original->envelope);
  relay->set_commentary(action.delivery_note);
  auto c = HubCommit(env.message_id(), now_ms, "relay", env);
  c.relay_of = core::MessageRef{original->sender, original->message_id};
  for (const auto& op : action.deliver_to) c.deliveries.push_back({core::NodeStream(op), action.delivery_note});
  out.push_back(std::move(c));
  return out;
}

void Hub::ActOnDeadlines(int64_t now_ms) {
  const auto next = core::NextDueAt(workflow_);
  if (!next || *next > now_ms || options_.rules.matrix().empty()) return;
  auto log = spdlog::get("hub.route");
  for (const auto& action : core::Due(options_.rules, workflow_, now_ms)) {
    std::vector<core::Commit> commits;
    for (auto& c : CommitsFor(action, now_ms))
      if (!journal_->Find(c.sender, c.message_id)) commits.push_back(std::move(c));  // done before a restart
    std::vector<core::AuditEntry> audit;
    for (const auto& n : action.notices)
      audit.push_back({now_ms, kHubSender, KindWord(action.kind), action.deadline.subject(),
                       "to " + n.to + ": " + n.text});
    if (commits.empty()) audit.clear();  // acted on before a restart: already audited
    auto positions = journal_->Append(commits, audit);
    if (!positions) {
      ++counters_.journal_failures;
      log->error("deadline {} of {}: journal write failed, will retry: {}", KindWord(action.kind),
                 action.deadline.subject(), positions.error());
      return;  // not completed: it comes due again on the next tick
    }
    for (size_t i = 0; i < commits.size(); ++i) Publish(commits[i], (*positions)[i]);
    core::Complete(workflow_, action, now_ms);
    if (commits.empty()) continue;  // done before a restart: only the state needed catching up
    ++counters_.deadline_actions;
    for (const auto& n : action.notices) log->warn("deadline passed → {}: {}", n.to, n.text);
  }
}

}  // namespace renrakumo::net
