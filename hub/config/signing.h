// Ed25519 signatures on envelopes (advisories and relays must carry one). A signature covers
// "renrakumo/v1 envelope\n" followed by the envelope's bytes exactly as sent, minus every
// top-level field 20 (Envelope.signature): nothing is re-encoded to sign or to check, so any
// protobuf library can produce and verify the same bytes. Keys are Z85 text like CURVE keys:
// <id>.sign.pub (the public key) and <id>.sign.key (the 32-byte seed, mode 0600).
#pragma once

#include <array>
#include <cstdint>

#include <string>
#include <string_view>
#include <vector>

#include "config/keys.h"
#include "core/result.h"

namespace renrakumo::config {

// Creates a fresh signing key pair (public key and seed, both Z85).
KeyPair GenerateSigningKeyPair();
// Writes <dir>/<id>.sign.pub and <dir>/<id>.sign.key; refuses to overwrite unless asked.
Status WriteSigningKeyPair(const std::string& dir, const std::string& id, const KeyPair& keys,
                           bool overwrite);

// A node's signing key, read from its secret file (the seed), ready to sign.
// The secret key is wiped (sodium_memzero) when a Signer goes, and so is every copy of the
// seed the Signer made on the way; a moved-from Signer wipes its own copy too.
class Signer {
 public:
  static Result<Signer> FromFile(const std::string& secret_path);
  static Result<Signer> FromSeed(const std::string& seed_z85);
  Signer() = default;
  Signer(const Signer&) = default;
  Signer(Signer&&) = default;
  Signer& operator=(const Signer&) = default;
  Signer& operator=(Signer&&) = default;
  ~Signer();
  const std::string& public_key() const { return public_z85_; }
  // `unsigned_envelope` with a Signature appended as field 20 (any old one removed first).
  Result<std::string> Sign(std::string_view envelope_bytes) const;

 private:
  std::string public_z85_;
  // libsodium's 64-byte secret key (seed + public key), kept out of std::string: a string may
  // reallocate and leave copies behind.
  std::array<uint8_t, 64> secret_{};
};

// The bytes a signature covers: `envelope_bytes` without its top-level field 20, or an
// error when they are not well-formed protobuf wire format.
Result<std::string> SignedPart(std::string_view envelope_bytes);

enum class Verdict {
  kValid,      // signed by one of the expected keys, and the signature holds
  kUnsigned,   // no signature at all
  kUnknownKey, // signed with a key the signer does not hold (or that we do not trust)
  kInvalid,    // the signature does not match the bytes: altered or forged
};

struct Verification {
  Verdict verdict = Verdict::kUnsigned;
  std::string key;     // the key named in the signature (Z85), when signed
  std::string reason;  // a sentence for logs and rejections, empty when valid
};

// Checks the signature inside `envelope_bytes` against `trusted_keys` (the signer's public
// signing keys, Z85). `who` names the signer in the reason.
Verification VerifyEnvelope(std::string_view envelope_bytes,
                            const std::vector<std::string>& trusted_keys, const std::string& who);

std::string_view VerdictName(Verdict v);

}  // namespace renrakumo::config
