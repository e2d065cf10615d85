#include "servers.h"

#include <malloc.h>
#ifdef RENRAKUMO_WITH_TCMALLOC
#include <gperftools/malloc_extension.h>
#endif
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <stdexcept>
#include <unistd.h>

#include "config/load.h"
#include "core/config_check.h"
#include "store/sqlite_journal.h"

namespace renrakumo::bench {

HubUnderTest::HubUnderTest(const SyntheticNetwork& net, const std::filesystem::path& dir,
                           const std::string& log_level, const std::string& journal_engine)
    : dir_(dir) {
  auto sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>((dir / "hub.log").string());
  for (const char* name : {"hub.net", "hub.route", "hub.store"}) {
    spdlog::drop(name);
    auto logger = std::make_shared<spdlog::logger>(name, sink);
    logger->set_level(spdlog::level::from_str(log_level));
    spdlog::register_logger(logger);
  }
  v1::HubConfig cfg;
  cfg.set_network_name("renrakumo benchmark network");
  cfg.set_ingest_endpoint("tcp://127.0.0.1:*");
  cfg.set_fanout_endpoint("tcp://127.0.0.1:*");
  cfg.set_journal_path(journal_path().string());
  cfg.set_journal_engine(journal_engine);
  config::ApplyHubDefaults(&cfg);
  // Configured as the hub's own start-up check advises for a network of this size (its scale
  // warning: 30 s heartbeats from 2,500 nodes on), as an operator following it would.
  if (!core::HubScaleWarnings(cfg, net.topology).empty()) {
    cfg.mutable_limits()->set_heartbeat_ivl_ms(30000);
    cfg.mutable_limits()->set_heartbeat_timeout_ms(90000);
    if (!core::HubScaleWarnings(cfg, net.topology).empty())
      throw std::runtime_error("the benchmark's hub configuration still draws a scale warning");
  }
  store::JournalOptions journal_options;
  journal_options.engine = store::EngineNamed(cfg.journal_engine());
  auto journal = store::OpenJournal(cfg.journal_path(), journal_options);
  if (!journal) throw std::runtime_error(journal.error());
  auto topology = std::make_shared<const core::Topology>(net.topology);
  net::Hub::Options options;  // fields set by name: the hub's options grow
  options.config = cfg;
  options.topology = topology;
  options.secret_key_z85 = net.hub_keys.secret_z85;
  auto hub = net::Hub::Create(std::move(options), std::move(*journal));
  if (!hub) throw std::runtime_error(hub.error());
  hub_ = std::move(*hub);
  ingest_ = hub_->ingest_endpoint();
  fanout_ = hub_->fanout_endpoint();
  loop_ = std::thread([this] {
    tid_ = static_cast<int>(gettid());
    (void)hub_->Run(stop_);
  });
}

HubUnderTest::~HubUnderTest() { Stop(); }

uint64_t HubUnderTest::journal_bytes() const {
  std::error_code ec;
  uint64_t total = std::filesystem::file_size(journal_path(), ec);
  const std::filesystem::path log = journal_path().string() + ".log";
  if (std::filesystem::is_directory(log, ec))
    for (const auto& entry : std::filesystem::directory_iterator(log, ec))
      if (entry.path().extension() == ".seg") total += entry.file_size(ec);
  return total;
}

HubUnderTest::LoopTime HubUnderTest::loop_time() const {
  LoopTime t;
  t.wall_ns = std::chrono::steady_clock::now().time_since_epoch().count();
  std::ifstream in("/proc/self/task/" + std::to_string(tid_.load()) + "/schedstat");
  in >> t.on_cpu_ns >> t.waiting_ns;
  return t;
}

void HubUnderTest::Stop() {
  stop_ = true;
  if (loop_.joinable()) loop_.join();
  hub_.reset();
}

std::unique_ptr<Forwarder> StartForwarder(const SyntheticNetwork& net, std::string reply) {
  Forwarder::Options o;
  o.secret_key_z85 = net.hub_keys.secret_z85;
  for (const auto& k : net.finance_keys) o.known_keys.insert(k.public_z85);
  for (const auto& k : net.telecom_keys) o.known_keys.insert(k.public_z85);
  for (const auto* k : {&net.fsa_keys, &net.mic_keys, &net.jba_keys, &net.cabinet_keys})
    o.known_keys.insert(k->public_z85);
  o.reply = std::move(reply);
  o.topic = "sector.telecom.";
  return std::make_unique<Forwarder>(std::move(o));
}

Requester::Requester(const config::KeyPair& keys, const std::string& server_public,
                     const std::string& endpoint)
    : socket_(ctx_, zmq::socket_type::dealer) {
  auto pub = config::DecodeZ85(keys.public_z85);
  auto sec = config::DecodeZ85(keys.secret_z85);
  auto srv = config::DecodeZ85(server_public);
  socket_.set(zmq::sockopt::linger, 0);
  socket_.set(zmq::sockopt::curve_serverkey, zmq::const_buffer(srv->data(), srv->size()));
  socket_.set(zmq::sockopt::curve_publickey, zmq::const_buffer(pub->data(), pub->size()));
  socket_.set(zmq::sockopt::curve_secretkey, zmq::const_buffer(sec->data(), sec->size()));
  socket_.connect(endpoint);
  v1::IngestRequest ping;
  ping.mutable_ping()->set_sent_at_ms(1);
  Send(ping.SerializeAsString());
  if (Answer(10000).empty()) throw std::runtime_error("no answer from " + endpoint);
}

void Requester::Send(const std::string& bytes) {
  (void)socket_.send(zmq::buffer(bytes), zmq::send_flags::none);
}

std::string Requester::Answer(int timeout_ms) {
  zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
  if (zmq_poll(&item, 1, timeout_ms) <= 0) return {};
  zmq::message_t m;
  (void)socket_.recv(m, zmq::recv_flags::none);
  return m.to_string();
}

long HeapBytes() {
#ifdef RENRAKUMO_WITH_TCMALLOC
  // glibc's mallinfo2 knows nothing of TCMalloc's heap: ask TCMalloc what is in use.
  size_t bytes = 0;
  MallocExtension::instance()->GetNumericProperty("generic.current_allocated_bytes", &bytes);
  return static_cast<long>(bytes);
#else
  const struct mallinfo2 m = mallinfo2();
  return static_cast<long>(m.uordblks + m.hblkhd);
#endif
}

}  // namespace renrakumo::bench
