#include "lib/cursors.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace renrakumo::client {

uint64_t Cursors::get(const std::string& stream) const {
  auto it = seqs_.find(stream);
  return it == seqs_.end() ? 0 : it->second;
}

Result<Cursors> Cursors::Load(const std::string& path) {
  Cursors c;
  std::ifstream in(path);
  if (!in) return c;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    std::istringstream fields(line);
    std::string stream;
    uint64_t seq = 0;
    if (!(fields >> stream >> seq))
      return Error{"cursor file " + path + " line " + std::to_string(n) +
                   " is not 'stream sequence': '" + line + "'; delete the file to replay from "
                   "the start (duplicates are then discarded by message id)"};
    c.seqs_[stream] = seq;
  }
  return c;
}

Status Cursors::Save(const std::string& path) const {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    for (const auto& [stream, seq] : seqs_) out << stream << ' ' << seq << '\n';
    if (!out.flush()) return Error{"cannot write cursor file " + tmp + ": " + std::strerror(errno)};
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Error{"cannot replace cursor file " + path + ": " + ec.message()};
  return Ok{};
}

}  // namespace renrakumo::client
