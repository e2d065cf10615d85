// Google Benchmark micro-benchmarks of the core's decision path, per message, on the
// synthetic network (1,000 finance and 1,000 telecom operators): what the hub's loop spends
// deciding a submission before the journal, and what publishing one delivery encodes.
// Target: decode + validate + route <= 2 us per message.
#include <benchmark/benchmark.h>

#include "config/signing.h"
#include "core/envelope_check.h"
#include "core/route.h"
#include "core/submit_frame.h"
#include "synthetic.h"
#include "renrakumo/v1/wire.pb.h"

namespace renrakumo::bench {
namespace {

const SyntheticNetwork& Network() {
  static const SyntheticNetwork net = MakeSyntheticNetwork(1000, 1000);
  return net;
}

const core::Topology& Topo() {
  static const core::Topology t(Network().topology);
  return t;
}

std::string ReportRequest() { return EncodeSubmit(7, MakeReport("m-000000000001", 1024)); }
std::string WarningRequest(const std::string& sector) {
  return EncodeSubmit(7, MakeWarning("w-000000000001", sector, 1024));
}

// What the hub's loop does per submission before the journal: the Submit read in place
// (core::FindSubmit), the envelope's bytes copied once (into the batch, in the hub), the
// Envelope parsed, CheckEnvelope, Route (hub/net/ingest.cpp HandleRequest/HandleSubmit).
void DecideOne(benchmark::State& state, const std::string& request, const char* sender_id) {
  const v1::Node* sender = Topo().node(sender_id);
  for (auto _ : state) {
    const auto submit = core::FindSubmit(request);
    if (!submit) {
      state.SkipWithError("request");
      break;
    }
    const std::string bytes(submit->envelope);
    v1::Envelope env;
    if (!env.ParseFromString(bytes)) state.SkipWithError("envelope");
    if (core::CheckEnvelope(env)) state.SkipWithError("check");
    core::Decision d = core::Route(Topo(), {*sender, env, nullptr});
    if (!d.accepted) state.SkipWithError(d.rejection.reason.c_str());
    benchmark::DoNotOptimize(d);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * request.size()));
}

void BM_Decide_Report(benchmark::State& s) { DecideOne(s, ReportRequest(), "bank-00500"); }
void BM_Decide_WarningDirect(benchmark::State& s) {
  DecideOne(s, WarningRequest("telecom"), "mic");
}
void BM_Decide_WarningViaAssociation(benchmark::State& s) {
  DecideOne(s, WarningRequest("finance"), "fsa");
}

void BM_ParseRequest(benchmark::State& state) {
  const std::string request = ReportRequest();
  for (auto _ : state) {
    v1::IngestRequest req;
    benchmark::DoNotOptimize(req.ParseFromString(request));
  }
}

// The hub's fast path for the same request: request id and envelope bytes found in place.
void BM_FindSubmit(benchmark::State& state) {
  const std::string request = ReportRequest();
  for (auto _ : state) benchmark::DoNotOptimize(core::FindSubmit(request));
}

void BM_ParseEnvelope(benchmark::State& state) {
  v1::IngestRequest req;
  req.ParseFromString(ReportRequest());
  for (auto _ : state) {
    v1::Envelope env;
    benchmark::DoNotOptimize(env.ParseFromString(req.submit().envelope()));
  }
}

void BM_CheckEnvelope(benchmark::State& state) {
  const v1::Envelope env = MakeReport("m-000000000001", 1024);
  for (auto _ : state) benchmark::DoNotOptimize(core::CheckEnvelope(env));
}

void BM_RouteReport(benchmark::State& state) {
  const v1::Envelope env = MakeReport("m-000000000001", 1024);
  const v1::Node* sender = Topo().node("bank-00500");
  for (auto _ : state) benchmark::DoNotOptimize(core::Route(Topo(), {*sender, env, nullptr}));
}

// hub/net/hub.cpp Publish(): one Delivery encoded per delivery (envelope copied in).
void BM_EncodeDelivery(benchmark::State& state) {
  const std::string env = MakeReport("m-000000000001", 1024).SerializeAsString();
  std::string bytes;
  for (auto _ : state) {
    v1::Delivery d;
    d.set_sender("bank-00500");
    d.set_accepted_at_ms(1'700'000'000'000);
    d.set_envelope(env);
    d.set_kind("report");
    d.set_stream("node.fsa.");
    d.set_seq(123456);
    d.set_note("incident report from bank-00500 (finance sector)");
    d.SerializeToString(&bytes);
    benchmark::DoNotOptimize(bytes);
  }
}

// What a signed advisory adds on the hub's loop: Ed25519 verification over the envelope's
// bytes (advisories are rare next to reports, but their cost should be known).
void BM_VerifyAdvisorySignature(benchmark::State& state) {
  const std::string request =
      EncodeSignedSubmit(7, MakeWarning("w-000000000001", "telecom", 1024), Network().mic_signing);
  v1::IngestRequest req;
  req.ParseFromString(request);
  const std::vector<std::string> keys{Network().mic_signing.public_z85};
  for (auto _ : state) {
    auto v = config::VerifyEnvelope(req.submit().envelope(), keys, "mic");
    if (v.verdict != config::Verdict::kValid) state.SkipWithError(v.reason.c_str());
    benchmark::DoNotOptimize(v);
  }
}

BENCHMARK(BM_Decide_Report);
BENCHMARK(BM_VerifyAdvisorySignature);
BENCHMARK(BM_Decide_WarningDirect);
BENCHMARK(BM_Decide_WarningViaAssociation);
BENCHMARK(BM_ParseRequest);
BENCHMARK(BM_FindSubmit);
BENCHMARK(BM_ParseEnvelope);
BENCHMARK(BM_CheckEnvelope);
BENCHMARK(BM_RouteReport);
BENCHMARK(BM_EncodeDelivery);

}  // namespace
}  // namespace renrakumo::bench

