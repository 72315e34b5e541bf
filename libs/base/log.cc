#include "libs/base/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace adcp::log {
namespace {

std::atomic<int> min_level{static_cast<int>(Level::kInfo)};
std::mutex write_mutex;
thread_local const Context* current_context = nullptr;
std::string& ServiceName() {
  static std::string* name = new std::string("adcp");
  return *name;
}

const char* LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

}  // namespace

absl::StatusOr<Level> ParseLevel(std::string_view text) {
  const std::string lower = absl::AsciiStrToLower(std::string(text));
  if (lower == "debug") return Level::kDebug;
  if (lower == "info") return Level::kInfo;
  if (lower == "warn" || lower == "warning") return Level::kWarn;
  if (lower == "error") return Level::kError;
  return absl::InvalidArgumentError(
      absl::StrCat("LOG_LEVEL: expected debug, info, warn or error, got '",
                   std::string(text), "'"));
}

void Init(std::string service, Level level) {
  std::lock_guard<std::mutex> lock(write_mutex);
  ServiceName() = std::move(service);
  min_level.store(static_cast<int>(level));
}

ScopedContext::ScopedContext(const Context& context)
    : previous_(current_context) {
  current_context = &context;
}

ScopedContext::~ScopedContext() { current_context = previous_; }

bool Enabled(Level level) {
  return static_cast<int>(level) >= min_level.load();
}

void Write(Level level, std::string_view message, Fields fields) {
  if (!Enabled(level)) return;
  nlohmann::json line = nlohmann::json::object();
  line["ts"] = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(),
                                absl::UTCTimeZone());
  line["level"] = LevelName(level);
  line["msg"] = message;
  if (const Context* call = current_context) {
    if (!call->tenant_id.empty()) line["tenant_id"] = call->tenant_id;
    if (!call->request_id.empty()) line["request_id"] = call->request_id;
  }
  for (const auto& [key, value] : fields) {
    if (value.is_null()) {
      line.erase(std::string(key));  // null means "not known": leave it out
    } else {
      line[std::string(key)] = value;
    }
  }
  std::lock_guard<std::mutex> lock(write_mutex);
  line["service"] = ServiceName();
  const std::string text =
      line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::fprintf(stderr, "%s\n", text.c_str());
  std::fflush(stderr);
}

}  // namespace adcp::log
