// Authentication and entitlement against the real hub: an unknown key gets nothing, nobody
// reads another node's stream, nobody poses as another node, and hostile frames are refused
// while the connection keeps working.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <map>
#include <sstream>
#include <zmq.hpp>

#include "config/keys.h"
#include "network.h"

namespace renrakumo::testing {
namespace {

using ::testing::HasSubstr;

// A raw CURVE socket, for behaving in ways the client library never would.
zmq::socket_t RawSocket(zmq::context_t& ctx, zmq::socket_type type, const std::string& pub,
                        const std::string& sec, const std::string& hub_pub) {
  zmq::socket_t s(ctx, type);
  s.set(zmq::sockopt::linger, 0);
  s.set(zmq::sockopt::curve_serverkey, hub_pub);
  s.set(zmq::sockopt::curve_publickey, pub);
  s.set(zmq::sockopt::curve_secretkey, sec);
  return s;
}

v1::IngestReply Receive(zmq::socket_t& s) {
  zmq::message_t msg;
  s.set(zmq::sockopt::rcvtimeo, 20000);
  EXPECT_TRUE(s.recv(msg)) << "no reply from the hub";
  v1::IngestReply reply;
  EXPECT_TRUE(reply.ParseFromArray(msg.data(), static_cast<int>(msg.size())));
  return reply;
}

TEST(Security, UnknownKeyIsRefusedWithAClearError) {
  TestNetwork net;
  const auto stranger = config::GenerateKeyPair();
  ASSERT_TRUE(config::WriteKeyPair(net.dir().string(), "stranger", stranger, false));
  auto cfg = net.NodeConfig("carrier-a");
  cfg.set_public_key_file((net.dir() / "stranger.pub").string());
  cfg.set_secret_key_file((net.dir() / "stranger.key").string());
  auto client = client::Client::Connect(cfg);
  ASSERT_FALSE(client);
  EXPECT_THAT(client.error(), HasSubstr("key refused by the hub"));
  EXPECT_GE(net.hub().counters().zap_refused.load(), 1u);
}

TEST(Security, UnknownKeyOnFanoutReceivesNothing) {
  TestNetwork net;
  zmq::context_t ctx;
  const auto stranger = config::GenerateKeyPair();
  auto sub = RawSocket(ctx, zmq::socket_type::sub, stranger.public_z85, stranger.secret_z85,
                       net.hub_public_key());
  // Watch the handshake: the stranger must be refused by ZAP, not merely ignored.
  zmq_socket_monitor(sub.handle(), "inproc://stranger-mon", ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
  zmq::socket_t mon(ctx, zmq::socket_type::pair);
  mon.set(zmq::sockopt::linger, 0);
  mon.connect("inproc://stranger-mon");
  sub.set(zmq::sockopt::subscribe, "");
  sub.connect(net.hub().fanout_endpoint());
  mon.set(zmq::sockopt::rcvtimeo, 20000);
  zmq::message_t event;
  ASSERT_TRUE(mon.recv(event)) << "the stranger's handshake was never refused";
  uint16_t id = 0;
  std::memcpy(&id, event.data(), 2);
  EXPECT_EQ(id, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
  // No subscription of the stranger's ever reached the hub's entitlement check.
  EXPECT_EQ(net.hub().counters().subscriptions_applied.load() +
                net.hub().counters().subscriptions_refused.load(),
            0u);
  // Traffic flows; the stranger's queue stays empty.
  auto fsa = net.Connect("fsa");
  auto env = MakeAdvisory("adv-1", {"finance"});
  ASSERT_TRUE(fsa->Submit(env)->accepted);
  zmq::message_t msg;
  EXPECT_FALSE(sub.recv(msg, zmq::recv_flags::dontwait));
  zmq_socket_monitor(sub.handle(), nullptr, 0);
}

TEST(Security, SubscribingToEverythingOrAnotherNodesStreamGetsNothingOfTheirs) {
  TestNetwork net;
  zmq::context_t ctx;
  auto sub = RawSocket(ctx, zmq::socket_type::sub, net.KeyOf("regional-bank-b", false),
                       net.KeyOf("regional-bank-b", true), net.hub_public_key());
  // The bank's name for the sample's second bank comes from the topology.
  sub.set(zmq::sockopt::subscribe, "");
  sub.set(zmq::sockopt::subscribe, "node.megabank-a.");
  sub.set(zmq::sockopt::subscribe, "node.");
  sub.set(zmq::sockopt::subscribe, "node.regional-bank-b.");  // its own inbox: the marker
  sub.connect(net.hub().fanout_endpoint());
  ASSERT_TRUE(TestNetwork::WaitFor([&] {
    return net.hub().counters().subscriptions_refused.load() >= 3 &&
           net.hub().counters().subscriptions_applied.load() >= 1;
  }));
  auto fsa = net.Connect("fsa");
  auto to_a = MakeAdvisory("to-a", {});
  to_a.mutable_advisory()->mutable_audience()->add_nodes("megabank-a");
  ASSERT_TRUE(fsa->Submit(to_a)->accepted);
  auto to_b = MakeAdvisory("to-b", {});
  to_b.mutable_advisory()->mutable_audience()->add_nodes("regional-bank-b");
  ASSERT_TRUE(fsa->Submit(to_b)->accepted);
  // Fanout keeps order per subscriber: had "to-a" been let through, it would come first.
  sub.set(zmq::sockopt::rcvtimeo, 20000);
  zmq::message_t topic, body;
  ASSERT_TRUE(sub.recv(topic));
  ASSERT_TRUE(sub.recv(body));
  EXPECT_EQ(topic.to_string(), "node.regional-bank-b.");
  v1::Delivery d;
  ASSERT_TRUE(d.ParseFromArray(body.data(), static_cast<int>(body.size())));
  v1::Envelope env;
  ASSERT_TRUE(env.ParseFromString(d.envelope()));
  EXPECT_EQ(env.message_id(), "to-b");
}

TEST(Security, ANodeCannotPoseAsAnother) {
  TestNetwork net;
  // bank-b's keys with a config that claims to be megabank-a: the hub says who it is.
  auto cfg = net.NodeConfig("regional-bank-b");
  cfg.set_node_id("megabank-a");
  auto imposter = client::Client::Connect(cfg);
  ASSERT_TRUE(imposter) << imposter.error();
  EXPECT_EQ((*imposter)->node_id(), "regional-bank-b");
  auto env = MakeReport("rep-1");
  ASSERT_TRUE((*imposter)->Submit(env)->accepted);
  auto fsa = net.Connect("fsa");
  auto got = Drain(*fsa);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].sender(), "regional-bank-b");
  // megabank-a's public key without its secret key cannot complete the handshake.
  auto forged = net.NodeConfig("regional-bank-b");
  forged.set_public_key_file((net.dir() / "keys" / "megabank-a.pub").string());
  auto cut = forged;
  cut.set_request_timeout_ms(500);
  auto refused = client::Client::Connect(cut);
  EXPECT_FALSE(refused);
}

TEST(Security, MalformedFramesAreRejectedAndTheConnectionStillWorks) {
  TestNetwork net;
  zmq::context_t ctx;
  auto dealer = RawSocket(ctx, zmq::socket_type::dealer, net.KeyOf("carrier-a", false),
                          net.KeyOf("carrier-a", true), net.hub_public_key());
  dealer.connect(net.hub().ingest_endpoint());

  dealer.send(zmq::str_buffer("\xff\xff garbage"), zmq::send_flags::none);
  auto r1 = Receive(dealer);
  ASSERT_TRUE(r1.has_rejected());
  EXPECT_EQ(r1.rejected().code(), v1::REJECT_MALFORMED);

  dealer.send(zmq::str_buffer("one"), zmq::send_flags::sndmore);
  dealer.send(zmq::str_buffer("two"), zmq::send_flags::none);
  auto r2 = Receive(dealer);
  ASSERT_TRUE(r2.has_rejected());
  EXPECT_EQ(r2.rejected().code(), v1::REJECT_MALFORMED);
  EXPECT_THAT(r2.rejected().reason(), HasSubstr("one frame"));

  v1::IngestRequest bad_envelope;
  bad_envelope.set_request_id(7);
  bad_envelope.mutable_submit()->set_envelope("\x0a\xff not an envelope");
  dealer.send(zmq::buffer(bad_envelope.SerializeAsString()), zmq::send_flags::none);
  auto r3 = Receive(dealer);
  ASSERT_TRUE(r3.has_rejected());
  EXPECT_EQ(r3.request_id(), 7u);
  EXPECT_EQ(r3.rejected().code(), v1::REJECT_MALFORMED);

  v1::IngestRequest hello;
  hello.set_request_id(8);
  hello.mutable_hello();
  dealer.send(zmq::buffer(hello.SerializeAsString()), zmq::send_flags::none);
  auto r4 = Receive(dealer);
  ASSERT_TRUE(r4.has_welcome());
  EXPECT_EQ(r4.welcome().node_id(), "carrier-a");
  EXPECT_GE(net.hub().counters().requests_malformed.load(), 2u);
}

TEST(Security, ARevokedKeyIsCutOffOnReloadWithoutARestart) {
  TestNetwork net;
  auto carrier = net.Connect("carrier-a");
  ASSERT_TRUE(carrier);
  ASSERT_TRUE(carrier->Fetch("node.carrier-a.", 0, 1));
  // The operator's key is replaced in the topology (rotation after a compromise).
  v1::Topology t = net.topology().config();
  for (auto& n : *t.mutable_nodes())
    if (n.id() == "carrier-a") {
      n.clear_public_keys();
      n.add_public_keys(config::GenerateKeyPair().public_z85);
    }
  net.ReloadTopology(t);
  // The open session's next request is refused, and a new handshake with the old key too.
  auto env = MakeReport("after-revocation");
  auto outcome = carrier->Submit(env);
  ASSERT_TRUE(outcome) << outcome.error();
  ASSERT_FALSE(outcome->accepted);
  EXPECT_EQ(outcome->rejected_reply.code(), v1::REJECT_UNKNOWN_NODE);
  EXPECT_THAT(outcome->rejected_reply.reason(), HasSubstr("revoked"));
  auto again = client::Client::Connect(net.NodeConfig("carrier-a"));
  ASSERT_FALSE(again);
  EXPECT_THAT(again.error(), HasSubstr("key refused by the hub"));
  // Everyone else is unaffected.
  auto other = net.Connect("carrier-b");
  EXPECT_TRUE(other);
}

// A raw socket's connection events (zmq_socket_monitor), one at a time, each wait bounded.
class Events {
 public:
  Events(zmq::context_t& ctx, zmq::socket_t& watched, int mask, const std::string& name)
      : watched_(watched), pair_(ctx, zmq::socket_type::pair) {
    const std::string endpoint = "inproc://events-" + name;
    EXPECT_EQ(zmq_socket_monitor(watched.handle(), endpoint.c_str(), mask), 0);
    pair_.set(zmq::sockopt::linger, 0);
    pair_.connect(endpoint);
  }
  ~Events() { zmq_socket_monitor(watched_.handle(), nullptr, 0); }
  // The next event's id; 0 if none came within 20 s (or at once, when !wait).
  uint16_t Next(bool wait = true) {
    pair_.set(zmq::sockopt::rcvtimeo, wait ? 20000 : 0);
    zmq::message_t event, endpoint;
    if (!pair_.recv(event)) return 0;
    (void)pair_.recv(endpoint);
    uint16_t id = 0;
    std::memcpy(&id, event.data(), 2);
    return id;
  }

 private:
  zmq::socket_t& watched_;
  zmq::socket_t pair_;
};

std::string MessageIdOf(const v1::Delivery& d) {
  v1::Envelope env;
  EXPECT_TRUE(env.ParseFromString(d.envelope()));
  return env.message_id();
}

// The next delivery a raw SUB receives (bounded), as "stream message-id".
std::string ReceiveRaw(zmq::socket_t& sub) {
  sub.set(zmq::sockopt::rcvtimeo, 20000);
  zmq::message_t topic, body;
  if (!sub.recv(topic) || !sub.recv(body)) return "nothing";
  v1::Delivery d;
  EXPECT_TRUE(d.ParseFromArray(body.data(), static_cast<int>(body.size())));
  return topic.to_string() + " " + MessageIdOf(d);
}

std::string NextId(client::Client& node) {
  auto next = node.Next(std::chrono::seconds(20));  // catch-up included: see client.cpp
  if (!next) return "error: " + next.error();
  if (!*next) return "nothing";
  return MessageIdOf(**next);
}

TEST(Security, ARevokedKeysFanoutIsCutOnReloadWhileOtherNodesMissNothing) {
  TestNetwork net;
  zmq::context_t ctx;
  // carrier-a listens on a raw SUB, so the test sees its connection come and go.
  auto a = RawSocket(ctx, zmq::socket_type::sub, net.KeyOf("carrier-a", false),
                     net.KeyOf("carrier-a", true), net.hub_public_key());
  Events a_events(ctx, a,
                  ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED |
                      ZMQ_EVENT_HANDSHAKE_FAILED_AUTH,
                  "revoked-carrier-a");
  a.set(zmq::sockopt::subscribe, "sector.telecom.");
  a.connect(net.hub().fanout_endpoint());
  ASSERT_EQ(a_events.Next(), ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
  // carrier-b uses the client library: it reconnects and catches up by itself.
  auto b = net.Connect("carrier-b");
  auto mic = net.Connect("mic");
  ASSERT_TRUE(b && mic);
  const auto& counters = net.hub().counters();
  const auto subscriptions =
      static_cast<uint64_t>(1 + b->welcome().streams_size() + mic->welcome().streams_size());
  ASSERT_TRUE(TestNetwork::WaitFor(
      [&] { return counters.subscriptions_applied.load() >= subscriptions; }));

  // A reload that takes nothing away cuts nobody: carrier-b gains a second key.
  v1::Topology t = net.topology().config();
  for (auto& n : *t.mutable_nodes())
    if (n.id() == "carrier-b") n.add_public_keys(config::GenerateKeyPair().public_z85);
  net.ReloadTopology(t);
  EXPECT_EQ(counters.fanout_rebinds.load(), 0u);
  auto before = MakeAdvisory("before", {"telecom"});
  ASSERT_TRUE(mic->Submit(before)->accepted);
  EXPECT_EQ(ReceiveRaw(a), "sector.telecom. before");  // still on its first connection
  EXPECT_EQ(NextId(*b), "before");

  // carrier-a's key is replaced (rotation after a compromise): its open SUB is cut at once.
  for (auto& n : *t.mutable_nodes())
    if (n.id() == "carrier-a") {
      n.clear_public_keys();
      n.add_public_keys(config::GenerateKeyPair().public_z85);
    }
  net.ReloadTopology(t);
  EXPECT_EQ(counters.keys_revoked.load(), 1u);
  EXPECT_EQ(counters.fanout_rebinds.load(), 1u);
  ASSERT_EQ(a_events.Next(), ZMQ_EVENT_DISCONNECTED);
  // Its SUB reconnects by itself, and ZAP refuses the revoked key (counted as revoked).
  for (uint16_t e = a_events.Next(); e != ZMQ_EVENT_HANDSHAKE_FAILED_AUTH; e = a_events.Next())
    ASSERT_EQ(e, ZMQ_EVENT_DISCONNECTED) << "carrier-a's revoked key got a connection back";
  EXPECT_GE(counters.zap_refused_revoked.load(), 1u);

  // A message for both, then a marker: carrier-b gets both in order (live, or fetched after
  // its own reconnection), so both were published; carrier-a, refused since, got neither.
  auto after = MakeAdvisory("after", {"telecom"});
  ASSERT_TRUE(mic->Submit(after)->accepted);
  auto marker = MakeAdvisory("marker", {"telecom"});
  ASSERT_TRUE(mic->Submit(marker)->accepted);
  EXPECT_EQ(NextId(*b), "after");
  EXPECT_EQ(NextId(*b), "marker");
  zmq::message_t leaked;
  EXPECT_FALSE(a.recv(leaked, zmq::recv_flags::dontwait));
  for (uint16_t e = a_events.Next(false); e != 0; e = a_events.Next(false))
    EXPECT_NE(e, ZMQ_EVENT_HANDSHAKE_SUCCEEDED) << "carrier-a's revoked key got a connection back";
  // carrier-b got each once, and its requests still work.
  EXPECT_TRUE(Drain(*b).empty());
  EXPECT_TRUE(b->Fetch("sector.telecom.", 0, 10));
}

TEST(Security, AnOversizeRequestIsRejectedWithItsCodeAndNothingAcceptedIsLost) {
  constexpr uint32_t kLimit = 16384;
  TestNetwork net([](v1::HubConfig& c) { c.mutable_limits()->set_max_message_bytes(kLimit); });
  const auto& counters = net.hub().counters();
  auto bank = net.Connect("megabank-a");
  auto fsa = net.Connect("fsa");
  ASSERT_TRUE(bank && fsa);
  auto r1 = MakeReport("r1");
  ASSERT_TRUE(bank->Submit(r1)->accepted);

  // Over the limit: answered under its request id with the code, and counted.
  auto huge = MakeReport("huge");
  huge.mutable_report()->set_narrative(std::string(2 * kLimit, 'x'));
  auto refused = bank->Submit(huge);
  ASSERT_TRUE(refused) << refused.error();
  ASSERT_FALSE(refused->accepted);
  EXPECT_EQ(refused->rejected_reply.code(), v1::REJECT_TOO_LARGE);
  EXPECT_THAT(refused->rejected_reply.reason(), HasSubstr("limits.max_message_bytes"));
  EXPECT_THAT(refused->rejected_reply.reason(), HasSubstr(std::to_string(kLimit)));
  EXPECT_EQ(counters.rejections_by_code[v1::REJECT_TOO_LARGE].load(), 1u);
  // The same connection keeps serving.
  auto r2 = MakeReport("r2");
  ASSERT_TRUE(bank->Submit(r2)->accepted);

  // Far over it (above the socket's hard cap): libzmq drops the connection before reading
  // the body; the hub counts the drop and serves the node again once it reconnects.
  zmq::context_t ctx;
  auto raw = RawSocket(ctx, zmq::socket_type::dealer, net.KeyOf("megabank-a", false),
                       net.KeyOf("megabank-a", true), net.hub_public_key());
  Events raw_events(ctx, raw, ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED, "oversize");
  raw.connect(net.hub().ingest_endpoint());
  ASSERT_EQ(raw_events.Next(), ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
  const uint64_t drops = counters.ingest_disconnects.load();
  raw.send(zmq::buffer(std::string(64 * kLimit, 'x')), zmq::send_flags::none);
  ASSERT_EQ(raw_events.Next(), ZMQ_EVENT_DISCONNECTED);
  EXPECT_TRUE(TestNetwork::WaitFor([&] { return counters.ingest_disconnects.load() > drops; }));
  v1::IngestRequest hello;
  hello.set_request_id(9);
  hello.mutable_hello();
  raw.send(zmq::buffer(hello.SerializeAsString()), zmq::send_flags::none);
  auto welcome = Receive(raw);
  EXPECT_TRUE(welcome.has_welcome());
  EXPECT_EQ(welcome.request_id(), 9u);

  // The well-behaved traffic around it all arrived, in order, once.
  auto r3 = MakeReport("r3");
  ASSERT_TRUE(bank->Submit(r3)->accepted);
  std::vector<std::string> got;
  for (const auto& d : Drain(*fsa)) got.push_back(MessageIdOf(d));
  EXPECT_EQ(got, (std::vector<std::string>{"r1", "r2", "r3"}));
  EXPECT_EQ(counters.submits_accepted.load(), 3u);
}

TEST(Security, FetchOfAStreamTheNodeMayNotReadIsRejected) {
  TestNetwork net;
  auto bank = net.Connect("regional-bank-b");
  ASSERT_TRUE(bank);
  auto other = bank->Fetch("node.fsa.", 0, 10);
  ASSERT_FALSE(other);
  EXPECT_THAT(other.error(), HasSubstr("may not read"));
  auto prefix = bank->Fetch("node.", 0, 10);
  EXPECT_FALSE(prefix);
  auto beyond = bank->Fetch("node.regional-bank-b.", 1000, 10);
  ASSERT_FALSE(beyond);
  EXPECT_THAT(beyond.error(), HasSubstr("ends at sequence 0"));
}

}  // namespace
}  // namespace renrakumo::testing

#include <sqlite3.h>

#include "store/sqlite_journal.h"

namespace renrakumo::testing {
namespace {

void Exec(const std::string& journal, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(journal.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}

TEST(Security, EditingTheJournalBehindTheHubsBackIsDetectedByTheAuditChain) {
  TestNetwork net;
  auto bank = net.Connect("megabank-a");
  auto report = MakeReport("audited-1", "core_banking");
  ASSERT_TRUE(bank->Submit(report)->accepted);
  auto refused = MakeAdvisory("audited-2", {"finance"});
  ASSERT_FALSE(bank->Submit(refused)->accepted);
  net.StopHub();
  const std::string journal = (net.dir() / "journal.db").string();
  auto intact = store::VerifyAuditChain(journal);
  ASSERT_TRUE(intact) << intact.error();
  EXPECT_THAT(*intact, HasSubstr("chain intact"));

  // An insider rewrites why the bank's advisory was refused...
  Exec(journal, "UPDATE audit SET detail = 'nothing happened' WHERE action = 'rejected'");
  auto altered = store::VerifyAuditChain(journal);
  ASSERT_FALSE(altered);
  EXPECT_THAT(altered.error(), HasSubstr("does not match its hash"));
  EXPECT_THAT(altered.error(), HasSubstr("rejected"));
  // ...or deletes the record of an acceptance.
  Exec(journal, "DELETE FROM audit WHERE seq = 1");
  auto deleted = store::VerifyAuditChain(journal);
  ASSERT_FALSE(deleted);
  EXPECT_THAT(deleted.error(), HasSubstr("audit entry 1 is missing"));
}

TEST(Security, EveryAcceptedMessageIsOneLineOfAnAcceptedAuditEntry) {
  // The hub writes one "accepted" entry per journal transaction, a line per message; a burst
  // of reports spans one or more transactions, whichever the hub's loop made of it.
  TestNetwork net;
  std::vector<v1::Envelope> reports;
  for (int i = 0; i < 200; ++i) reports.push_back(MakeReport("burst-" + std::to_string(i)));
  ASSERT_EQ(SubmitMany(net, "megabank-a", reports), reports.size());
  net.StopHub();

  std::map<std::string, int> lines;  // "report 'burst-7' from megabank-a" -> times seen
  size_t counted = 0;
  for (const std::string& entry : AuditActions(net, "accepted")) {
    // "accepted <n> message(s) <line>\n<line>..."
    std::istringstream in(entry);
    std::string action, word;
    size_t n = 0;
    in >> action >> n >> word;
    in.get();
    counted += n;
    size_t seen = 0;
    for (std::string line; std::getline(in, line); ++seen) {
      EXPECT_THAT(line, ::testing::MatchesRegex("report 'burst-[0-9]+' from megabank-a at "
                                                "[0-9]+ -> node\\.fsa\\..*"));
      ++lines[line.substr(0, line.find(" at "))];
    }
    EXPECT_EQ(seen, n) << "the entry's subject counts its lines: " << entry;
  }
  EXPECT_EQ(counted, reports.size());
  ASSERT_EQ(lines.size(), reports.size());
  for (const auto& [line, times] : lines) EXPECT_EQ(times, 1) << line;
  auto chain = store::VerifyAuditChain((net.dir() / "journal.db").string());
  ASSERT_TRUE(chain) << chain.error();
}

}  // namespace
}  // namespace renrakumo::testing
