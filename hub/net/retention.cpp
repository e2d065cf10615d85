// Retention: every prune_interval, deliveries older than keep_days that every current reader
// of their stream has processed are pruned from the journal. A stream with a reader that has
// never acknowledged anything keeps everything.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

#include "core/recipients.h"
#include "core/streams.h"
#include "net/hub.h"

namespace renrakumo::net {
namespace {

std::vector<std::string> AllStreams(const core::Topology& t) {
  std::vector<std::string> out{std::string(core::kAllStream)};
  for (const auto& s : t.config().sectors()) out.push_back(core::SectorStream(s.id()));
  for (const auto& n : t.config().nodes()) out.push_back(core::NodeStream(n.id()));
  return out;
}

}  // namespace

void Hub::MaybePrune(int64_t now_ms) {
  const auto& retention = options_.config.retention();
  if (retention.keep_days() == 0 || now_ms < next_prune_ms_) return;
  next_prune_ms_ = now_ms + int64_t{retention.prune_interval_s()} * 1000;
  std::map<std::string, uint64_t> safe_upto;
  for (const auto& stream : AllStreams(*options_.topology)) {
    if (journal_->LastSeq(stream) < journal_->FirstSeq(stream)) continue;  // nothing stored
    auto cursors = journal_->CursorsOn(stream);
    if (!cursors) continue;
    std::map<std::string, uint64_t> by_node;
    for (const auto& c : *cursors) by_node[c.node] = c.seq;
    uint64_t safe = journal_->LastSeq(stream);
    for (const auto& reader : core::ReadersOf(*options_.topology, stream))
      safe = std::min(safe, by_node.count(reader) ? by_node[reader] : uint64_t{0});
    if (safe > 0) safe_upto[stream] = safe;
  }
  const int64_t cutoff = now_ms - int64_t{retention.keep_days()} * 86'400'000;
  auto log = spdlog::get("hub.net");
  // First the workflow as of now: a restart must not need the relays, acknowledgements and
  // notices about to be deleted, or it would re-open deadlines they had closed.
  if (auto saved = SaveWorkflowSnapshot(); !saved) {
    log->error("retention: not pruning, the workflow snapshot could not be stored: {}",
               saved.error());
    return;
  }
  auto pruned = journal_->Prune(cutoff, safe_upto);
  if (!pruned)
    log->error("retention: pruning failed, nothing was removed: {}", pruned.error());
  else if (*pruned > 0)
    log->info("retention: pruned {} deliveries processed by every reader and older than {} days",
              *pruned, retention.keep_days());
}

}  // namespace renrakumo::net
