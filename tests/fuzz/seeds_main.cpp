// fuzz_ingest_seeds <dir> [config-dir]: writes fuzz_ingest's seed corpus, one serialized
// IngestRequest per file: a message of each kind from each kind of sender of the sample
// topology (accepted and refused), the other requests, and edge cases (limits, unknown enum
// values, invalid UTF-8, truncation, nesting). Generated at build/test time so that no binary
// file is committed; the request id encodes the sender exactly as fuzz_ingest decodes it.
// Each submit seed is checked to get the answer it was written for (exit 1 if not).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "config/load.h"
#include "config/rules_load.h"
#include "history.h"
#include "renrakumo/v1/wire.pb.h"
#include "seeds.h"

namespace renrakumo::fuzz {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void Die(const std::string& what, int code = 2) {
  std::fprintf(stderr, "fuzz_ingest_seeds: %s\n", what.c_str());
  std::exit(code);
}

// The hub's answer to a seed's submit as fuzz_ingest runs it, and why.
core::Rejection Answer(const World& w, const Seed& seed) {
  v1::IngestRequest req;
  v1::Envelope env;
  if (!req.ParseFromString(seed.bytes) || !env.ParseFromString(req.submit().envelope()))
    return {v1::REJECT_MALFORMED, "the seed does not parse"};
  const auto n = static_cast<uint64_t>(w.topology.config().nodes_size());
  const v1::Node& sender = w.topology.config().nodes(static_cast<int>(req.request_id() % n));
  History h = ImagineHistory(w, sender, env, req.request_id() / n);
  const Outcome o = Decide(w, h, sender, env, kT0);
  return o.refusal ? *o.refusal : core::Rejection{v1::REJECT_UNSPECIFIED, "accepted"};
}

}  // namespace
}  // namespace renrakumo::fuzz

int main(int argc, char** argv) {
  using namespace renrakumo;
  if (argc < 2 || argc > 3) fuzz::Die("usage: fuzz_ingest_seeds <dir> [config-dir]");
  const std::string config_dir = argc == 3 ? argv[2] : RENRAKUMO_SOURCE_DIR "/config";
  Result<config::LoadedTopology> t = config::LoadTopology(config_dir + "/topology.yaml", "");
  if (!t) fuzz::Die(t.error());
  const fuzz::fs::path dir = argv[1];
  std::error_code ec;
  fuzz::fs::create_directories(dir, ec);
  if (ec) fuzz::Die("cannot create " + dir.string() + ": " + ec.message());
  Result<v1::Rules> rules = config::LoadRules(config_dir + "/rules.yaml");
  if (!rules) fuzz::Die(rules.error());
  const std::vector<fuzz::Seed> seeds = fuzz::Seeds(t->topology);
  const fuzz::World world{core::Topology(t->topology), std::move(rules).value()};
  int wrong = 0;
  for (const fuzz::Seed& s : seeds) {
    if (!s.checked) continue;
    const core::Rejection got = fuzz::Answer(world, s);
    if (got.code == s.expect) continue;
    ++wrong;
    std::fprintf(stderr, "fuzz_ingest_seeds: seed %s is meant to get %s but gets %s: %s\n",
                 s.name.c_str(), v1::RejectCode_Name(s.expect).c_str(),
                 v1::RejectCode_Name(got.code).c_str(), got.reason.c_str());
  }
  if (wrong > 0) fuzz::Die(std::to_string(wrong) + " seeds no longer reach their path; "
                           "update tests/fuzz/seeds.cpp", 1);
  for (const fuzz::Seed& s : seeds) {
    std::ofstream out(dir / ("seed-" + s.name), std::ios::binary | std::ios::trunc);
    out << s.bytes;
    if (!out) fuzz::Die("cannot write " + (dir / ("seed-" + s.name)).string());
  }
  std::printf("fuzz_ingest_seeds: %zu seeds in %s\n", seeds.size(), dir.c_str());
  return 0;
}
