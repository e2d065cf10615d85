#include "lib/provenance.h"

#include "config/yaml_proto.h"
#include "renrakumo/v1/messages.pb.h"

namespace renrakumo::client {
namespace {

SignatureCheck Check(const std::string& bytes, const std::string& node,
                     const SignerDirectory* signers) {
  SignatureCheck c;
  c.node = node;
  c.name = signers == nullptr ? node : signers->NameOf(node);
  if (signers == nullptr) {
    c.result.verdict = config::Verdict::kUnknownKey;
    c.result.reason = "not checked: the node config names no signers_file";
    return c;
  }
  c.checked = true;
  std::vector<std::string> keys;
  if (const v1::Signer* s = signers->find(node)) keys.assign(s->keys().begin(), s->keys().end());
  c.result = config::VerifyEnvelope(bytes, keys, c.name);
  return c;
}

std::string Phrase(const SignatureCheck& c) {
  if (!c.checked) return c.name + " (signature not checked: no signers_file)";
  switch (c.result.verdict) {
    case config::Verdict::kValid: return c.name + " (signature valid)";
    case config::Verdict::kUnsigned: return c.name + " (NOT SIGNED)";
    case config::Verdict::kUnknownKey: return c.name + " (signature not checked: " + c.result.reason + ")";
    case config::Verdict::kInvalid: return c.name + " (SIGNATURE INVALID: " + c.result.reason + ")";
  }
  return c.name;
}

// A failed check the person on duty must hear about: unsigned or invalid where a signature
// is required. An unknown signer key is not trouble by itself (the directory may be older
// than a rotation) but is said in Describe().
std::string TroubleOf(const SignatureCheck& c, const std::string& role) {
  if (!c.checked) return "";
  if (c.result.verdict == config::Verdict::kInvalid || c.result.verdict == config::Verdict::kUnsigned)
    return "the " + role + "'s signature does not hold: " + c.result.reason +
           ". Do not act on it before confirming with " + c.name + " by another channel.";
  return "";
}

}  // namespace

Result<SignerDirectory> SignerDirectory::Load(const std::string& path) {
  v1::Signers signers;
  if (auto s = config::ParseYamlFile(path, &signers); !s) return Error{s.error()};
  for (const auto& s : signers.signers()) {
    if (s.node().empty() || s.keys().empty())
      return Error{path + ": every signer needs a node and at least one key"};
    for (const auto& key : s.keys())  // a mistyped key would only ever say "not checked"
      if (auto decoded = config::DecodeZ85(key); !decoded)
        return Error{path + ": signer " + s.node() + ": " + decoded.error()};
  }
  return From(signers);
}

SignerDirectory SignerDirectory::From(const v1::Signers& signers) {
  SignerDirectory d;
  for (const auto& s : signers.signers()) d.signers_[s.node()] = s;
  return d;
}

const v1::Signer* SignerDirectory::find(const std::string& node) const {
  auto it = signers_.find(node);
  return it == signers_.end() ? nullptr : &it->second;
}

std::string SignerDirectory::NameOf(const std::string& node) const {
  const v1::Signer* s = find(node);
  return s == nullptr || s->name().empty() ? node : s->name();
}

std::string Provenance::Describe() const {
  std::string out;
  if (issuer) out = "issued by " + Phrase(*issuer);
  if (relayer) out += (out.empty() ? "" : ", ") + std::string("relayed by ") + Phrase(*relayer);
  if (fallback) out += (out.empty() ? "" : ", ") + std::string("delivered by the hub itself (relay fallback)");
  return out;
}

Provenance CheckProvenance(const v1::Delivery& delivery, const SignerDirectory* signers) {
  Provenance p;
  v1::Envelope env;
  if (!env.ParseFromString(delivery.envelope())) {
    p.trouble = "the envelope could not be decoded";
    return p;
  }
  if (env.has_relay()) {
    const auto& r = env.relay();
    v1::Envelope original;
    const bool decodes = original.ParseFromString(r.original_envelope());
    if (decodes && (original.has_advisory() || original.has_signature()))
      p.issuer = Check(r.original_envelope(), r.original_sender(), signers);
    if (delivery.sender() == "hub") p.fallback = true;  // authenticated as the hub by CURVE
    else p.relayer = Check(delivery.envelope(), delivery.sender(), signers);
    if (!decodes) p.trouble = "the relayed original could not be decoded";
  } else if (env.has_advisory() || env.has_signature()) {
    p.issuer = Check(delivery.envelope(), delivery.sender(), signers);
  }
  if (p.trouble.empty() && p.issuer) p.trouble = TroubleOf(*p.issuer, "issuer");
  if (p.trouble.empty() && p.relayer) p.trouble = TroubleOf(*p.relayer, "relaying association");
  return p;
}

}  // namespace renrakumo::client
