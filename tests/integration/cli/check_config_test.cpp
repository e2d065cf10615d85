// End-to-end tests of `renrakumo-hub --check-config`: the shipped config passes, and each kind
// of mistake is exit code 2 with a message naming the file, the key and the value.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sandbox.h"

namespace renrakumo::clitest {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

class CheckConfigTest : public ::testing::Test {
 protected:
  // Copies the shipped config/ into the sandbox, editing topology.yaml if asked: the copy's
  // relative paths (../state/...) then point into the sandbox, not at a developer's state/.
  std::string ShippedConfig(const std::string& from = "", const std::string& to = "") {
    std::string topology = ReadFile(kSourceDir + "/config/topology.yaml");
    if (!from.empty()) {
      const auto at = topology.find(from);
      EXPECT_NE(at, std::string::npos) << "the shipped topology no longer contains: " << from;
      if (at != std::string::npos) topology.replace(at, from.size(), to);
    }
    sb.Write("config/topology.yaml", topology);
    sb.Write("config/rules.yaml", ReadFile(kSourceDir + "/config/rules.yaml"));
    return sb.Write("config/hub.yaml", ReadFile(kSourceDir + "/config/hub.yaml"));
  }
  std::string Topology() const { return (sb.dir() / "config/topology.yaml").string(); }

  Sandbox sb;
};

TEST_F(CheckConfigTest, ShippedConfigIsOkOnceTheHubHasItsKeys) {
  const std::string hub_yaml = ShippedConfig();
  // The hub's own key pair must exist and match; keyless nodes are only warnings.
  const RunResult keys = sb.Cli({"keygen", "--id", "hub", "--dir", (sb.dir() / "state/keys").string()});
  ASSERT_EQ(keys.exit_code, 0) << keys.Describe();
  const RunResult r = sb.Hub({"--check-config", "-c", hub_yaml});
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_THAT(r.out, HasSubstr(hub_yaml + ": OK ("));
  EXPECT_THAT(r.err, HasSubstr("warning: "));
  EXPECT_THAT(r.err, HasSubstr("no public key"));
}

TEST_F(CheckConfigTest, MissingOrMismatchedHubKeysAreNamed) {
  const std::string hub_yaml = ShippedConfig();
  RunResult r = sb.Hub({"--check-config", "-c", hub_yaml});
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
  EXPECT_THAT(r.err, HasSubstr("state/keys/hub.key"));
  EXPECT_THAT(r.err, HasSubstr("renrakumo keygen"));
  // A public key file that is not the secret key's other half would strand every node.
  ASSERT_EQ(sb.Cli({"keygen", "--id", "hub", "--dir", (sb.dir() / "state/keys").string()}).exit_code, 0);
  ASSERT_EQ(sb.Cli({"keygen", "--id", "other", "--dir", (sb.dir() / "state/keys").string()}).exit_code, 0);
  fs::copy_file(sb.dir() / "state/keys/other.pub", sb.dir() / "state/keys/hub.pub",
                fs::copy_options::overwrite_existing);
  r = sb.Hub({"--check-config", "-c", hub_yaml});
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
  EXPECT_THAT(r.err, HasSubstr("is not the public half of"));
}

TEST_F(CheckConfigTest, UnknownKeyInHubYamlIsNamedWithItsFile) {
  const std::string hub_yaml = sb.Write(
      "hub.yaml", ReadFile(kSourceDir + "/config/hub.yaml") + "\njournal_mode: wal\n");
  const RunResult r = sb.Hub({"--check-config", "-c", hub_yaml});
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
  EXPECT_THAT(r.err, HasSubstr(hub_yaml));
  EXPECT_THAT(r.err, HasSubstr("unknown key 'journal_mode'"));
  EXPECT_THAT(r.out, Not(HasSubstr("OK")));
}

TEST_F(CheckConfigTest, NodeInAMissingSectorIsNamedWithItsFile) {
  const std::string hub_yaml =
      ShippedConfig("kind: operator\n    sector: aviation\n", "kind: operator\n    sector: aviaton\n");
  const RunResult r = sb.Hub({"--check-config", "-c", hub_yaml});
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
  EXPECT_THAT(r.err, HasSubstr(Topology()));
  EXPECT_THAT(r.err, HasSubstr("(airline-a).sector"));
  EXPECT_THAT(r.err, HasSubstr("'aviaton'"));
}

TEST_F(CheckConfigTest, BadEnumValueIsNamedWithItsFileAndTheAllowedValues) {
  const std::string hub_yaml =
      ShippedConfig("advisory_path: via_association", "advisory_path: sideways");
  const RunResult r = sb.Hub({"--check-config", "-c", hub_yaml});
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
  EXPECT_THAT(r.err, HasSubstr(Topology()));
  EXPECT_THAT(r.err, HasSubstr("advisory_path"));
  EXPECT_THAT(r.err, HasSubstr("'sideways'"));
  EXPECT_THAT(r.err, HasSubstr("direct, via_association"));
}

TEST_F(CheckConfigTest, BadValueInHubYamlIsNamedWithItsFile) {
  std::string text = ReadFile(kSourceDir + "/config/hub.yaml");
  const auto at = text.find("log_level: info");
  ASSERT_NE(at, std::string::npos) << "the shipped hub.yaml no longer sets log_level: info";
  text.replace(at, 15, "log_level: loud");
  const std::string hub_yaml = sb.Write("config/hub.yaml", text);
  sb.Write("config/topology.yaml", ReadFile(kSourceDir + "/config/topology.yaml"));
  const RunResult r = sb.Hub({"--check-config", "-c", hub_yaml});
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
  EXPECT_THAT(r.err, HasSubstr(hub_yaml + ": log_level"));
  EXPECT_THAT(r.err, HasSubstr("'loud'"));
}

TEST_F(CheckConfigTest, MissingFileIsNamed) {
  const std::string missing = (sb.dir() / "nowhere/hub.yaml").string();
  const RunResult r = sb.Hub({"--check-config", "-c", missing});
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
  EXPECT_THAT(r.err, HasSubstr(missing));
}

}  // namespace
}  // namespace renrakumo::clitest
