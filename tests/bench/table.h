// The load generator's result table: one row per figure, renrakumo beside the baseline
// measured in the same run, their ratio, the target, and whether it was met.
#pragma once

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

namespace renrakumo::bench {

enum class Goal { kNone, kRatioAtLeast, kRatioAtMost, kValueAtLeast, kValueAtMost };

struct Row {
  std::string scenario;
  std::string unit;
  double ours = 0;
  double baseline = 0;  // 0 when there is no baseline figure
  Goal goal = Goal::kNone;
  double target = 0;

  double ratio() const { return baseline > 0 ? ours / baseline : 0; }
  std::string target_text() const {
    char buf[48];
    switch (goal) {
      case Goal::kNone: return "-";
      case Goal::kRatioAtLeast: std::snprintf(buf, sizeof buf, ">= %.2fx", target); break;
      case Goal::kRatioAtMost: std::snprintf(buf, sizeof buf, "<= %.2fx", target); break;
      case Goal::kValueAtLeast: std::snprintf(buf, sizeof buf, ">= %.0f", target); break;
      case Goal::kValueAtMost: std::snprintf(buf, sizeof buf, "<= %.2f", target); break;
    }
    return buf;
  }
  std::string met() const {
    switch (goal) {
      case Goal::kNone: return "";
      case Goal::kRatioAtLeast: return ratio() >= target ? "yes" : "NO";
      case Goal::kRatioAtMost: return ratio() <= target ? "yes" : "NO";
      case Goal::kValueAtLeast: return ours >= target ? "yes" : "NO";
      case Goal::kValueAtMost: return ours <= target ? "yes" : "NO";
    }
    return "";
  }
};

inline void PrintTable(const std::vector<Row>& rows, FILE* out) {
  // At least 52 wide (run.sh appends rows of that width); wider for long scenario names.
  int width = 52;
  for (const auto& r : rows)
    width = std::max(width, static_cast<int>(r.scenario.size() + r.unit.size() + 3));
  std::fprintf(out, "| %-*s | %14s | %14s | %7s | %9s | %4s |\n", width, "scenario",
               "renrakumo", "baseline", "ratio", "target", "met");
  std::fprintf(out, "|%s|%s|%s|%s|%s|%s|\n", std::string(static_cast<size_t>(width) + 2, '-').c_str(),
               std::string(16, '-').c_str(), std::string(16, '-').c_str(),
               std::string(9, '-').c_str(), std::string(11, '-').c_str(),
               std::string(6, '-').c_str());
  for (const auto& r : rows) {
    const std::string name = r.scenario + " (" + r.unit + ")";
    char base[32] = "-", ratio[16] = "-";
    if (r.baseline > 0) {
      std::snprintf(base, sizeof base, "%.1f", r.baseline);
      std::snprintf(ratio, sizeof ratio, "%.2f", r.ratio());
    }
    std::fprintf(out, "| %-*s | %14.1f | %14s | %7s | %9s | %4s |\n", width, name.c_str(), r.ours,
                 base, ratio, r.target_text().c_str(), r.met().c_str());
  }
  std::fflush(out);
}

}  // namespace renrakumo::bench
