#include "cli/common.h"

#include <iostream>

#include "config/load.h"

namespace renrakumo::cli {

int Fail(const std::string& message, int code) {
  std::cerr << "renrakumo: " << message << "\n";
  return code;
}

Result<std::unique_ptr<client::Client>> ConnectNode(const Common& c) {
  if (c.node_config.empty())
    return Error{"no node config: pass --node-config FILE or set RENRAKUMO_NODE_CONFIG"};
  auto cfg = config::LoadNodeConfig(c.node_config);
  if (!cfg) return Error{cfg.error()};
  return client::Client::Connect(*cfg);
}

}  // namespace renrakumo::cli
