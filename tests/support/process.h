// A service binary run as a child process with its own environment, its
// stdout and stderr captured to a file; killed on destruction if running.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace adcp::testing {

class ChildProcess {
 public:
  // Starts `binary args...` with exactly `env` as its environment.
  static std::unique_ptr<ChildProcess> Launch(
      const std::string& binary, const std::map<std::string, std::string>& env,
      const std::vector<std::string>& args = {});
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  std::string Log() const;
  // Exit code, or -signal; -1000 when it did not exit within `timeout`.
  int Wait(absl::Duration timeout);
  // True once the log contains `text`, false after `timeout` or on exit.
  bool AwaitLog(const std::string& text, absl::Duration timeout) const;
  bool Signal(int signal_number) const;

 private:
  pid_t pid_ = -1;
  std::string log_path_;
};

}  // namespace adcp::testing
