#include "agent.h"

#include <sys/epoll.h>
#include <sys/prctl.h>
#include <csignal>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.hpp>

#include <algorithm>
#include <chrono>
#include <deque>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "renrakumo/v1/wire.pb.h"

namespace renrakumo::bench {
namespace {

using Clock = std::chrono::steady_clock;

int64_t NowNs() { return Clock::now().time_since_epoch().count(); }

// The client library's socket options (clients/lib/connection.cpp).
zmq::socket_t NodeSocket(zmq::context_t& ctx, zmq::socket_type type, const config::KeyPair& keys,
                         const std::string& server_public) {
  zmq::socket_t s(ctx, type);
  auto pub = config::DecodeZ85(keys.public_z85);
  auto sec = config::DecodeZ85(keys.secret_z85);
  auto srv = config::DecodeZ85(server_public);
  if (!pub || !sec || !srv) throw std::runtime_error("bad key");
  s.set(zmq::sockopt::linger, 0);
  s.set(zmq::sockopt::curve_serverkey, zmq::const_buffer(srv->data(), srv->size()));
  s.set(zmq::sockopt::curve_publickey, zmq::const_buffer(pub->data(), pub->size()));
  s.set(zmq::sockopt::curve_secretkey, zmq::const_buffer(sec->data(), sec->size()));
  s.set(zmq::sockopt::heartbeat_ivl, 5000);
  s.set(zmq::sockopt::heartbeat_timeout, 15000);
  s.set(zmq::sockopt::heartbeat_ttl, 15000);
  s.set(zmq::sockopt::reconnect_ivl, 100);
  return s;
}

// Level-triggered epoll over the sockets' ZMQ_FD (the mailbox eventfd): O(1) per event
// where zmq_poll would rescan thousands of sockets every round. ZMQ_FD only fires once a
// socket has tried to read and found nothing, so an idle round hands back every socket for
// the caller to check with ZMQ_EVENTS: nothing is missed, at worst it is seen one round late.
class SocketSet {
 public:
  explicit SocketSet(std::vector<zmq::socket_t>& sockets)
      : sockets_(sockets), watched_(sockets.size(), true) {
    ep_ = epoll_create1(0);
    for (size_t i = 0; i < sockets.size(); ++i) {
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u32 = static_cast<uint32_t>(i);
      epoll_ctl(ep_, EPOLL_CTL_ADD, sockets_[i].get(zmq::sockopt::fd), &ev);
    }
  }
  ~SocketSet() { close(ep_); }
  SocketSet(const SocketSet&) = delete;
  SocketSet& operator=(const SocketSet&) = delete;
  void Forget(size_t i) {
    if (!watched_[i]) return;
    watched_[i] = false;
    epoll_ctl(ep_, EPOLL_CTL_DEL, sockets_[i].get(zmq::sockopt::fd), nullptr);
  }
  // Sockets that may have something to read (check ZMQ_EVENTS), after waiting.
  std::vector<size_t> Wait(int timeout_ms) {
    epoll_event events[1024];
    const int n = epoll_wait(ep_, events, 1024, timeout_ms);
    std::vector<size_t> ready;
    for (int i = 0; i < n; ++i) ready.push_back(events[i].data.u32);
    if (n <= 0)
      for (size_t i = 0; i < watched_.size(); ++i)
        if (watched_[i]) ready.push_back(i);
    return ready;
  }

 private:
  std::vector<zmq::socket_t>& sockets_;
  std::vector<bool> watched_;
  int ep_ = -1;
};

bool Readable(zmq::socket_t& s) { return (s.get(zmq::sockopt::events) & ZMQ_POLLIN) != 0; }

int64_t Percentile(std::vector<int64_t> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  return v[i];
}

std::string Token(std::string text) {
  std::replace(text.begin(), text.end(), ' ', '_');
  return text.empty() ? "-" : text;
}

struct State {
  const SyntheticNetwork& net;
  zmq::context_t ctx;
  std::vector<zmq::socket_t> subs;
  std::string topic;
  uint64_t next_message = 0;  // message ids stay unique across storms
  size_t fds_before_subscribe = 0;
};

// Sends one ping on each socket and waits until every one answered: handshakes done.
bool WarmUp(std::vector<zmq::socket_t>& socks, SocketSet& set) {
  v1::IngestRequest ping;
  ping.mutable_ping()->set_sent_at_ms(1);
  const std::string bytes = ping.SerializeAsString();
  for (auto& s : socks) (void)s.send(zmq::buffer(bytes), zmq::send_flags::dontwait);
  std::vector<bool> answered(socks.size(), false);
  size_t count = 0;
  const auto deadline = Clock::now() + std::chrono::seconds(120);
  while (count < socks.size() && Clock::now() < deadline) {
    for (size_t i : set.Wait(20)) {
      zmq::message_t m;
      while (Readable(socks[i]) && socks[i].recv(m, zmq::recv_flags::dontwait))
        if (!answered[i]) answered[i] = true, ++count;
    }
  }
  return count == socks.size();
}

std::string Storm(State& st, std::istringstream& args) {
  std::string endpoint, server;
  size_t n = 0, window = 0, total = 0;
  int check = 0;
  args >> endpoint >> server >> n >> window >> total >> check;
  n = std::min(n, st.net.finance_keys.size());
  std::vector<zmq::socket_t> socks;
  for (size_t i = 0; i < n; ++i) {
    socks.push_back(NodeSocket(st.ctx, zmq::socket_type::dealer, st.net.finance_keys[i], server));
    socks.back().connect(endpoint);
  }
  SocketSet set(socks);
  if (!WarmUp(socks, set)) return "error msg=not_every_node_connected_within_120s";

  struct Outstanding { uint64_t request_id; int64_t sent_ns; };
  std::vector<std::deque<Outstanding>> outstanding(n);
  std::vector<size_t> quota(n), sent(n, 0);
  for (size_t i = 0; i < n; ++i) quota[i] = total / n + (i < total % n ? 1 : 0);
  v1::Envelope env = MakeReport("m-000000000000", 1024);
  auto send_one = [&](size_t i) {
    char id[32];
    std::snprintf(id, sizeof id, "m-%012llu", static_cast<unsigned long long>(++st.next_message));
    env.set_message_id(id);
    const std::string bytes = EncodeSubmit(st.next_message, env);
    outstanding[i].push_back({st.next_message, NowNs()});
    (void)socks[i].send(zmq::buffer(bytes), zmq::send_flags::dontwait);
    ++sent[i];
  };
  std::vector<int64_t> latency;
  latency.reserve(total);
  size_t accepted = 0, rejected = 0, other = 0;
  std::string first_error;
  const int64_t start = NowNs();
  for (size_t i = 0; i < n; ++i)
    for (size_t w = 0; w < window && sent[i] < quota[i]; ++w) send_one(i);
  const auto deadline = Clock::now() + std::chrono::seconds(300);
  v1::IngestReply reply;
  while (latency.size() < total && Clock::now() < deadline) {
    for (size_t i : set.Wait(10)) {
      zmq::message_t m;
      while (Readable(socks[i]) && socks[i].recv(m, zmq::recv_flags::dontwait)) {
        if (outstanding[i].empty()) { ++other; continue; }
        const Outstanding o = outstanding[i].front();
        outstanding[i].pop_front();
        latency.push_back(NowNs() - o.sent_ns);
        // Both servers' answers are decoded, as a client does; only the hub's carry the
        // request's id (the baseline sends one canned answer).
        if (!reply.ParseFromArray(m.data(), static_cast<int>(m.size()))) {
          ++other;
        } else if (reply.has_accepted() && (!check || reply.request_id() == o.request_id)) {
          ++accepted;
        } else if (reply.has_rejected()) {
          ++rejected;
          if (first_error.empty()) first_error = reply.rejected().reason();
        } else {
          ++other;
        }
        if (sent[i] < quota[i]) send_one(i);
      }
    }
  }
  const double secs = static_cast<double>(NowNs() - start) / 1e9;
  std::ostringstream out;
  out << "ok sent=" << total << " answered=" << latency.size() << " accepted=" << accepted
      << " rejected=" << rejected << " other=" << other << " secs=" << secs
      << " p50_us=" << Percentile(latency, 0.50) / 1000
      << " p99_us=" << Percentile(latency, 0.99) / 1000
      << " max_us=" << Percentile(latency, 1.0) / 1000 << " error=" << Token(first_error);
  return out.str();
}

std::string Subscribe(State& st, std::istringstream& args) {
  std::string endpoint, server;
  size_t first = 0, n = 0, rate = 0;
  args >> endpoint >> server >> first >> n >> st.topic >> rate;
  n = std::min(n, st.net.telecom_keys.size() - std::min(first, st.net.telecom_keys.size()));
  st.subs.clear();
  st.fds_before_subscribe = OpenDescriptors();
  for (size_t i = first; i < first + n; ++i) {
    st.subs.push_back(NodeSocket(st.ctx, zmq::socket_type::sub, st.net.telecom_keys[i], server));
    st.subs.back().set(zmq::sockopt::rcvhwm, 0);
    st.subs.back().set(zmq::sockopt::subscribe, st.topic);
    st.subs.back().connect(endpoint);
    // Paced: a burst of thousands of connects overflows the server's listen backlog (ZMQ
    // default 100) and the dropped SYNs come back only after TCP's 1, 3, 7, 15 s retries.
    if (rate > 0 && (i - first + 1) % 100 == 0)
      std::this_thread::sleep_for(std::chrono::microseconds(100'000'000 / rate));
  }
  return "ok subscribed=" + std::to_string(n);
}

// Closes the subscribers and waits (at most 30 s) until libzmq has closed their connections,
// so that the next server's subscribers find the descriptors free.
std::string Unsubscribe(State& st) {
  const size_t n = st.subs.size();
  st.subs.clear();
  const bool settled = WaitForDescriptors(st.fds_before_subscribe + 8, std::chrono::seconds(30));
  return "ok closed=" + std::to_string(n) + " open_fds=" + std::to_string(OpenDescriptors()) +
         " settled=" + (settled ? "1" : "0");
}

// Waits until every subscriber has one message; answers "polling" first, so the parent
// publishes only once the agent is watching. Times are taken when epoll returns.
std::string Await(State& st, std::istringstream& args, FILE* out) {
  int timeout_ms = 0;
  args >> timeout_ms;
  SocketSet set(st.subs);
  std::vector<int64_t> times(st.subs.size(), -1);
  size_t got = 0, wrong = 0;
  auto take = [&](size_t i, int64_t now) {
    zmq::message_t topic, body;
    if (times[i] >= 0 || !Readable(st.subs[i]) ||
        !st.subs[i].recv(topic, zmq::recv_flags::dontwait))
      return;
    (void)st.subs[i].recv(body, zmq::recv_flags::none);
    if (topic.to_string_view() != st.topic || body.size() == 0) ++wrong;
    times[i] = now;
    ++got;
    set.Forget(i);
  };
  for (size_t i = 0; i < st.subs.size(); ++i) take(i, NowNs());  // anything early
  std::fprintf(out, "ok polling\n");
  std::fflush(out);
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (got < st.subs.size() && Clock::now() < deadline) {
    auto ready = set.Wait(20);
    const int64_t now = NowNs();
    for (size_t i : ready) take(i, now);
  }
  std::ostringstream reply;
  reply << "ok got=" << got << " wrong=" << wrong << " times=";
  for (size_t i = 0; i < times.size(); ++i)
    if (times[i] >= 0) reply << times[i] << ',';
  return reply.str();
}

std::string Fetch(State& st, std::istringstream& args) {
  std::string endpoint, server, stream;
  uint64_t target = 0, max = 0, window = 0;
  int check = 0;
  args >> endpoint >> server >> stream >> target >> max >> window >> check;
  std::vector<zmq::socket_t> socks;
  socks.push_back(NodeSocket(st.ctx, zmq::socket_type::dealer, st.net.fsa_keys, server));
  socks[0].connect(endpoint);
  SocketSet set(socks);
  if (!WarmUp(socks, set)) return "error msg=fetcher_could_not_connect";
  uint64_t requested = 0, got = 0, requests = 0, bytes = 0, expect_seq = 1;
  std::string error;
  auto ask = [&] {
    v1::IngestRequest req;
    req.set_request_id(++requests);
    req.mutable_fetch()->set_stream(stream);
    req.mutable_fetch()->set_after_seq(requested);
    req.mutable_fetch()->set_max_count(static_cast<uint32_t>(max));
    requested += max;
    (void)socks[0].send(zmq::buffer(req.SerializeAsString()), zmq::send_flags::dontwait);
  };
  const int64_t start = NowNs();
  for (uint64_t w = 0; w < window && requested < target; ++w) ask();
  const auto deadline = Clock::now() + std::chrono::seconds(120);
  v1::IngestReply reply;
  while (got < target && error.empty() && Clock::now() < deadline) {
    zmq::message_t m;
    set.Wait(10);
    while (Readable(socks[0]) && socks[0].recv(m, zmq::recv_flags::dontwait)) {
      bytes += m.size();
      if (!reply.ParseFromArray(m.data(), static_cast<int>(m.size())) || !reply.has_batch()) {
        error = reply.has_rejected() ? reply.rejected().reason() : "not a batch";
        break;
      }
      for (const auto& d : reply.batch().deliveries()) {
        if (check && d.seq() != expect_seq) error = "sequence gap at " + std::to_string(expect_seq);
        ++expect_seq;
      }
      got += static_cast<uint64_t>(reply.batch().deliveries_size());
      if (requested < target) ask();
    }
  }
  std::ostringstream out;
  out << "ok got=" << got << " requests=" << requests << " bytes=" << bytes
      << " secs=" << static_cast<double>(NowNs() - start) / 1e9 << " error=" << Token(error);
  return out.str();
}

}  // namespace

double AgentReply::number(const std::string& key) const {
  auto it = fields.find(key);
  return it == fields.end() ? 0.0 : std::stod(it->second);
}

int ServeCommands(const SyntheticNetwork& net, FILE* in, FILE* out) {
  State st{net, zmq::context_t(1), {}, {}, 0};
  st.ctx.set(zmq::ctxopt::max_sockets, 65536);
  char* line = nullptr;
  size_t cap = 0;
  while (getline(&line, &cap, in) > 0) {
    std::istringstream args(line);
    std::string command, reply;
    args >> command;
    try {
      if (command == "storm") reply = Storm(st, args);
      else if (command == "subscribe") reply = Subscribe(st, args);
      else if (command == "await") reply = Await(st, args, out);
      else if (command == "unsubscribe") reply = Unsubscribe(st);
      else if (command == "fetch") reply = Fetch(st, args);
      else if (command == "quit") break;
      else reply = "error msg=unknown_command_" + command;
    } catch (const std::exception& e) {
      reply = "error msg=" + Token(e.what());
    }
    std::fprintf(out, "%s\n", reply.c_str());
    std::fflush(out);
  }
  free(line);
  st.subs.clear();
  return 0;
}

Agent::Agent(const SyntheticNetwork& net) {
  int down[2], up[2];
  if (pipe(down) != 0 || pipe(up) != 0) throw std::runtime_error("pipe failed");
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the load generator
    // Keep only this agent's ends: another agent's pipe held open here would hide its EOF.
    for (int fd = 3; fd < 1024; ++fd)
      if (fd != down[0] && fd != up[1]) close(fd);
    FILE* in = fdopen(down[0], "r");
    FILE* out = fdopen(up[1], "w");
    _exit(ServeCommands(net, in, out));
  }
  close(down[0]);
  close(up[1]);
  to_child_ = fdopen(down[1], "w");
  from_child_ = fdopen(up[0], "r");
}

Agent::~Agent() {
  std::fprintf(to_child_, "quit\n");
  std::fflush(to_child_);
  fclose(to_child_);
  fclose(from_child_);
  int status = 0;
  waitpid(pid_, &status, 0);
}

void Agent::Send(const std::string& command) {
  std::fprintf(to_child_, "%s\n", command.c_str());
  std::fflush(to_child_);
}

AgentReply Agent::Read() {
  char* line = nullptr;
  size_t cap = 0;
  AgentReply reply;
  if (getline(&line, &cap, from_child_) <= 0) {
    free(line);
    reply.fields["status"] = "error";
    reply.fields["msg"] = "agent_died";
    return reply;
  }
  std::istringstream words(line);
  free(line);
  std::string word;
  words >> word;
  reply.fields["status"] = word;
  while (words >> word) {
    const auto eq = word.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = word.substr(0, eq), value = word.substr(eq + 1);
    if (key != "times") {
      reply.fields[key] = value;
      continue;
    }
    std::istringstream list(value);
    std::string item;
    while (std::getline(list, item, ','))
      if (!item.empty()) reply.times.push_back(std::stoll(item));
  }
  return reply;
}

AgentReply Agent::Call(const std::string& command) {
  Send(command);
  return Read();
}

}  // namespace renrakumo::bench
