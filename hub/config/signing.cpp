#include "config/signing.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>
#include <sodium.h>

#include <cstdlib>

#include "renrakumo/v1/messages.pb.h"

namespace renrakumo::config {
namespace {

constexpr int kSignatureField = 20;  // Envelope.signature
constexpr std::string_view kContext = "renrakumo/v1 envelope\n";

void EnsureSodium() {
  static const bool ready = sodium_init() >= 0;
  if (!ready) std::abort();  // libsodium could not initialise: no safe way to go on
}

// Splits the envelope into the signed part and the raw payload of its field 20.
struct Split {
  std::string signed_part;
  std::string signature_payload;
  int signatures = 0;
};

Result<Split> SplitEnvelope(std::string_view bytes) {
  using google::protobuf::internal::WireFormatLite;
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  Split out;
  out.signed_part.reserve(bytes.size());
  for (;;) {
    const int start = in.CurrentPosition();
    if (static_cast<size_t>(start) == bytes.size()) break;
    const uint32_t tag = in.ReadTag();
    if (tag == 0 || WireFormatLite::GetTagFieldNumber(tag) == 0)
      return Error{"the envelope bytes are not well-formed protobuf"};
    const int field = static_cast<int>(WireFormatLite::GetTagFieldNumber(tag));
    if (field == kSignatureField) {
      if (WireFormatLite::GetTagWireType(tag) != WireFormatLite::WIRETYPE_LENGTH_DELIMITED)
        return Error{"the signature field has the wrong wire type"};
      std::string payload;
      if (!WireFormatLite::ReadBytes(&in, &payload))
        return Error{"the signature field is truncated"};
      out.signature_payload = std::move(payload);
      ++out.signatures;
      continue;
    }
    if (!WireFormatLite::SkipField(&in, tag)) return Error{"the envelope bytes are truncated"};
    out.signed_part.append(bytes.substr(static_cast<size_t>(start),
                                        static_cast<size_t>(in.CurrentPosition() - start)));
  }
  if (static_cast<size_t>(in.CurrentPosition()) != bytes.size())
    return Error{"the envelope bytes are not well-formed protobuf"};
  return out;
}

std::string SigningInput(std::string_view signed_part) {
  std::string input(kContext);
  input.append(signed_part);
  return input;
}

}  // namespace

KeyPair GenerateSigningKeyPair() {
  EnsureSodium();
  uint8_t seed[crypto_sign_SEEDBYTES];
  uint8_t pk[crypto_sign_PUBLICKEYBYTES];
  uint8_t sk[crypto_sign_SECRETKEYBYTES];
  randombytes_buf(seed, sizeof seed);
  crypto_sign_seed_keypair(pk, sk, seed);
  KeyPair keys{EncodeZ85(pk), EncodeZ85(seed)};
  sodium_memzero(seed, sizeof seed);
  sodium_memzero(sk, sizeof sk);
  return keys;
}

Status WriteSigningKeyPair(const std::string& dir, const std::string& id, const KeyPair& keys,
                           bool overwrite) {
  return WriteKeyPair(dir, id + ".sign", keys, overwrite);
}

Result<Signer> Signer::FromSeed(const std::string& seed_z85) {
  EnsureSodium();
  auto seed = DecodeZ85(seed_z85);
  if (!seed) return Error{"signing key: " + seed.error()};
  uint8_t pk[crypto_sign_PUBLICKEYBYTES];
  Signer s;
  static_assert(std::tuple_size_v<decltype(s.secret_)> == crypto_sign_SECRETKEYBYTES);
  crypto_sign_seed_keypair(pk, s.secret_.data(), seed->data());
  sodium_memzero(seed->data(), seed->size());
  s.public_z85_ = EncodeZ85(pk);
  return s;
}

Signer::~Signer() { sodium_memzero(secret_.data(), secret_.size()); }

Result<Signer> Signer::FromFile(const std::string& secret_path) {
  auto seed = ReadKeyFile(secret_path, /*secret=*/true);
  if (!seed) return Error{seed.error() + " (a signing key is made by: renrakumo keygen --signing)"};
  auto signer = FromSeed(*seed);
  sodium_memzero(seed->data(), seed->size());
  return signer;
}

Result<std::string> Signer::Sign(std::string_view envelope_bytes) const {
  auto split = SplitEnvelope(envelope_bytes);
  if (!split) return Error{"cannot sign: " + split.error()};
  const std::string input = SigningInput(split->signed_part);
  uint8_t sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const uint8_t*>(input.data()), input.size(),
                       secret_.data());
  v1::Envelope tail;  // only field 20 set: its encoding is exactly the field to append
  tail.mutable_signature()->set_ed25519(sig, sizeof sig);
  tail.mutable_signature()->set_key(public_z85_);
  return split->signed_part + tail.SerializeAsString();
}

Result<std::string> SignedPart(std::string_view envelope_bytes) {
  auto split = SplitEnvelope(envelope_bytes);
  if (!split) return Error{split.error()};
  return std::move(split->signed_part);
}

Verification VerifyEnvelope(std::string_view envelope_bytes,
                            const std::vector<std::string>& trusted_keys, const std::string& who) {
  EnsureSodium();
  Verification v;
  auto split = SplitEnvelope(envelope_bytes);
  if (!split) {
    v.verdict = Verdict::kInvalid;
    v.reason = "the signature of " + who + " cannot be checked: " + split.error();
    return v;
  }
  if (split->signatures == 0) {
    v.verdict = Verdict::kUnsigned;
    v.reason = "the message is not signed by " + who;
    return v;
  }
  v1::Signature sig;
  if (split->signatures > 1 || !sig.ParseFromString(split->signature_payload) ||
      sig.ed25519().size() != crypto_sign_BYTES) {
    v.verdict = Verdict::kInvalid;
    v.reason = "the signature of " + who + " is malformed (one 64-byte Ed25519 signature expected)";
    return v;
  }
  v.key = sig.key();
  bool trusted = false;
  for (const auto& k : trusted_keys) trusted = trusted || k == sig.key();
  auto key = trusted ? DecodeZ85(sig.key()) : Result<CurveKey>(Error{""});
  if (!key) {
    v.verdict = Verdict::kUnknownKey;
    v.reason = trusted_keys.empty()
                   ? "no signing key of " + who + " is known, so its signature cannot be checked"
                   : "signed with key " + sig.key().substr(0, 8) + "…, which is not a signing key of " +
                         who;
    return v;
  }
  const std::string input = SigningInput(split->signed_part);
  if (crypto_sign_verify_detached(reinterpret_cast<const uint8_t*>(sig.ed25519().data()),
                                  reinterpret_cast<const uint8_t*>(input.data()), input.size(),
                                  key->data()) != 0) {
    v.verdict = Verdict::kInvalid;
    v.reason = "the signature of " + who + " does not match the message: it was altered or forged";
    return v;
  }
  v.verdict = Verdict::kValid;
  return v;
}

std::string_view VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kValid: return "valid";
    case Verdict::kUnsigned: return "unsigned";
    case Verdict::kUnknownKey: return "unknown key";
    case Verdict::kInvalid: return "INVALID";
  }
  return "?";
}

}  // namespace renrakumo::config
