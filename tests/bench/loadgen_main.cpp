// renrakumo-loadgen: drives the real hub over real CURVE sockets and, in the same run, the
// baseline forwarder, and prints every figure beside its baseline (see docs/performance.md).
// `--smoke` is the short run ctest uses: it checks that every message was accepted and
// delivered, and asserts nothing about time.
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <functional>
#include <iterator>
#include <random>
#include <sstream>

#include "agent.h"
#include "servers.h"
#include "table.h"

namespace renrakumo::bench {
namespace {
namespace fs = std::filesystem;

struct Options {
  bool smoke = false;
  std::vector<size_t> storm_ops = {100, 1000};
  size_t storm_msgs = 100000;
  // Baseline-then-hub pairs per storm; the table shows the pair with the median ratio. On this
  // shared machine one pair's ratio moves by +-10% with whatever else runs.
  size_t storm_rounds = 5;
  size_t window = 8;
  std::vector<size_t> fanout = {1000, 5000};
  size_t catchup = 100000;
  std::string hub_log_level = "info";
  size_t connect_rate = 1000;  // fan-out subscribers connected per second (0: all at once)
  std::string journal_root = std::filesystem::temp_directory_path().string();
  bool baseline = true;  // --no-baseline: the hub alone (for profiling it); ratios show 0
  std::string journal_engine = "log";  // --journal-engine sqlite: the other engine
};

std::vector<size_t> ParseList(const char* text) {
  std::vector<size_t> out;
  std::istringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(std::stoul(item));
  return out;
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--smoke") {
      o.smoke = true;
      o.storm_ops = {20};
      o.storm_msgs = 300;
      o.storm_rounds = 1;
      o.window = 4;
      o.fanout = {50};
      o.catchup = 300;
    } else if (a == "--storm-ops") o.storm_ops = ParseList(next());
    else if (a == "--storm-msgs") o.storm_msgs = std::stoul(next());
    else if (a == "--storm-rounds") o.storm_rounds = std::max<size_t>(1, std::stoul(next()));
    else if (a == "--window") o.window = std::stoul(next());
    else if (a == "--fanout") o.fanout = ParseList(next());
    else if (a == "--catchup") o.catchup = std::stoul(next());
    else if (a == "--hub-log-level") o.hub_log_level = next();
    else if (a == "--connect-rate") o.connect_rate = std::stoul(next());
    else if (a == "--journal-root") o.journal_root = next();  // e.g. /dev/shm: no disk
    else if (a == "--no-baseline") o.baseline = false;
    else if (a == "--journal-engine") {
      o.journal_engine = next();
      if (o.journal_engine != "sqlite" && o.journal_engine != "log")
        throw std::runtime_error("--journal-engine is sqlite or log, not " + o.journal_engine);
    }
    else throw std::runtime_error("unknown option " + a + " (see tests/bench/run.sh)");
  }
  return o;
}

// Each fan-out subscriber costs this process about one descriptor on the hub's side.
size_t RaiseDescriptorLimit() {
  rlimit r{};
  getrlimit(RLIMIT_NOFILE, &r);
  r.rlim_cur = r.rlim_max;
  setrlimit(RLIMIT_NOFILE, &r);
  getrlimit(RLIMIT_NOFILE, &r);
  return r.rlim_cur;
}

int64_t NowNs() { return std::chrono::steady_clock::now().time_since_epoch().count(); }

// CPU time of this process, every thread: the server under test (the other server idles
// meanwhile; the clients run in the agent processes).
int64_t ServerCpuNs() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec;
}

// CPU time of every thread of this process (by tid, with its name), and of one other process,
// so that a storm's CPU per message can be split between the loop, the ZeroMQ I/O threads, the
// checkpointer, and the client agent.
struct CpuSnapshot {
  std::map<int, std::pair<std::string, int64_t>> threads;  // tid -> (comm, on-CPU ns)
  std::map<int, int64_t> switches;                         // tid -> context switches
  std::map<int, int64_t> waiting;  // tid -> ns runnable but waiting for a CPU
  int64_t agent_ns = 0;
  int64_t agent_switches = 0;  // context switches of every thread of the agent
  int64_t tcp_out_segs = 0;  // the machine's (network namespace's) TCP segments sent
  // The machine's CPU time from /proc/stat, in clock ticks: all of it, idle (idle + iowait),
  // and stolen by the hypervisor for other guests.
  int64_t machine_ticks = 0, idle_ticks = 0, steal_ticks = 0;
};

// Voluntary plus involuntary context switches of one thread (/proc/<pid>/task/<tid>).
int64_t ContextSwitches(const fs::path& task) {
  std::ifstream status(task / "status");
  int64_t switches = 0;
  for (std::string l; std::getline(status, l);)
    if (l.rfind("voluntary_ctxt_switches:", 0) == 0 ||
        l.rfind("nonvoluntary_ctxt_switches:", 0) == 0)
      switches += std::stoll(l.substr(l.find(':') + 1));
  return switches;
}

CpuSnapshot TakeCpuSnapshot(pid_t agent) {
  CpuSnapshot snap;
  for (const auto& entry : fs::directory_iterator("/proc/self/task")) {
    std::ifstream comm(entry.path() / "comm"), sched(entry.path() / "schedstat");
    std::string name;
    int64_t ns = 0, wait_ns = 0;
    std::getline(comm, name);
    sched >> ns >> wait_ns;
    const int tid = std::stoi(entry.path().filename().string());
    snap.threads[tid] = {name, ns};
    snap.waiting[tid] = wait_ns;
    snap.switches[tid] = ContextSwitches(entry.path());
  }
  std::ifstream proc_stat("/proc/stat");
  std::string cpu;
  int64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  if (proc_stat >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal &&
      cpu == "cpu") {
    snap.machine_ticks = user + nice + system + idle + iowait + irq + softirq + steal;
    snap.idle_ticks = idle + iowait;
    snap.steal_ticks = steal;
  }
  std::ifstream snmp("/proc/net/snmp");
  std::vector<std::string> header;
  for (std::string l; std::getline(snmp, l);) {
    if (l.rfind("Tcp:", 0) != 0) continue;
    std::istringstream words(l);
    std::vector<std::string> w{std::istream_iterator<std::string>(words), {}};
    if (header.empty()) { header = w; continue; }
    for (size_t i = 0; i < w.size() && i < header.size(); ++i)
      if (header[i] == "OutSegs") snap.tcp_out_segs = std::stoll(w[i]);
  }
  // utime and stime are fields 14 and 15 of /proc/<pid>/stat, in clock ticks; the agent's own
  // threads are included (the process's totals).
  std::ifstream stat("/proc/" + std::to_string(agent) + "/stat");
  std::string line;
  std::getline(stat, line);
  std::istringstream rest(line.substr(line.rfind(')') + 2));
  std::string field;
  int64_t utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoll(field);
    if (i == 15) stime = std::stoll(field);
  }
  snap.agent_ns = (utime + stime) * (1'000'000'000 / sysconf(_SC_CLK_TCK));
  std::error_code ec;
  for (const auto& task : fs::directory_iterator("/proc/" + std::to_string(agent) + "/task", ec)) {
    snap.agent_switches += ContextSwitches(task.path());
  }
  return snap;
}

// "loop 9.1, ZMQbg/IO/0 6.3, ..., agent 8.0 us/msg": threads that used at least 0.05 us/msg.
std::string CpuSplit(const CpuSnapshot& before, const CpuSnapshot& after, size_t messages,
                     int loop_tid) {
  std::string out;
  char buf[96];
  const double per = 1000.0 * static_cast<double>(messages);
  for (const auto& [tid, t] : after.threads) {
    const auto it = before.threads.find(tid);
    const int64_t ns = t.second - (it == before.threads.end() ? 0 : it->second.second);
    if (static_cast<double>(ns) / per < 0.05) continue;
    const auto sw = before.switches.find(tid);
    std::snprintf(buf, sizeof buf, "%s%s %.1f (%.2f cs)", out.empty() ? "" : ", ",
                  tid == loop_tid ? "hub loop" : t.first.c_str(), static_cast<double>(ns) / per,
                  static_cast<double>(after.switches.at(tid) -
                                      (sw == before.switches.end() ? 0 : sw->second)) /
                      static_cast<double>(messages));
    out += buf;
  }
  std::snprintf(buf, sizeof buf, "; client agent %.1f us/msg (%.2f cs); %.2f TCP segments/msg",
                static_cast<double>(after.agent_ns - before.agent_ns) / per,
                static_cast<double>(after.agent_switches - before.agent_switches) /
                    static_cast<double>(messages),
                static_cast<double>(after.tcp_out_segs - before.tcp_out_segs) /
                    static_cast<double>(messages));
  out += buf;
  // Idle CPU means the servers' path waited on itself (hand-offs, the disk), not on the CPU;
  // stolen time is the hypervisor running other guests on these vCPUs.
  if (const int64_t ticks = after.machine_ticks - before.machine_ticks; ticks > 0) {
    std::snprintf(buf, sizeof buf, "; machine %.0f%% idle, %.0f%% stolen",
                  100.0 * static_cast<double>(after.idle_ticks - before.idle_ticks) /
                      static_cast<double>(ticks),
                  100.0 * static_cast<double>(after.steal_ticks - before.steal_ticks) /
                      static_cast<double>(ticks));
    out += buf;
  }
  return out;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

struct Failures {
  std::vector<std::string> list;
  void Check(bool ok, const std::string& what) {
    if (!ok) list.push_back(what);
  }
};

AgentReply Storm(Agent& agent, const std::string& endpoint, const std::string& key, size_t n,
                 const Options& o, bool check) {
  std::ostringstream cmd;
  cmd << "storm " << endpoint << ' ' << key << ' ' << n << ' ' << o.window << ' ' << o.storm_msgs
      << ' ' << (check ? 1 : 0);
  return agent.Call(cmd.str());
}

struct FanoutFigures {
  size_t got = 0;
  double p50_ms = 0, p99_ms = 0, p100_ms = 0, heap_kib_per_node = 0;
  std::string accepted;  // the issuer's answer
};

// Connects n subscribers (spread over the agents: each process holds at most its share of
// descriptors), waits until the server applied their subscriptions, measures the server's
// heap growth, then publishes once and times every subscriber's receipt.
FanoutFigures Fanout(std::vector<std::unique_ptr<Agent>>& agents,
                     const std::string& fanout_endpoint, const std::string& key, size_t n,
                     const std::function<uint64_t()>& applied, Requester& issuer,
                     const std::string& request, size_t rate) {
  FanoutFigures f;
  const long heap0 = HeapBytes();
  const size_t fds0 = OpenDescriptors();
  const uint64_t before = applied();
  const size_t share = (n + agents.size() - 1) / agents.size();
  for (size_t k = 0; k < agents.size(); ++k) {
    const size_t first = k * share, count = std::min(share, n - std::min(n, first));
    if (agents[k]->Call("subscribe " + fanout_endpoint + " " + key + " " + std::to_string(first) +
                        " " + std::to_string(count) + " sector.telecom. " + std::to_string(rate))
            .fields["status"] != "ok")
      return f;
  }
  const auto start = std::chrono::steady_clock::now();
  while (applied() - before < n && std::chrono::steady_clock::now() < start + std::chrono::seconds(60))
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::fprintf(stderr, "  %llu of %zu subscriptions applied after %.1f s\n",
               static_cast<unsigned long long>(applied() - before), n,
               std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  f.heap_kib_per_node = static_cast<double>(HeapBytes() - heap0) / 1024.0 / static_cast<double>(n);
  for (auto& a : agents) a->Send("await 30000");
  for (auto& a : agents) (void)a->Read();  // "polling"
  const int64_t t0 = NowNs();
  issuer.Send(request);
  std::vector<double> ms;
  for (auto& a : agents)
    for (int64_t t : a->Read().times) ms.push_back(static_cast<double>(t - t0) / 1e6);
  f.accepted = issuer.Answer(10000);
  f.got = ms.size();
  f.p50_ms = Percentile(ms, 0.5);
  f.p99_ms = Percentile(ms, 0.99);
  f.p100_ms = Percentile(ms, 1.0);
  for (auto& a : agents) {
    if (a->Call("unsubscribe").fields["settled"] != "1")
      std::fprintf(stderr, "  an agent's subscribers were still closing after 30 s\n");
  }
  // The server tears the connections down in the background: wait until it has closed them
  // (both servers share this process's descriptors: 10,000 left open would starve the next
  // one's accepts) and its heap has settled, so the next measurement does not see this one's
  // connections being closed and their memory being freed.
  if (!WaitForDescriptors(fds0 + 16, std::chrono::seconds(60)))
    std::fprintf(stderr, "  the server still held %zu descriptors (%zu before) after 60 s\n",
                 OpenDescriptors(), fds0);
  for (long last = -1, now = HeapBytes(); now != last; last = now, now = HeapBytes())
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  return f;
}

// The canned answers of the baseline: shaped like the hub's, built once.
std::string Fixed(double x, int digits) {
  char text[32];
  std::snprintf(text, sizeof text, "%.*f", digits, x);
  return text;
}

std::string CannedAccepted() {
  v1::IngestReply r;
  r.set_request_id(123456);
  auto* a = r.mutable_accepted();
  a->set_message_id("m-000000123456");
  a->set_accepted_at_ms(1'700'000'000'000);
  auto* p = a->add_deliveries();
  p->set_stream("node.fsa.");
  p->set_seq(123456);
  return r.SerializeAsString();
}

std::string CannedBatch(size_t count) {
  v1::IngestReply r;
  r.set_request_id(1);
  auto* b = r.mutable_batch();
  b->set_stream("node.fsa.");
  b->set_last_seq(200000);
  const std::string env = MakeReport("m-000000123456", 1024).SerializeAsString();
  for (size_t i = 0; i < count; ++i) {
    auto* d = b->add_deliveries();
    d->set_stream("node.fsa.");
    d->set_seq(i + 1);
    d->set_sender("bank-00001");
    d->set_accepted_at_ms(1'700'000'000'000);
    d->set_kind("report");
    d->set_note("incident report from bank-00001 (finance sector)");
    d->set_envelope(env);
  }
  return r.SerializeAsString();
}

int Run(const Options& o) {
  const size_t fds = RaiseDescriptorLimit();
  size_t max_fanout = 0;
  for (size_t n : o.fanout) max_fanout = std::max(max_fanout, n);
  // A subscriber costs its agent two descriptors (socket mailbox, TCP) and the hub one.
  const size_t per_agent = std::max<size_t>(1, (fds - 200) / 2);
  const size_t agent_count = std::max<size_t>(1, (max_fanout + per_agent - 1) / per_agent);
  if (max_fanout + 200 > fds) {
    std::fprintf(stderr, "descriptor limit %zu is too low for %zu subscribers: run "
                 "tests/bench/run.sh (ulimit -n) or pass a smaller --fanout\n", fds, max_fanout);
    return 2;
  }
  const size_t max_ops = *std::max_element(o.storm_ops.begin(), o.storm_ops.end());
  std::fprintf(stderr, "generating %zu + %zu node keys...\n", max_ops, max_fanout);
  const SyntheticNetwork net = MakeSyntheticNetwork(max_ops, max_fanout);
  std::vector<std::unique_ptr<Agent>> agents;  // forked now, while this process has no threads
  for (size_t k = 0; k < agent_count; ++k) agents.push_back(std::make_unique<Agent>(net));
  Agent& agent = *agents.front();
  const fs::path dir = fs::path(o.journal_root) /
                       ("renrakumo-bench-" + std::to_string(std::random_device{}()));
  fs::create_directories(dir);
  const std::string& key = net.hub_keys.public_z85;
  std::vector<Row> rows;
  Failures fail;

  auto base = StartForwarder(net, CannedAccepted());
  auto hub = std::make_unique<HubUnderTest>(net, dir, o.hub_log_level, o.journal_engine);
  size_t hub_accepted = 0;

  for (size_t n : o.storm_ops) {
    std::fprintf(stderr, "report storm, %zu operators, %zu rounds...\n", n, o.storm_rounds);
    struct Round {
      AgentReply b, h;
      int64_t base_cpu = 0, hub_cpu = 0;
      double ratio = 0;
    };
    std::vector<Round> rounds;
    for (size_t round = 1; round <= o.storm_rounds; ++round) {
      const CpuSnapshot base_split0 = TakeCpuSnapshot(agent.pid());
      const int64_t base_cpu0 = ServerCpuNs();
      AgentReply b = o.baseline ? Storm(agent, base->ingest_endpoint(), key, n, o, false)
                                : AgentReply{};
      const int64_t base_cpu = ServerCpuNs() - base_cpu0;
      const CpuSnapshot base_split1 = TakeCpuSnapshot(agent.pid());
      const auto t0 = hub->loop_time();
      const uint64_t syncs0 = hub->hub().counters().journal_syncs.load();
      const int64_t hub_cpu0 = ServerCpuNs();
      AgentReply h = Storm(agent, hub->ingest(), key, n, o, true);
      const int64_t hub_cpu = ServerCpuNs() - hub_cpu0;
      const auto t1 = hub->loop_time();
      const CpuSnapshot hub_split1 = TakeCpuSnapshot(agent.pid());
      if (o.baseline)
        std::fprintf(stderr, "  baseline CPU: %s\n",
                     CpuSplit(base_split0, base_split1, o.storm_msgs, -1).c_str());
      std::fprintf(stderr, "  hub CPU: %s\n",
                   CpuSplit(base_split1, hub_split1, o.storm_msgs, hub->loop_tid()).c_str());
      fail.Check(h.number("accepted") == static_cast<double>(o.storm_msgs),
                 "storm " + std::to_string(n) + ": " + h.fields["accepted"] + " of " +
                     std::to_string(o.storm_msgs) + " accepted (" + h.fields["rejected"] +
                     " rejected: " + h.fields["error"] + ")");
      fail.Check(!o.baseline || b.number("answered") == static_cast<double>(o.storm_msgs),
                 "baseline storm short");
      hub_accepted += static_cast<size_t>(h.number("accepted"));
      const auto& c = hub->hub().counters();
      const double wall = static_cast<double>(t1.wall_ns - t0.wall_ns) / 100.0;
      std::fprintf(stderr, "  hub: %llu accepted in %llu journal transactions and %llu disk syncs "
                   "so far; loop thread %.0f%% on CPU, %.0f%% waiting for a CPU, %.0f%% blocked or "
                   "idle\n",
                   static_cast<unsigned long long>(c.submits_accepted.load()),
                   static_cast<unsigned long long>(c.journal_batches.load()),
                   static_cast<unsigned long long>(c.journal_syncs.load()),
                   static_cast<double>(t1.on_cpu_ns - t0.on_cpu_ns) / wall,
                   static_cast<double>(t1.waiting_ns - t0.waiting_ns) / wall,
                   100.0 - static_cast<double>(t1.on_cpu_ns - t0.on_cpu_ns +
                                               t1.waiting_ns - t0.waiting_ns) / wall);
      // The sync thread is woken twice per sync (asked, then the disk done): its wait for a CPU
      // per sync is the part of the group commit's cycle that is neither disk nor work.
      const uint64_t syncs = c.journal_syncs.load() - syncs0;
      for (const auto& [tid, t] : hub_split1.threads) {
        const auto before = base_split1.threads.find(tid);
        if (t.first != "journal sync" || syncs == 0 || before == base_split1.threads.end())
          continue;
        std::fprintf(stderr, "  hub: sync thread %.1f us on CPU and %.1f us waiting for a CPU "
                     "per sync (%llu syncs)\n",
                     static_cast<double>(t.second - before->second.second) / 1e3 /
                         static_cast<double>(syncs),
                     static_cast<double>(hub_split1.waiting.at(tid) -
                                         base_split1.waiting.at(tid)) /
                         1e3 / static_cast<double>(syncs),
                     static_cast<unsigned long long>(syncs));
      }
      Round r{b, h, base_cpu, hub_cpu, 0};
      r.ratio = o.baseline ? (h.number("accepted") / h.number("secs")) /
                                 (b.number("answered") / b.number("secs"))
                           : 0;
      std::fprintf(stderr, "  round %zu: hub %.0f msg/s, baseline %.0f msg/s, ratio %.2f\n", round,
                   h.number("accepted") / h.number("secs"),
                   o.baseline ? b.number("answered") / b.number("secs") : 0.0, r.ratio);
      rounds.push_back(std::move(r));
    }
    // The round with the median ratio stands for the storm (its own figures, not a mix).
    std::sort(rounds.begin(), rounds.end(),
              [](const Round& x, const Round& y) { return x.ratio < y.ratio; });
    std::string spread;
    for (const auto& r : rounds) spread += (spread.empty() ? "" : ", ") + Fixed(r.ratio, 2);
    std::fprintf(stderr, "  ratios of the %zu rounds: %s; the table shows the median round\n",
                 rounds.size(), spread.c_str());
    const Round& m = rounds[rounds.size() / 2];
    const AgentReply& b = m.b;
    const AgentReply& h = m.h;
    const int64_t base_cpu = m.base_cpu, hub_cpu = m.hub_cpu;
    std::string s = "storm " + std::to_string(n) + " ops W=" + std::to_string(o.window);
    // Under tests/bench/slow_sync.cpp (run.sh --slow-sync-us): say so in every row.
    if (const char* us = std::getenv("RENRAKUMO_SLOW_SYNC_US"); us != nullptr && *us != '\0')
      s += " fsync+" + std::string(us) + "us";
    rows.push_back({s + " durable accepts", "msg/s", h.number("accepted") / h.number("secs"),
                    b.number("answered") / b.number("secs"), Goal::kRatioAtLeast, 0.7});
    rows.push_back({s + " p50 submit->accepted", "ms", h.number("p50_us") / 1000,
                    b.number("p50_us") / 1000});
    rows.push_back({s + " p99 submit->accepted", "ms", h.number("p99_us") / 1000,
                    b.number("p99_us") / 1000});
    // Includes connecting and the warm-up pings of the storm's operators (the same for both).
    rows.push_back({s + " server CPU per message", "us",
                    static_cast<double>(hub_cpu) / 1000 / static_cast<double>(o.storm_msgs),
                    o.baseline ? static_cast<double>(base_cpu) / 1000 / static_cast<double>(o.storm_msgs)
                               : 0.0});
  }

  {
    const size_t target = std::min(o.catchup, hub_accepted);
    const size_t per_batch = o.smoke ? 100 : 1000;
    std::fprintf(stderr, "catch-up, %zu deliveries...\n", target);
    auto canned = StartForwarder(net, CannedBatch(per_batch));
    auto cmd = [&](const std::string& ep, int check) {
      return "fetch " + ep + " " + key + " node.fsa. " + std::to_string(target) + " " +
             std::to_string(per_batch) + " 1 " + std::to_string(check);
    };
    AgentReply b = agent.Call(cmd(canned->ingest_endpoint(), 0));
    AgentReply h = agent.Call(cmd(hub->ingest(), 1));
    fail.Check(h.number("got") == static_cast<double>(target) && h.fields["error"] == "-",
               "catch-up: got " + h.fields["got"] + " of " + std::to_string(target) + ": " +
                   h.fields["error"] + h.fields["msg"]);
    rows.push_back({"catch-up " + std::to_string(target) + " via Fetch(" +
                        std::to_string(per_batch) + ")", "deliveries/s",
                    h.number("got") / h.number("secs"), b.number("got") / b.number("secs"),
                    Goal::kValueAtLeast, 200000});
  }

  Requester base_issuer(net.mic_keys, key, base->ingest_endpoint());
  Requester hub_issuer(net.mic_keys, key, hub->ingest());
  const v1::Envelope warning_template = MakeWarning("w-0", "telecom", 1024);
  int warnings = 0;
  for (size_t n : o.fanout) {
    std::fprintf(stderr, "fan-out to %zu subscribers...\n", n);
    v1::Envelope warning = warning_template;
    warning.set_message_id("w-" + std::to_string(++warnings));
    const std::string request =
        EncodeSignedSubmit(static_cast<uint64_t>(warnings), warning, net.mic_signing);
    FanoutFigures b = Fanout(agents, base->fanout_endpoint(), key, n,
                             [&] { return base->subscriptions(); }, base_issuer, request,
                             o.connect_rate);
    FanoutFigures h = Fanout(agents, hub->fanout(), key, n,
                             [&] { return hub->hub().counters().subscriptions_applied.load(); },
                             hub_issuer, request, o.connect_rate);
    v1::IngestReply answer;
    const bool accepted = answer.ParseFromString(h.accepted) && answer.has_accepted();
    hub_accepted += accepted ? 1 : 0;
    fail.Check(accepted, "fan-out " + std::to_string(n) + ": the warning was not accepted");
    fail.Check(h.got == n, "fan-out " + std::to_string(n) + ": " + std::to_string(h.got) +
                               " of " + std::to_string(n) + " subscribers got the warning");
    fail.Check(b.got == n, "baseline fan-out " + std::to_string(n) + ": " +
                               std::to_string(b.got) + " received");
    const std::string s = "fan-out " + std::to_string(n) + " SUB";
    rows.push_back({s + " p100 (last has it)", "ms", h.p100_ms, b.p100_ms, Goal::kRatioAtMost, 1.5});
    rows.push_back({s + " p50", "ms", h.p50_ms, b.p50_ms});
    rows.push_back({s + " p99", "ms", h.p99_ms, b.p99_ms});
    rows.push_back({s + " server heap per connection", "KiB", h.heap_kib_per_node,
                    b.heap_kib_per_node});
  }

  base.reset();
  hub->Stop();
  const double journal_bytes = static_cast<double>(hub->journal_bytes());
  rows.push_back({"journal bytes per message (1 KiB envelope)", "B",
                  journal_bytes / static_cast<double>(std::max<size_t>(hub_accepted, 1)),
                  static_cast<double>(MakeReport("m-000000000000", 1024).ByteSizeLong())});
  hub.reset();
  std::error_code ec;
  if (fail.list.empty()) fs::remove_all(dir, ec);
  else std::fprintf(stderr, "kept the hub's journal and log in %s\n", dir.c_str());

  PrintTable(rows, stdout);
  for (const auto& f : fail.list) std::fprintf(stderr, "FAILED: %s\n", f.c_str());
  return fail.list.empty() ? 0 : 1;
}

}  // namespace
}  // namespace renrakumo::bench

int main(int argc, char** argv) {
  try {
    return renrakumo::bench::Run(renrakumo::bench::ParseArgs(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "renrakumo-loadgen: %s\n", e.what());
    return 2;
  }
}
