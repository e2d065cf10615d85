#include "process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace renrakumo::clitest {
namespace {

using Clock = std::chrono::steady_clock;

// execve wants NULL-terminated arrays of C strings; these own the storage.
struct CArgs {
  std::vector<std::string> storage;
  std::vector<char*> ptrs;
  explicit CArgs(std::vector<std::string> items) : storage(std::move(items)) {
    for (auto& s : storage) ptrs.push_back(s.data());
    ptrs.push_back(nullptr);
  }
};

CArgs ChildEnvironment() {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e)
    if (std::strncmp(*e, "RENRAKUMO_NODE_CONFIG=", 22) != 0) env.emplace_back(*e);
  return CArgs(std::move(env));
}

std::string JoinCommand(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) out += (out.empty() ? "" : " ") + a;
  return out;
}

// Forks and execs; in the child only async-signal-safe calls run before execve.
pid_t Spawn(const std::vector<std::string>& argv, int out_fd, int err_fd,
            const std::filesystem::path& cwd = {}) {
  CArgs args(argv);
  CArgs env = ChildEnvironment();
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0) throw std::runtime_error("cannot open /dev/null");
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(126);
    ::dup2(null_fd, 0);
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    ::execve(args.ptrs[0], args.ptrs.data(), env.ptrs.data());
    static const char msg[] = "exec failed\n";
    (void)!::write(2, msg, sizeof msg - 1);
    ::_exit(127);
  }
  ::close(null_fd);
  return pid;
}

void Fill(RunResult& r, int status) {
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.term_signal = WTERMSIG(status);
}

}  // namespace

std::string RunResult::Describe() const {
  std::ostringstream s;
  s << "$ " << command << "\n  exit code " << exit_code;
  if (term_signal != 0) s << " (signal " << term_signal << ")";
  if (killed) s << " (killed: outlived its bound)";
  s << "\n  stdout: " << out << "\n  stderr: " << err;
  return s.str();
}

RunResult Run(const std::vector<std::string>& argv, const std::filesystem::path& cwd,
              int bound_s) {
  RunResult r;
  r.command = (cwd.empty() ? "" : "(in " + cwd.string() + ") ") + JoinCommand(argv);
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe2 failed");
  const pid_t pid = Spawn(argv, out_pipe[1], err_pipe[1], cwd);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);

  const auto deadline = Clock::now() + std::chrono::seconds(bound_s);
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&r.out, &r.err};
  int open_fds = 2;
  while (open_fds > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0 && !r.killed) {
      ::kill(pid, SIGKILL);  // its pipes close with it, so the loop ends
      r.killed = true;
    }
    const int n = ::poll(fds, 2, r.killed ? 1000 : static_cast<int>(left.count()));
    if (n < 0 && errno != EINTR) throw std::runtime_error("poll failed");
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      const ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got > 0) {
        sinks[i]->append(buf, static_cast<size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  Fill(r, status);
  return r;
}

Daemon::Daemon(const std::vector<std::string>& argv, const std::filesystem::path& log) {
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot open " + log.string());
  pid_ = Spawn(argv, fd, fd);
  ::close(fd);
}

Daemon::~Daemon() {
  if (!reaped_) (void)Stop();
}

bool Daemon::Running() {
  if (reaped_) return false;
  const pid_t got = ::waitpid(pid_, &status_, WNOHANG);
  if (got == pid_) reaped_ = true;
  return !reaped_;
}

int Daemon::Stop(int bound_s) {
  if (!Running()) return status_;
  ::kill(pid_, SIGTERM);
  if (WaitUntil([this] { return !Running(); }, bound_s)) return status_;
  ::kill(pid_, SIGKILL);
  while (::waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
  return -1;
}

bool WaitUntil(const std::function<bool()>& condition, int bound_s) {
  const auto deadline = Clock::now() + std::chrono::seconds(bound_s);
  for (;;) {
    if (condition()) return true;
    if (Clock::now() >= deadline) return false;
    // A polling interval between checks of a condition, not a guess at how long anything takes.
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string ReadFile(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace renrakumo::clitest
