// CURVE key files: Z85 text, one key per file. A secret key file is written with mode 0600
// and refused when others can read it. Used by the hub, the client library and keygen.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "core/result.h"

namespace renrakumo::config {

using CurveKey = std::array<uint8_t, 32>;

struct KeyPair {
  std::string public_z85;  // 40 characters
  std::string secret_z85;  // 40 characters
};

// Reads a Z85 key file (surrounding whitespace ignored) and checks it is a well-formed key.
Result<std::string> ReadKeyFile(const std::string& path, bool secret);

// Decodes a 40-character Z85 key into its 32 bytes.
Result<CurveKey> DecodeZ85(const std::string& z85);
std::string EncodeZ85(const uint8_t* key32);

KeyPair GenerateKeyPair();

// Writes <dir>/<id>.pub (0644) and <dir>/<id>.key (0600). Refuses to overwrite an existing
// key unless `overwrite`, because replacing a node's key cuts it off the network.
Status WriteKeyPair(const std::string& dir, const std::string& id, const KeyPair& keys,
                    bool overwrite);

}  // namespace renrakumo::config
