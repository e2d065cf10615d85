// The seed corpus of fuzz_ingest, built in memory from the sample topology (seeds.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "renrakumo/v1/config.pb.h"
#include "renrakumo/v1/wire.pb.h"

namespace renrakumo::fuzz {

struct Seed {
  std::string name;   // file name: <request>-<kind>-<sender>[-<variant>]
  std::string bytes;  // a serialized IngestRequest (or, for edge cases, not quite one)
  // For a submit: the hub's answer it is meant to get, REJECT_UNSPECIFIED for "accepted".
  // fuzz_ingest_seeds checks each, so that a change to the config or the checks cannot
  // silently leave the fuzzer without the paths the corpus was written to reach.
  bool checked = false;
  v1::RejectCode expect = v1::REJECT_UNSPECIFIED;
};

std::vector<Seed> Seeds(const v1::Topology& topology);

}  // namespace renrakumo::fuzz
