// Running the real binaries as a user does: a command to completion with its stdout, stderr
// and exit code captured, or a daemon in the background that is stopped with SIGTERM.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace renrakumo::clitest {

struct RunResult {
  int exit_code = -1;     // the process's exit status; -1 if it did not exit normally
  int term_signal = 0;    // the signal that ended it, if one did
  bool killed = false;    // it outlived the safety bound and was killed
  std::string out;
  std::string err;
  // For failure messages: the command line and everything it said.
  std::string command;
  std::string Describe() const;
};

// Runs argv[0] (a path) with argv, waits for it and returns what it printed. The child gets
// this process's environment minus RENRAKUMO_NODE_CONFIG, so only explicit flags count.
// A child still running after `bound_s` seconds is killed: a hang fails a test instead of
// hanging the suite (a safety net, not a timing assertion). A non-empty `cwd` is the child's
// working directory, for commands given relative paths as a user types them.
RunResult Run(const std::vector<std::string>& argv, const std::filesystem::path& cwd = {},
              int bound_s = 60);

// A process running in the background with stdout and stderr going to `log`.
class Daemon {
 public:
  Daemon(const std::vector<std::string>& argv, const std::filesystem::path& log);
  ~Daemon();  // stops it if still running
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  pid_t pid() const { return pid_; }
  // True while the process has not exited (reaps it if it has; see exit_status()).
  bool Running();
  // SIGTERM, then waits up to `bound_s` seconds, then SIGKILL. Returns the wait status
  // (as from waitpid), or -1 if it had to be killed.
  int Stop(int bound_s = 20);
  // The waitpid status once the process has exited.
  int exit_status() const { return status_; }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
};

// Polls `condition` until it holds or `bound_s` seconds pass; returns whether it held.
bool WaitUntil(const std::function<bool()>& condition, int bound_s = 20);

std::string ReadFile(const std::filesystem::path& file);

}  // namespace renrakumo::clitest
