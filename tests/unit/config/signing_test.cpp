// Ed25519 envelope signatures: what a signature covers, and every way a check can fail.
#include "config/signing.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <new>

#include "config/keys.h"
#include "renrakumo/v1/messages.pb.h"

namespace renrakumo::config {
namespace {

using ::testing::HasSubstr;

v1::Envelope Advisory() {
  v1::Envelope env;
  env.set_message_id("fsa-1");
  env.set_created_at_ms(1'700'000'000'000);
  env.set_tlp(v1::TLP_GREEN);
  auto* a = env.mutable_advisory();
  a->set_kind(v1::ADVISORY_WARNING);
  a->set_severity(v1::SEVERITY_SEVERE);
  a->set_title("Exploited VPN vulnerability: patch now");
  a->mutable_audience()->add_sectors("finance");
  return env;
}

struct Keys {
  KeyPair pair = GenerateSigningKeyPair();
  Signer signer = *Signer::FromSeed(pair.secret_z85);
};

// The signing secret does not outlive its Signer: the storage a Signer occupied no longer
// holds the seed (the first half of libsodium's secret key) once it is destroyed.
TEST(Signing, ASignerWipesItsSecretWhenItGoes) {
  const KeyPair pair = GenerateSigningKeyPair();
  auto seed = DecodeZ85(pair.secret_z85);
  ASSERT_TRUE(seed);
  alignas(Signer) unsigned char storage[sizeof(Signer)];
  auto contains_seed = [&] {
    return std::search(storage, storage + sizeof storage, seed->begin(), seed->end()) !=
           storage + sizeof storage;
  };
  auto* signer = new (storage) Signer(*Signer::FromSeed(pair.secret_z85));
  ASSERT_TRUE(contains_seed()) << "the test must find the secret while the Signer lives";
  ASSERT_TRUE(signer->Sign(Advisory().SerializeAsString()));
  signer->~Signer();
  EXPECT_FALSE(contains_seed());
}

TEST(Signing, ASignedEnvelopeVerifiesAndStillDecodesAsTheSameMessage) {
  Keys fsa;
  const std::string plain = Advisory().SerializeAsString();
  auto signed_bytes = fsa.signer.Sign(plain);
  ASSERT_TRUE(signed_bytes) << signed_bytes.error();
  EXPECT_EQ(fsa.signer.public_key(), fsa.pair.public_z85);
  // The signature is appended: the signed bytes are the original bytes, untouched.
  EXPECT_EQ(signed_bytes->substr(0, plain.size()), plain);
  EXPECT_EQ(*SignedPart(*signed_bytes), plain);
  v1::Envelope decoded;
  ASSERT_TRUE(decoded.ParseFromString(*signed_bytes));
  EXPECT_EQ(decoded.advisory().title(), "Exploited VPN vulnerability: patch now");
  EXPECT_EQ(decoded.signature().ed25519().size(), 64u);
  EXPECT_EQ(decoded.signature().key(), fsa.pair.public_z85);
  const Verification v = VerifyEnvelope(*signed_bytes, {fsa.pair.public_z85}, "fsa");
  EXPECT_EQ(v.verdict, Verdict::kValid) << v.reason;
  EXPECT_TRUE(v.reason.empty());
}

TEST(Signing, AnyAlteredByteOfTheSignedPartIsCaught) {
  Keys fsa;
  const std::string plain = Advisory().SerializeAsString();
  const std::string good = *fsa.signer.Sign(plain);
  for (size_t i = 0; i < plain.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    const Verification v = VerifyEnvelope(bad, {fsa.pair.public_z85}, "fsa");
    EXPECT_EQ(v.verdict, Verdict::kInvalid) << "byte " << i;
  }
  // An altered title that still decodes is named as altered or forged.
  v1::Envelope env = Advisory();
  env.mutable_advisory()->set_title("All clear: no action needed");
  v1::Envelope sig_only;
  sig_only.ParseFromString(good);
  *env.mutable_signature() = sig_only.signature();
  const Verification v = VerifyEnvelope(env.SerializeAsString(), {fsa.pair.public_z85}, "fsa");
  EXPECT_EQ(v.verdict, Verdict::kInvalid);
  EXPECT_THAT(v.reason, HasSubstr("altered or forged"));
}

TEST(Signing, ASignatureByAnotherNodesKeyIsNotTrusted) {
  Keys fsa, mic;
  const std::string by_mic = *mic.signer.Sign(Advisory().SerializeAsString());
  const Verification v = VerifyEnvelope(by_mic, {fsa.pair.public_z85}, "fsa");
  EXPECT_EQ(v.verdict, Verdict::kUnknownKey);
  EXPECT_THAT(v.reason, HasSubstr("not a signing key of fsa"));
  const Verification none = VerifyEnvelope(by_mic, {}, "fsa");
  EXPECT_EQ(none.verdict, Verdict::kUnknownKey);
  EXPECT_THAT(none.reason, HasSubstr("no signing key of fsa is known"));
}

TEST(Signing, ClaimingATrustedKeyWithoutHoldingItFails) {
  Keys fsa, forger;
  std::string forged = *forger.signer.Sign(Advisory().SerializeAsString());
  v1::Envelope env;
  ASSERT_TRUE(env.ParseFromString(forged));
  env.mutable_signature()->set_key(fsa.pair.public_z85);  // names fsa's key, signed by another
  const Verification v = VerifyEnvelope(env.SerializeAsString(), {fsa.pair.public_z85}, "fsa");
  EXPECT_EQ(v.verdict, Verdict::kInvalid);
}

TEST(Signing, UnsignedMalformedAndDoubleSignaturesAreRefused) {
  Keys fsa;
  const std::string plain = Advisory().SerializeAsString();
  EXPECT_EQ(VerifyEnvelope(plain, {fsa.pair.public_z85}, "fsa").verdict, Verdict::kUnsigned);
  const std::string good = *fsa.signer.Sign(plain);
  // The field-20 record appended twice: one signature is expected, not a merge of two.
  const std::string twice = good + good.substr(plain.size());
  EXPECT_EQ(VerifyEnvelope(twice, {fsa.pair.public_z85}, "fsa").verdict, Verdict::kInvalid);
  // A truncated envelope, and bytes that are not protobuf at all.
  EXPECT_EQ(VerifyEnvelope(good.substr(0, good.size() - 5), {fsa.pair.public_z85}, "fsa").verdict,
            Verdict::kInvalid);
  EXPECT_FALSE(SignedPart("\xff\xff\xff"));
  // A signature of the wrong length.
  v1::Envelope env = Advisory();
  env.mutable_signature()->set_ed25519("short");
  env.mutable_signature()->set_key(fsa.pair.public_z85);
  const Verification v = VerifyEnvelope(env.SerializeAsString(), {fsa.pair.public_z85}, "fsa");
  EXPECT_EQ(v.verdict, Verdict::kInvalid);
  EXPECT_THAT(v.reason, HasSubstr("malformed"));
}

TEST(Signing, ASignatureFieldAnywhereIsLeftOutOfWhatItCovers) {
  // Another protobuf library may write field 20 before the others; the check must not care.
  Keys fsa;
  const std::string plain = Advisory().SerializeAsString();
  const std::string good = *fsa.signer.Sign(plain);
  const std::string field = good.substr(plain.size());
  const std::string first = field + plain;
  EXPECT_EQ(*SignedPart(first), plain);
  EXPECT_EQ(VerifyEnvelope(first, {fsa.pair.public_z85}, "fsa").verdict, Verdict::kValid);
}

TEST(Signing, ResigningReplacesTheOldSignatureAndRotationKeepsBothKeysValid) {
  Keys old_key, new_key;
  const std::string plain = Advisory().SerializeAsString();
  const std::string by_old = *old_key.signer.Sign(plain);
  const std::string by_new = *new_key.signer.Sign(by_old);  // re-signed: one signature, the new
  EXPECT_EQ(*SignedPart(by_new), plain);
  const std::vector<std::string> both{old_key.pair.public_z85, new_key.pair.public_z85};
  EXPECT_EQ(VerifyEnvelope(by_old, both, "fsa").verdict, Verdict::kValid);
  EXPECT_EQ(VerifyEnvelope(by_new, both, "fsa").verdict, Verdict::kValid);
  EXPECT_EQ(VerifyEnvelope(by_old, {new_key.pair.public_z85}, "fsa").verdict, Verdict::kUnknownKey);
}

TEST(Signing, SeedsAreZ85AndAWrongSeedIsAnError) {
  EXPECT_FALSE(Signer::FromSeed("not a key"));
  auto missing = Signer::FromFile("/nonexistent/fsa.sign.key");
  ASSERT_FALSE(missing);
  EXPECT_THAT(missing.error(), HasSubstr("renrakumo keygen --signing"));
  const KeyPair pair = GenerateSigningKeyPair();
  EXPECT_EQ(pair.public_z85.size(), 40u);
  EXPECT_EQ(pair.secret_z85.size(), 40u);
  EXPECT_NE(pair.public_z85, pair.secret_z85);
  // The same seed always gives the same public key (the seed is all a node stores).
  EXPECT_EQ(Signer::FromSeed(pair.secret_z85)->public_key(), pair.public_z85);
}

}  // namespace
}  // namespace renrakumo::config
