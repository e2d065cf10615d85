// What every `renrakumo` command shares: the common options, connecting as the node, and
// failing with a sentence and an exit code.
#pragma once

#include <memory>
#include <string>

#include "core/result.h"
#include "lib/client.h"

namespace renrakumo::cli {

struct Common {
  std::string node_config;
  std::string tlp;
  std::string status = "actual";
  std::string message_id;
};

// Prints "renrakumo: <message>" on stderr and returns `code` (the process exit code).
int Fail(const std::string& message, int code);

// Loads the node config named by --node-config and connects as that node.
Result<std::unique_ptr<client::Client>> ConnectNode(const Common& c);

}  // namespace renrakumo::cli
