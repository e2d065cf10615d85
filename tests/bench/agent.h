// The client side of the load generator, in a process of its own: forked before the hub or
// the baseline exist (so it inherits no threads and no sockets), it owns every node socket
// and runs one command at a time for the parent, over a pipe, one line in and one line out.
// Keeping clients out of the server's process makes the server's RSS and CPU its own.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <sys/types.h>
#include <vector>

#include "synthetic.h"

namespace renrakumo::bench {

// The answer to a command: "key=value" pairs, plus a list of numbers for "times".
struct AgentReply {
  std::map<std::string, std::string> fields;
  std::vector<int64_t> times;  // steady_clock nanoseconds
  double number(const std::string& key) const;
};

class Agent {
 public:
  // Forks the agent process; the child serves commands until "quit" and then _exits.
  explicit Agent(const SyntheticNetwork& net);
  ~Agent();  // sends "quit" and reaps the child
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // Sends one command line and waits for its reply line (bounded by the command itself).
  AgentReply Call(const std::string& command);
  // Sends a command without waiting; read its replies with Read().
  void Send(const std::string& command);
  AgentReply Read();
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  FILE* to_child_ = nullptr;
  FILE* from_child_ = nullptr;
};

// The child's command loop (exposed for tests of the agent itself).
int ServeCommands(const SyntheticNetwork& net, FILE* in, FILE* out);

}  // namespace renrakumo::bench
