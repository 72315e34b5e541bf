// Structured logs: one JSON object per line on stderr, with the time, level,
// service, message, the current call's tenant_id (when known) and any fields.
// Secrets (tokens, passwords) must never be passed as fields.
#pragma once

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/statusor.h"

namespace adcp::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

absl::StatusOr<Level> ParseLevel(std::string_view text);

// Sets the service name and minimum level; call once from main.
void Init(std::string service, Level min_level);

bool Enabled(Level level);

using Fields =
    std::initializer_list<std::pair<std::string_view, nlohmann::json>>;

// What every line written on this thread carries while a call is served:
// libs/tenancy's ScopedCallContext installs it for the call's duration. The
// views must outlive the scope (they point into the call's context).
struct Context {
  std::string_view tenant_id;
  std::string_view request_id;
};

// Installs `context` for this thread until destroyed, then restores the
// previous one. Lives on the stack of the code serving the call.
class ScopedContext {
 public:
  explicit ScopedContext(const Context& context);
  ~ScopedContext();
  ScopedContext(const ScopedContext&) = delete;
  ScopedContext& operator=(const ScopedContext&) = delete;

 private:
  const Context* previous_;
};

// Writes one line when `level` is enabled. A "tenant_id" field overrides the
// one taken from the current call context; a null field is left out.
void Write(Level level, std::string_view message, Fields fields = {});

inline void Debug(std::string_view m, Fields f = {}) {
  Write(Level::kDebug, m, f);
}
inline void Info(std::string_view m, Fields f = {}) {
  Write(Level::kInfo, m, f);
}
inline void Warn(std::string_view m, Fields f = {}) {
  Write(Level::kWarn, m, f);
}
inline void Error(std::string_view m, Fields f = {}) {
  Write(Level::kError, m, f);
}

}  // namespace adcp::log
