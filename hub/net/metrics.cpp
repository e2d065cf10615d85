#include "net/metrics.h"

#include "core/decision.h"

namespace renrakumo::net {

std::string RenderPrometheus(const Counters& c) {
  std::string out;
#define RENRAKUMO_RENDER(name, help)                                              \
  out += "# HELP renrakumo_" #name "_total " help "\n# TYPE renrakumo_" #name     \
         "_total counter\nrenrakumo_" #name "_total " + std::to_string(c.name.load()) + "\n";
  RENRAKUMO_HUB_COUNTERS(RENRAKUMO_RENDER)
#undef RENRAKUMO_RENDER
  out += "# HELP renrakumo_rejections_by_code_total requests rejected, by reason code\n"
         "# TYPE renrakumo_rejections_by_code_total counter\n";
  for (int code = 1; code < Counters::kRejectCodes; ++code) {
    const auto name = core::RejectCodeName(static_cast<v1::RejectCode>(code));
    if (name == "unspecified") continue;
    out += "renrakumo_rejections_by_code_total{code=\"" + std::string(name) + "\"} " +
           std::to_string(c.rejections_by_code[code].load()) + "\n";
  }
  out += "# HELP renrakumo_held_for_disk answers and deliveries waiting for the journal's disk "
         "sync now\n# TYPE renrakumo_held_for_disk gauge\nrenrakumo_held_for_disk " +
         std::to_string(c.held_now.load()) + "\n";
  return out;
}

}  // namespace renrakumo::net
