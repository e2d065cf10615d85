// Who stands behind a delivery, by signature: an advisory's issuer and, for a relay, the
// association that relayed it, each checked against the signers this node trusts
// (NodeConfig.signers_file, pinned out of band like the hub's key). The hub checks every
// signature on submit; the client checks again so that nothing between the issuer and the
// person on duty, the hub included, can alter a warning unnoticed.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/signing.h"
#include "core/result.h"
#include "renrakumo/v1/config.pb.h"
#include "renrakumo/v1/wire.pb.h"

namespace renrakumo::client {

// The trusted signers of signers.yaml, by node id.
class SignerDirectory {
 public:
  static Result<SignerDirectory> Load(const std::string& path);
  static SignerDirectory From(const v1::Signers& signers);
  const v1::Signer* find(const std::string& node) const;
  std::string NameOf(const std::string& node) const;  // the node's name, or its id
  size_t size() const { return signers_.size(); }

 private:
  std::map<std::string, v1::Signer> signers_;
};

struct SignatureCheck {
  std::string node;     // who should have signed (node id)
  std::string name;     // display name from the signer directory, or the id
  bool checked = false; // false: no signer directory to check against
  config::Verification result;
};

struct Provenance {
  std::optional<SignatureCheck> issuer;   // the advisory's issuer (a relay's original sender)
  std::optional<SignatureCheck> relayer;  // the relaying association (relays only)
  bool fallback = false;  // relayed by the hub itself: the association missed its deadline
  std::string trouble;    // why the delivery cannot be trusted as it stands; empty when fine

  bool trusted() const { return trouble.empty(); }
  // "issued by Financial Services Agency (signature valid), relayed by the Japanese Bankers
  // Association (signature valid)"; empty for bodies that carry no signature.
  std::string Describe() const;
};

// Checks a delivery's signatures. `signers` null: nothing is checked, which Describe() says.
Provenance CheckProvenance(const v1::Delivery& delivery, const SignerDirectory* signers);

}  // namespace renrakumo::client
