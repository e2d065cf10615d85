// Signed advisories over the real network: the hub refuses an advisory or relay that is
// unsigned, signed with a key its sender does not hold, or altered; the members' client
// library checks both signatures again and says who issued and who relayed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "config/signing.h"
#include "network.h"

namespace renrakumo::testing {
namespace {

using ::testing::HasSubstr;

uint64_t SignatureRejections(const TestNetwork& net) {
  return net.hub().counters().rejections_by_code[v1::REJECT_SIGNATURE].load();
}

// fsa (through its signing client library) warns the finance sector: "fsa-sig-1".
void IssueFsaAdvisory(const TestNetwork& net) {
  auto fsa = net.Connect("fsa");
  auto advisory = MakeAdvisory("fsa-sig-1", {"finance"});
  auto outcome = fsa->Submit(advisory);
  ASSERT_TRUE(outcome && outcome->accepted)
      << (outcome ? outcome->rejected_reply.reason() : outcome.error());
}

// fsa's advisory to the finance sector, as delivered to jba, and jba's relay of it.
v1::Envelope RelayOf(const v1::Delivery& original, const std::string& id) {
  return MakeRelay(id, "fsa", "fsa-sig-1", original.envelope(),
                   "Members: patch your VPN gateways today.");
}

TEST(Signing, AMembersListenerSaysWhoIssuedAndWhoRelayedAndBothSignaturesHold) {
  TestNetwork net;
  ASSERT_NO_FATAL_FAILURE(IssueFsaAdvisory(net));
  auto jba = net.Connect("jba");
  auto original = jba->GetMessage("fsa", "fsa-sig-1");
  ASSERT_TRUE(original) << original.error();
  const auto at_jba = jba->Check(*original);
  EXPECT_TRUE(at_jba.trusted()) << at_jba.trouble;
  EXPECT_EQ(at_jba.Describe(), "issued by Financial Services Agency (金融庁) (signature valid)");

  auto relay = RelayOf(*original, "jba-relay-1");
  auto relayed = jba->Submit(relay);
  ASSERT_TRUE(relayed && relayed->accepted) << (relayed ? relayed->rejected_reply.reason() : relayed.error());
  auto bank = net.Connect("megabank-a");
  auto got = Drain(*bank);
  ASSERT_EQ(got.size(), 1u);
  const auto provenance = bank->Check(got[0]);
  EXPECT_TRUE(provenance.trusted()) << provenance.trouble;
  ASSERT_TRUE(provenance.issuer && provenance.relayer);
  EXPECT_EQ(provenance.issuer->result.verdict, config::Verdict::kValid);
  EXPECT_EQ(provenance.relayer->result.verdict, config::Verdict::kValid);
  EXPECT_THAT(provenance.Describe(),
              HasSubstr("issued by Financial Services Agency (金融庁) (signature valid), relayed by "
                        "Japanese Bankers Association (全国銀行協会) (signature valid)"));
  EXPECT_EQ(SignatureRejections(net), 0u);
}

TEST(Signing, AnUnsignedAdvisoryOrRelayIsRefusedAndCounted) {
  TestNetwork net;
  auto config = net.NodeConfig("fsa");
  config.clear_signing_key_file();  // a node whose software does not sign
  auto fsa = client::Client::Connect(config);
  ASSERT_TRUE(fsa) << fsa.error();
  auto advisory = MakeAdvisory("fsa-unsigned", {"finance"});
  auto outcome = (*fsa)->Submit(advisory);
  ASSERT_TRUE(outcome) << outcome.error();
  EXPECT_FALSE(outcome->accepted);
  EXPECT_EQ(outcome->rejected_reply.code(), v1::REJECT_SIGNATURE);
  EXPECT_THAT(outcome->rejected_reply.reason(), HasSubstr("every advisory must be signed"));
  EXPECT_EQ(SignatureRejections(net), 1u);

  // A signed advisory goes through; the association's unsigned relay of it does not.
  ASSERT_NO_FATAL_FAILURE(IssueFsaAdvisory(net));
  auto jba_config = net.NodeConfig("jba");
  jba_config.clear_signing_key_file();
  auto jba = client::Client::Connect(jba_config);
  ASSERT_TRUE(jba) << jba.error();
  auto original = (*jba)->GetMessage("fsa", "fsa-sig-1");
  ASSERT_TRUE(original) << original.error();
  auto relay = RelayOf(*original, "jba-unsigned-relay");
  auto refused = (*jba)->Submit(relay);
  ASSERT_TRUE(refused) << refused.error();
  EXPECT_EQ(refused->rejected_reply.code(), v1::REJECT_SIGNATURE);
  EXPECT_EQ(SignatureRejections(net), 2u);
  // Nothing reached the members, and the connection still serves.
  auto bank = net.Connect("megabank-a");
  EXPECT_TRUE(Drain(*bank).empty());
}

TEST(Signing, AMinistryCannotSignWithAnotherMinistrysKey) {
  TestNetwork net;
  // fsa's software holding mic's signing key: a stolen or mixed-up key.
  auto config = net.NodeConfig("fsa");
  config.set_signing_key_file((net.dir() / "keys" / "mic.sign.key").string());
  auto fsa = client::Client::Connect(config);
  ASSERT_TRUE(fsa) << fsa.error();
  auto advisory = MakeAdvisory("fsa-wrong-key", {"finance"});
  auto outcome = (*fsa)->Submit(advisory);
  ASSERT_TRUE(outcome) << outcome.error();
  EXPECT_EQ(outcome->rejected_reply.code(), v1::REJECT_SIGNATURE);
  EXPECT_THAT(outcome->rejected_reply.reason(), HasSubstr("not a signing key of fsa"));
  EXPECT_EQ(SignatureRejections(net), 1u);
}

TEST(Signing, AnAlteredRelayIsRefusedByTheHubAndFlaggedByAClientThatGetsOne) {
  TestNetwork net;
  ASSERT_NO_FATAL_FAILURE(IssueFsaAdvisory(net));
  auto jba = net.Connect("jba");
  auto original = jba->GetMessage("fsa", "fsa-sig-1");
  ASSERT_TRUE(original);
  // The association rewrites the government's advisory, keeping fsa's signature, and signs
  // the relay itself: the hub sees bytes that differ from what it delivered.
  v1::Envelope tampered;
  ASSERT_TRUE(tampered.ParseFromString(original->envelope()));
  tampered.mutable_advisory()->set_title("All clear: no action needed");
  v1::Delivery forged = *original;
  forged.set_envelope(tampered.SerializeAsString());
  auto relay = RelayOf(forged, "jba-altered");
  auto outcome = jba->Submit(relay);
  ASSERT_TRUE(outcome) << outcome.error();
  EXPECT_EQ(outcome->rejected_reply.code(), v1::REJECT_RELAY_MISMATCH);
  EXPECT_THAT(outcome->rejected_reply.reason(), HasSubstr("differ"));

  // Had it reached a member anyway (a compromised hub), the member's library flags it: the
  // issuer's signature no longer matches, though jba's own signature over the relay holds.
  v1::Delivery delivered;
  delivered.set_stream("node.megabank-a.");
  delivered.set_seq(1);
  delivered.set_sender("jba");
  delivered.set_kind("relay");
  delivered.set_envelope(net.EnvelopeBytes("jba", relay));
  auto bank = net.Connect("megabank-a");
  const auto provenance = bank->Check(delivered);
  EXPECT_FALSE(provenance.trusted());
  ASSERT_TRUE(provenance.issuer && provenance.relayer);
  EXPECT_EQ(provenance.issuer->result.verdict, config::Verdict::kInvalid);
  EXPECT_EQ(provenance.relayer->result.verdict, config::Verdict::kValid);
  EXPECT_THAT(provenance.trouble, HasSubstr("Do not act on it before confirming with "
                                            "Financial Services Agency"));
  EXPECT_THAT(provenance.Describe(), HasSubstr("SIGNATURE INVALID"));
  // A relay claiming to come from jba but carrying fsa's signature on the outside.
  delivered.set_envelope(net.EnvelopeBytes("fsa", relay));
  EXPECT_FALSE(bank->Check(delivered).trusted());
}

TEST(Signing, ARotatedOutSigningKeyStopsWorkingOnReloadWithoutARestart) {
  TestNetwork net;
  auto fsa = net.Connect("fsa");
  auto first = MakeAdvisory("fsa-before", {"finance"});
  ASSERT_TRUE(fsa->Submit(first)->accepted);
  // Rotation: fsa gets a new signing key; the topology lists the new one only.
  const auto fresh = config::GenerateSigningKeyPair();
  v1::Topology t = net.topology().config();
  for (auto& n : *t.mutable_nodes())
    if (n.id() == "fsa") {
      n.clear_signing_keys();
      n.add_signing_keys(fresh.public_z85);
    }
  net.ReloadTopology(t);
  auto old_signed = MakeAdvisory("fsa-old-key", {"finance"});
  auto refused = fsa->Submit(old_signed);
  ASSERT_TRUE(refused) << refused.error();
  EXPECT_EQ(refused->rejected_reply.code(), v1::REJECT_SIGNATURE);
  EXPECT_THAT(refused->rejected_reply.reason(), HasSubstr("not a signing key of fsa"));
  // The node's software with the new key is accepted at once.
  ASSERT_TRUE(config::WriteSigningKeyPair(net.dir().string(), "fsa-new", fresh, false));
  auto config = net.NodeConfig("fsa");
  config.set_signing_key_file((net.dir() / "fsa-new.sign.key").string());
  auto rotated = client::Client::Connect(config);
  ASSERT_TRUE(rotated) << rotated.error();
  auto after = MakeAdvisory("fsa-new-key", {"finance"});
  auto accepted = (*rotated)->Submit(after);
  ASSERT_TRUE(accepted) << accepted.error();
  EXPECT_TRUE(accepted->accepted) << accepted->rejected_reply.reason();
  // The key change is in the audit trail (committed with the batch that accepted the above).
  const auto changes = AuditActions(net, "signing_key_%");
  EXPECT_THAT(changes, ::testing::Contains("signing_key_added fsa " + fresh.public_z85));
  EXPECT_THAT(changes, ::testing::Contains(::testing::StartsWith("signing_key_revoked fsa ")));
}

TEST(Signing, WithoutASignersFileTheListenerSaysNothingWasChecked) {
  TestNetwork net;
  ASSERT_NO_FATAL_FAILURE(IssueFsaAdvisory(net));
  auto config = net.NodeConfig("jba");
  config.clear_signers_file();
  auto jba = client::Client::Connect(config);
  ASSERT_TRUE(jba) << jba.error();
  auto original = (*jba)->GetMessage("fsa", "fsa-sig-1");
  ASSERT_TRUE(original);
  const auto p = (*jba)->Check(*original);
  ASSERT_TRUE(p.issuer);
  EXPECT_FALSE(p.issuer->checked);
  EXPECT_THAT(p.Describe(), HasSubstr("signature not checked: no signers_file"));
  // A signers file that cannot be read is an error at connect, not a silent "unchecked".
  config.set_signers_file((net.dir() / "missing-signers.yaml").string());
  auto broken = client::Client::Connect(config);
  ASSERT_FALSE(broken);
  EXPECT_THAT(broken.error(), HasSubstr("signers_file"));
  // So is a mistyped key, which would otherwise only ever say "not checked".
  const auto typo = net.dir() / "typo-signers.yaml";
  std::ofstream(typo) << "signers:\n  - node: fsa\n    keys: [\"not-a-key\"]\n";
  config.set_signers_file(typo.string());
  auto mistyped = client::Client::Connect(config);
  ASSERT_FALSE(mistyped);
  EXPECT_THAT(mistyped.error(), HasSubstr("signer fsa"));
}

}  // namespace
}  // namespace renrakumo::testing
