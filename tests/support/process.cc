#include "tests/support/process.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

namespace adcp::testing {

std::unique_ptr<ChildProcess> ChildProcess::Launch(
    const std::string& binary, const std::map<std::string, std::string>& env,
    const std::vector<std::string>& args) {
  auto process = std::unique_ptr<ChildProcess>(new ChildProcess());
  char path[] = "/tmp/adcp-child-XXXXXX";
  const int fd = mkstemp(path);
  process->log_path_ = path;
  process->pid_ = fork();
  if (process->pid_ == 0) {
    dup2(fd, STDERR_FILENO);
    dup2(fd, STDOUT_FILENO);
    clearenv();
    for (const auto& [name, value] : env)
      setenv(name.c_str(), value.c_str(), 1);
    std::vector<char*> argv = {const_cast<char*>(binary.c_str())};
    for (const std::string& arg : args)
      argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  close(fd);
  return process;
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (!log_path_.empty()) unlink(log_path_.c_str());
}

std::string ChildProcess::Log() const {
  std::ifstream file(log_path_);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

int ChildProcess::Wait(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  int status = 0;
  while (absl::Now() < deadline) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1000;
}

bool ChildProcess::AwaitLog(const std::string& text,
                            absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (Log().find(text) != std::string::npos) return true;
    if (pid_ <= 0 || kill(pid_, 0) != 0) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return Log().find(text) != std::string::npos;
}

bool ChildProcess::Signal(int signal_number) const {
  return pid_ > 0 && kill(pid_, signal_number) == 0;
}

}  // namespace adcp::testing
