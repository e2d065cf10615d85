#include "config/keys.h"

#include <sys/stat.h>
#include <zmq.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace renrakumo::config {
namespace fs = std::filesystem;

namespace {

std::string Trim(std::string s) {
  const auto* ws = " \t\r\n";
  s.erase(0, s.find_first_not_of(ws));
  s.erase(s.find_last_not_of(ws) + 1);
  return s;
}

Status WriteFile(const fs::path& path, const std::string& text, mode_t mode) {
  const std::string tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return Error{"cannot write " + tmp + ": " + std::strerror(errno)};
    // Tighten the mode before the secret is in the file.
    ::chmod(tmp.c_str(), mode);
    out << text << "\n";
    if (!out.flush()) return Error{"cannot write " + tmp + ": " + std::strerror(errno)};
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return Error{"cannot rename " + tmp + " to " + path.string() + ": " + ec.message()};
  return Ok{};
}

}  // namespace

Result<CurveKey> DecodeZ85(const std::string& z85) {
  if (z85.size() != 40)
    return Error{"a CURVE key in Z85 is 40 characters; got " + std::to_string(z85.size())};
  CurveKey key{};
  if (zmq_z85_decode(key.data(), z85.c_str()) == nullptr)
    return Error{"'" + z85 + "' is not valid Z85 text"};
  return key;
}

std::string EncodeZ85(const uint8_t* key32) {
  char out[41] = {};
  zmq_z85_encode(out, key32, 32);
  return std::string(out, 40);
}

Result<std::string> ReadKeyFile(const std::string& path, bool secret) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return Error{"cannot read key file " + path + ": " + std::strerror(errno) +
                 " (generate one with: renrakumo keygen)"};
  if (secret && (st.st_mode & 0077) != 0)
    return Error{"secret key file " + path + " is readable by others (mode " +
                 [&] { std::ostringstream o; o << std::oct << (st.st_mode & 0777); return o.str(); }() +
                 "): run chmod 600 " + path};
  std::ifstream in(path);
  std::stringstream buf;
  buf << in.rdbuf();
  std::string key = Trim(buf.str());
  auto decoded = DecodeZ85(key);
  if (!decoded) return Error{"key file " + path + ": " + decoded.error()};
  return key;
}

KeyPair GenerateKeyPair() {
  char pub[41] = {};
  char sec[41] = {};
  if (zmq_curve_keypair(pub, sec) != 0) std::abort();  // only fails without CURVE support
  return {std::string(pub, 40), std::string(sec, 40)};
}

Status WriteKeyPair(const std::string& dir, const std::string& id, const KeyPair& keys,
                    bool overwrite) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Error{"cannot create key directory " + dir + ": " + ec.message()};
  const fs::path pub = fs::path(dir) / (id + ".pub");
  const fs::path sec = fs::path(dir) / (id + ".key");
  if (!overwrite && (fs::exists(pub) || fs::exists(sec)))
    return Error{"a key for '" + id + "' already exists in " + dir +
                 "; replacing it cuts the node off until the topology has the new public key "
                 "(use --force to replace it)"};
  if (auto s = WriteFile(sec, keys.secret_z85, 0600); !s) return s;
  return WriteFile(pub, keys.public_z85, 0644);
}

}  // namespace renrakumo::config
