// End-to-end tests of `renrakumo` and `renrakumo-hub` as a user runs them: real processes,
// real key files from keygen, the real hub on ipc:// sockets in a temp dir, and assertions on
// what the commands print and the exit codes they document (0 done, 1 hub unreachable or
// refused, 2 bad usage or config, 3 rejected by the hub).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <csignal>
#include <nlohmann/json.hpp>
#include <regex>

#include "config/load.h"
#include "sandbox.h"

namespace renrakumo::clitest {
namespace {

namespace fs = std::filesystem;
using ::testing::Not;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using Json = nlohmann::json;

// The nodes the hub tests use; every other node of the shipped topology stays keyless.
const std::vector<std::string> kNodes = {"fsa", "mic", "megabank-a", "jba", "regional-bank-b",
                                         "carrier-a"};

// A CLI error is one line that starts with the program's name.
void ExpectOneSentence(const RunResult& r) {
  EXPECT_THAT(r.err, StartsWith("renrakumo: ")) << r.Describe();
  EXPECT_EQ(Lines(r.err).size(), 1u) << r.Describe();
}

class CliTest : public ::testing::Test {
 protected:
  // `renrakumo SUBCOMMAND -n <node config of `node`> ARGS...`
  RunResult As(const std::string& node, std::vector<std::string> args,
               const std::string& config = "") const {
    args.insert(args.begin() + 1, {"-n", config.empty() ? sb.NodeConfig(node) : config});
    return sb.Cli(args);
  }
  // One JSON object per line of a `listen --json --count N` run; fails the test if it failed.
  std::vector<Json> ListenJson(const std::string& node, int count,
                               const std::vector<std::string>& extra = {}) const {
    std::vector<std::string> args = {"listen", "--json", "--count", std::to_string(count),
                                     "--timeout", "20"};
    args.insert(args.end(), extra.begin(), extra.end());
    const RunResult r = As(node, args);
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    std::vector<Json> out;
    for (const auto& line : Lines(r.out)) {
      out.push_back(Json::parse(line, nullptr, false));
      EXPECT_FALSE(out.back().is_discarded()) << "not JSON: " << line;
    }
    return out;
  }

  Sandbox sb;
};

class HubTest : public CliTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sb.PrepareHub());
    for (const auto& id : kNodes) {
      const RunResult r = sb.Keygen(id);
      ASSERT_EQ(r.exit_code, 0) << r.Describe();
    }
    ASSERT_TRUE(sb.StartHub());
  }
  void TearDown() override { EXPECT_TRUE(sb.StopHub()); }

  RunResult Report(const std::string& node, const std::string& incident) const {
    return As(node, {"report", "--incident", incident, "--situation", "minor_failure",
                     "--likelihood", "possible_unclear", "--narrative", "odd logins on the gateway"});
  }
};

// --- reload ---------------------------------------------------------------------------------

TEST_F(CliTest, SighupReloadsTheRulesAndABrokenRulesFileKeepsTheRunningOnes) {
  const std::string shipped = ReadFile(kSourceDir + "/config/rules.yaml");
  const std::string rules = sb.Write("rules.yaml", shipped);
  sb.set_rules_file(rules);
  ASSERT_TRUE(sb.PrepareHub());
  ASSERT_EQ(sb.Keygen("fsa").exit_code, 0);
  ASSERT_TRUE(sb.StartHub());
  sb.Write("rules.yaml", "relay_deadlines: {severe_seconds: [not a number\n");
  sb.SignalHub(SIGHUP);
  ASSERT_TRUE(WaitUntil([&] {
    return sb.HubLog().find("rules reload failed, keeping the current topology and rules") !=
           std::string::npos;
  })) << sb.HubLog();
  const RunResult still = As("fsa", {"status"});
  EXPECT_EQ(still.exit_code, 0) << still.Describe();  // serving, with the rules it had
  const std::string tighter =
      std::regex_replace(shipped, std::regex(R"((\n *severe_seconds:) *[0-9]+)"), "$1 1200",
                         std::regex_constants::format_first_only);
  ASSERT_NE(tighter, shipped) << "rules.yaml has no severe_seconds to change";
  sb.Write("rules.yaml", tighter);
  sb.SignalHub(SIGHUP);
  ASSERT_TRUE(WaitUntil([&] {
    return sb.HubLog().find("rules reloaded from " + rules) != std::string::npos;
  })) << sb.HubLog();
  EXPECT_TRUE(sb.StopHub());
}

// --- keygen ---------------------------------------------------------------------------------

TEST_F(CliTest, KeygenWritesAPairWithAPrivateSecretAndRefusesToOverwriteWithoutForce) {
  const RunResult first = sb.Keygen("megabank-a", false);
  ASSERT_EQ(first.exit_code, 0) << first.Describe();
  const fs::path pub = sb.keys() / "megabank-a.pub", key = sb.keys() / "megabank-a.key";
  ASSERT_TRUE(fs::is_regular_file(pub)) << first.Describe();
  ASSERT_TRUE(fs::is_regular_file(key)) << first.Describe();
  EXPECT_THAT(first.out, HasSubstr(pub.string()));
  EXPECT_EQ(Lines(ReadFile(pub)).at(0).size(), 40u) << "a Z85 CURVE key is 40 characters";
  struct stat st {};
  ASSERT_EQ(::stat(key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "the secret key must be readable by its owner only";

  const std::string original_pub = ReadFile(pub), original_key = ReadFile(key);
  const RunResult again = sb.Keygen("megabank-a", false);
  EXPECT_EQ(again.exit_code, 2) << again.Describe();
  EXPECT_THAT(again.err, HasSubstr("--force"));
  ExpectOneSentence(again);
  EXPECT_EQ(ReadFile(pub), original_pub) << "a refused keygen must leave the pair alone";
  EXPECT_EQ(ReadFile(key), original_key);

  const RunResult forced = sb.Keygen("megabank-a", false, {"--force"});
  EXPECT_EQ(forced.exit_code, 0) << forced.Describe();
  EXPECT_NE(ReadFile(pub), original_pub) << "--force writes a new pair";
  ASSERT_EQ(::stat(key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(CliTest, KeygenNodeConfigIsLoadableAndConnects) {
  ASSERT_TRUE(sb.PrepareHub());
  const RunResult r = sb.Keygen("carrier-b");
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_THAT(r.out, HasSubstr("wrote " + sb.NodeConfig("carrier-b")));

  auto loaded = config::LoadNodeConfig(sb.NodeConfig("carrier-b"));
  ASSERT_TRUE(loaded) << loaded.error();
  EXPECT_EQ(loaded->node_id(), "carrier-b");
  ASSERT_EQ(loaded->hubs_size(), 1);
  EXPECT_EQ(loaded->hubs(0).ingest_endpoint(), sb.ingest());
  EXPECT_EQ(loaded->hubs(0).fanout_endpoint(), sb.fanout());
  EXPECT_EQ(loaded->hub_public_key(), Lines(ReadFile(sb.keys() / "hub.pub")).at(0));

  ASSERT_TRUE(sb.StartHub());
  const RunResult report = As("carrier-b", {"report", "--incident", "inc-kg", "--situation",
                                            "precursor", "--evidence", "attack_notice",
                                            "--likelihood", "possible_unclear"});
  EXPECT_EQ(report.exit_code, 0) << report.Describe();
  EXPECT_THAT(report.out, HasSubstr("node.mic.#1")) << "telecom operators report to mic";
  EXPECT_TRUE(sb.StopHub());
}

TEST_F(CliTest, KeygenChecksNodeConfigOptionsBeforeWritingAnything) {
  // A mistake must leave no key pair behind, or the corrected command would need --force.
  const std::string route = sb.ingest() + "," + sb.fanout();
  const RunResult no_key = sb.Cli({"keygen", "--id", "fsa", "--dir", sb.keys().string(),
                                   "--node-config", sb.NodeConfig("fsa"), "--hub", route});
  EXPECT_EQ(no_key.exit_code, 2) << no_key.Describe();
  EXPECT_THAT(no_key.err, HasSubstr("--hub-key"));
  ExpectOneSentence(no_key);

  const RunResult bad_hub = sb.Cli({"keygen", "--id", "fsa", "--dir", sb.keys().string(),
                                    "--node-config", sb.NodeConfig("fsa"), "--hub-key",
                                    (sb.keys() / "hub.pub").string(), "--hub", sb.ingest()});
  EXPECT_EQ(bad_hub.exit_code, 2) << bad_hub.Describe();
  EXPECT_THAT(bad_hub.err, HasSubstr("INGEST,FANOUT"));
  ExpectOneSentence(bad_hub);

  EXPECT_FALSE(fs::exists(sb.keys() / "fsa.key"));
  EXPECT_FALSE(fs::exists(sb.NodeConfig("fsa")));
}

TEST_F(CliTest, RelativePathsWorkFromTheWorkingDirectory) {
  // As an operator types it, from one directory: keys in ./keys (keygen's default), node
  // configs in ./nodes, every path relative.
  const RunResult hub_key = sb.Cli({"keygen", "--id", "hub"}, /*in_dir=*/true);
  ASSERT_EQ(hub_key.exit_code, 0) << hub_key.Describe();
  EXPECT_TRUE(fs::exists(sb.keys() / "hub.key"));
  for (const std::string id : {"megabank-a", "fsa"}) {
    const RunResult r = sb.Cli({"keygen", "--id", id, "--node-config", "nodes/" + id + ".yaml",
                                "--hub-key", "keys/hub.pub", "--hub", sb.ingest() + "," + sb.fanout()},
                               true);
    ASSERT_EQ(r.exit_code, 0) << r.Describe();
  }
  ASSERT_TRUE(sb.StartHub());
  const RunResult report = sb.Cli({"report", "-n", "nodes/megabank-a.yaml", "--incident", "inc-rel",
                                   "--situation", "precursor", "--evidence", "attack_notice", "--likelihood", "possible_unclear"},
                                  true);
  EXPECT_EQ(report.exit_code, 0) << report.Describe();
  const RunResult listen =
      sb.Cli({"listen", "-n", "nodes/fsa.yaml", "--count", "1", "--timeout", "20"}, true);
  EXPECT_EQ(listen.exit_code, 0) << listen.Describe();
  EXPECT_THAT(listen.out, HasSubstr("report from megabank-a"));
  EXPECT_TRUE(fs::exists(sb.dir() / "nodes/fsa.cursors"))
      << "an unset state_dir is the node config's own directory";
  EXPECT_TRUE(sb.StopHub());
}

// --- the demo path --------------------------------------------------------------------------

TEST_F(HubTest, OperatorReportReachesItsMinistry) {
  const RunResult r = Report("megabank-a", "inc-2001-0042");
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_THAT(r.out, HasSubstr("accepted"));
  EXPECT_THAT(r.out, HasSubstr("node.fsa.#1"));
  const std::string id = AcceptedMessageId(r.out);
  ASSERT_FALSE(id.empty()) << r.Describe();

  const auto got = ListenJson("fsa", 1);
  ASSERT_EQ(got.size(), 1u);
  const Json& d = got[0];
  EXPECT_EQ(d.value("stream", ""), "node.fsa.");
  EXPECT_EQ(d.value("sender", ""), "megabank-a");
  EXPECT_EQ(d.value("kind", ""), "report");
  EXPECT_EQ(d.value("message_id", ""), id);
  EXPECT_EQ(d["body"].value("incident_id", ""), "inc-2001-0042") << d.dump();
}

TEST_F(HubTest, MinistryAdvisoryIsRelayedByTheAssociationToItsMembers) {
  const RunResult advise = As("fsa", {"advise", "--sector", "finance", "--title",
                                      "Patch the gateway", "--body", "CVE in the VPN"});
  ASSERT_EQ(advise.exit_code, 0) << advise.Describe();
  EXPECT_THAT(advise.out, HasSubstr("node.jba.#1")) << "finance advisories go via jba";
  const std::string id = AcceptedMessageId(advise.out);
  ASSERT_FALSE(id.empty()) << advise.Describe();

  const RunResult heard = As("jba", {"listen", "--count", "1", "--timeout", "20"});
  ASSERT_EQ(heard.exit_code, 0) << heard.Describe();
  EXPECT_THAT(heard.out, HasSubstr("Patch the gateway"));
  EXPECT_THAT(heard.out, HasSubstr("advisory from fsa"));
  EXPECT_THAT(heard.out, HasSubstr(id));
  EXPECT_THAT(heard.out, HasSubstr("issued by Financial Services Agency (金融庁) (signature valid)"));

  const RunResult relay = As("jba", {"relay", "--from", "fsa", "--original", id, "--commentary",
                                     "members: apply today"});
  ASSERT_EQ(relay.exit_code, 0) << relay.Describe();
  EXPECT_THAT(relay.out, HasSubstr("node.regional-bank-b.#1"));

  const auto got = ListenJson("regional-bank-b", 1);
  ASSERT_EQ(got.size(), 1u);
  const Json& d = got[0];
  EXPECT_EQ(d.value("kind", ""), "relay");
  EXPECT_EQ(d.value("sender", ""), "jba");
  EXPECT_EQ(d.value("stream", ""), "node.regional-bank-b.");
  ASSERT_TRUE(d.contains("body")) << d.dump();
  EXPECT_EQ(d["body"].value("original_sender", ""), "fsa");
  EXPECT_EQ(d["body"].value("original_message_id", ""), id);
  EXPECT_EQ(d["body"].value("commentary", ""), "members: apply today");
  ASSERT_TRUE(d["body"].contains("original")) << d.dump();
  EXPECT_EQ(d["body"]["original"]["advisory"].value("title", ""), "Patch the gateway") << d.dump();
  ASSERT_TRUE(d.contains("signatures")) << d.dump();
  EXPECT_TRUE(d["signatures"].value("trusted", false)) << d.dump();
  EXPECT_EQ(d["signatures"]["issuer"].value("verdict", ""), "valid") << d.dump();
  EXPECT_EQ(d["signatures"]["relayer"].value("verdict", ""), "valid") << d.dump();

  // The person on duty reads who stands behind it.
  const RunResult readable = As("regional-bank-b", {"listen", "--count", "1", "--timeout", "20",
                                                    "--from-start"});
  ASSERT_EQ(readable.exit_code, 0) << readable.Describe();
  EXPECT_THAT(readable.out,
              HasSubstr("issued by Financial Services Agency (金融庁) (signature valid), relayed by "
                        "Japanese Bankers Association (全国銀行協会) (signature valid)"));
  EXPECT_THAT(readable.out, Not(HasSubstr("WARNING")));
}

TEST_F(HubTest, MinistryAdvisoryReachesADirectSectorsOperators) {
  const RunResult advise =
      As("mic", {"advise", "--sector", "telecom", "--title", "Worm on port 445"});
  ASSERT_EQ(advise.exit_code, 0) << advise.Describe();
  const auto got = ListenJson("carrier-a", 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].value("sender", ""), "mic");
  EXPECT_EQ(got[0].value("kind", ""), "advisory");
  EXPECT_EQ(got[0].value("message_id", ""), AcceptedMessageId(advise.out));
  EXPECT_EQ(got[0]["body"].value("title", ""), "Worm on port 445") << got[0].dump();
}

// --- errors ---------------------------------------------------------------------------------

TEST_F(HubTest, OperatorAdvisoryIsRejectedWithTheReason) {
  const RunResult r = As("megabank-a", {"advise", "--sector", "finance", "--title", "x"});
  EXPECT_EQ(r.exit_code, 3) << r.Describe();
  EXPECT_THAT(r.err, HasSubstr("rejected (not_permitted): operators may not issue advisories"));
  ExpectOneSentence(r);
  EXPECT_EQ(r.out, "");
}

TEST_F(HubTest, KeyNotInTheTopologyIsRefused) {
  // Someone claiming to be megabank-a with a key the topology does not list.
  const RunResult kg = sb.Cli({"keygen", "--id", "megabank-a", "--dir", (sb.dir() / "impostor").string(),
                               "--node-config", (sb.dir() / "impostor.yaml").string(), "--hub-key",
                               (sb.keys() / "hub.pub").string(), "--hub", sb.ingest() + "," + sb.fanout()});
  ASSERT_EQ(kg.exit_code, 0) << kg.Describe();
  const RunResult r = As("megabank-a", {"report", "--incident", "i", "--situation", "precursor", "--evidence", "attack_notice",
                                        "--likelihood", "high"},
                         (sb.dir() / "impostor.yaml").string());
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_THAT(r.err, HasSubstr("key refused by the hub"));
  ExpectOneSentence(r);
}

TEST_F(CliTest, HubThatIsNotThereIsReportedUnreachable) {
  ASSERT_TRUE(sb.PrepareHub());
  ASSERT_EQ(sb.Keygen("fsa", false).exit_code, 0);
  const std::string nowhere = "ipc://" + (sb.dir() / "no-hub-here").string();
  const std::string cfg = sb.Write("fsa-nowhere.yaml",
      "node_id: fsa\npublic_key_file: keys/fsa.pub\nsecret_key_file: keys/fsa.key\n"
      "hub_public_key_file: keys/hub.pub\nrequest_timeout_ms: 200\nsubmit_deadline_ms: 500\n"
      "hubs:\n  - ingest_endpoint: " + nowhere + "\n    fanout_endpoint: " + nowhere + "-fanout\n");
  const RunResult r = As("fsa", {"advise", "--sector", "finance", "--title", "x"}, cfg);
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_THAT(r.err, HasSubstr("hub unreachable at " + nowhere));
  ExpectOneSentence(r);
}

TEST_F(CliTest, BadEnumOnTheCommandLineNamesTheAllowedValues) {
  const RunResult r = sb.Cli({"report", "-n", sb.NodeConfig("megabank-a"), "--incident", "i",
                              "--situation", "bogus", "--likelihood", "high"});
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
  EXPECT_THAT(r.err, HasSubstr("--situation"));
  EXPECT_THAT(r.err, HasSubstr("'bogus'"));
  EXPECT_THAT(r.err, HasSubstr("precursor, minor_failure, serious_failure, attack_confirmed"));
  ExpectOneSentence(r);
}

TEST_F(HubTest, ListenResumesAfterWhatItAlreadyPrinted) {
  const RunResult report = Report("megabank-a", "inc-cursor");
  ASSERT_EQ(report.exit_code, 0) << report.Describe();
  const std::string id = AcceptedMessageId(report.out);

  const auto first = ListenJson("fsa", 1);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].value("message_id", ""), id);
  // The cursor lives beside the node config (state_dir unset).
  EXPECT_THAT(ReadFile(sb.dir() / "fsa.cursors"), HasSubstr("node.fsa. 1"));

  const RunResult again = As("fsa", {"listen", "--json", "--count", "1", "--timeout", "3"});
  EXPECT_EQ(again.exit_code, 1) << again.Describe();
  EXPECT_THAT(again.err, HasSubstr("timed out after 3 s with 0 of 1 deliveries"));
  EXPECT_EQ(again.out, "") << "the delivery was printed twice";

  // It is still there for anyone who asks for it from the start.
  const auto replay = ListenJson("fsa", 1, {"--from-start"});
  ASSERT_EQ(replay.size(), 1u);
  EXPECT_EQ(replay[0].value("message_id", ""), id);
}

}  // namespace
}  // namespace renrakumo::clitest

namespace renrakumo::clitest {
namespace {

// The contact-confirmation drill: an exercise advisory down the whole chain, labelled as an
// exercise wherever it arrives, with reach and acknowledgement rate per stage.
class DrillTest : public CliTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sb.PrepareHub());
    for (const char* id : {"cabinet", "carrier-a", "fsa"}) ASSERT_EQ(sb.Keygen(id).exit_code, 0);
    ASSERT_TRUE(sb.StartHub());
  }
  void TearDown() override { EXPECT_TRUE(sb.StopHub()); }
};

TEST_F(DrillTest, ReportsReachAndAcknowledgementPerStage) {
  RunResult first = As("cabinet", {"drill", "--wait", "0", "--message-id", "drill-1"});
  EXPECT_EQ(first.exit_code, 4) << first.Describe();  // nobody has acknowledged yet
  EXPECT_THAT(first.out, HasSubstr("ministries"));
  EXPECT_THAT(first.out, HasSubstr("associations"));
  EXPECT_THAT(first.out, HasSubstr("operators"));
  EXPECT_THAT(first.out, HasSubstr("not acknowledged:"));

  // carrier-a sees it as an exercise, and acknowledges it.
  RunResult seen = As("carrier-a", {"listen", "--count", "1", "--timeout", "20"});
  ASSERT_EQ(seen.exit_code, 0) << seen.Describe();
  EXPECT_THAT(seen.out, HasSubstr("*** exercise ***"));
  ASSERT_EQ(As("carrier-a", {"ack", "--from", "cabinet", "--message", "drill-1", "--state",
                             "received"}).exit_code, 0);
  RunResult status = As("cabinet", {"status", "drill-1"});
  ASSERT_EQ(status.exit_code, 0) << status.Describe();
  EXPECT_THAT(status.out, HasSubstr("carrier-a"));
  EXPECT_THAT(status.out, HasSubstr("received"));
  // Only the Cabinet Secretariat advises everyone: a ministry's drill is refused.
  RunResult ministry = As("fsa", {"drill", "--wait", "0"});
  EXPECT_EQ(ministry.exit_code, 3) << ministry.Describe();
}

}  // namespace
}  // namespace renrakumo::clitest

namespace renrakumo::clitest {
namespace {

TEST_F(HubTest, AuditVerifyChecksTheJournalsHashChain) {
  ASSERT_EQ(As("megabank-a", {"report", "--incident", "i-audit", "--situation", "minor_failure",
                              "--likelihood", "negligible"}).exit_code, 0);
  ASSERT_TRUE(sb.StopHub());
  const std::string hub_yaml = (sb.dir() / "hub.yaml").string();
  RunResult ok = sb.Hub({"audit", "verify", "-c", hub_yaml});
  EXPECT_EQ(ok.exit_code, 0) << ok.Describe();
  EXPECT_THAT(ok.out, HasSubstr("chain intact"));
  RunResult edit = clitest::Run({"/usr/bin/sqlite3", (sb.dir() / "journal.db").string(),
                        "UPDATE audit SET actor = 'someone-else' WHERE seq = 1"});
  ASSERT_EQ(edit.exit_code, 0) << edit.Describe();
  RunResult broken = sb.Hub({"audit", "verify", "-c", hub_yaml});
  EXPECT_EQ(broken.exit_code, 1) << broken.Describe();
  EXPECT_THAT(broken.err, HasSubstr("audit entry 1"));
}

// An operator backs the journal up while the hub runs, then restores from the copy.
TEST_F(HubTest, BackupCopiesTheRunningJournalAndTheCopyServesAsTheJournal) {
  ASSERT_EQ(As("megabank-a", {"report", "--incident", "i-backup", "--situation", "minor_failure",
                              "--likelihood", "negligible"}).exit_code, 0);
  const std::string hub_yaml = (sb.dir() / "hub.yaml").string();
  const fs::path copy = sb.dir() / "backups" / "journal-copy.db";
  fs::create_directories(copy.parent_path());
  RunResult backup = sb.Hub({"backup", "-c", hub_yaml, copy.string()});
  ASSERT_EQ(backup.exit_code, 0) << backup.Describe();
  EXPECT_THAT(backup.out, HasSubstr("checked by opening the copy"));
  EXPECT_EQ(fs::exists(copy.string() + ".log"), Sandbox::JournalEngine() == "log");
  RunResult again = sb.Hub({"backup", "-c", hub_yaml, copy.string()});
  EXPECT_EQ(again.exit_code, 1) << again.Describe();
  EXPECT_THAT(again.err, HasSubstr("exists already"));
  ASSERT_TRUE(sb.StopHub());
  // Restore: the copy becomes the journal; the hub starts on it and still has the report.
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(sb.dir() / ("journal.db" + std::string(suffix)));
  fs::remove_all(sb.dir() / "journal.db.log");
  fs::rename(copy, sb.dir() / "journal.db");
  if (fs::exists(copy.string() + ".log")) fs::rename(copy.string() + ".log", sb.dir() / "journal.db.log");
  ASSERT_TRUE(sb.StartHub());
  const auto got = ListenJson("fsa", 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]["body"].value("incident_id", ""), "i-backup");
}

}  // namespace
}  // namespace renrakumo::clitest
