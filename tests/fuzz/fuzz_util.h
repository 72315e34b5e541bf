// Shared by the fuzz targets: property checks that abort (libFuzzer reports
// an abort as a crash and keeps the input; the corpus replay test fails),
// and the JSON parse every HTTP entry point uses.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#ifdef ADCP_FUZZ_HAVE_JSON_LIMITS
#include "libs/json/json_limits.h"
#endif

namespace adcp_fuzz {

[[noreturn]] inline void Fail(const char* file, int line, const char* what,
                              const std::string& detail) {
  std::fprintf(stderr, "\n*** fuzz property violated at %s:%d: %s\n%s\n", file,
               line, what, detail.c_str());
  std::fflush(stderr);
  std::abort();
}

// A known, reported issue in code outside tests/fuzz that is not fixed yet:
// the target tolerates exactly that case (returns true) so that fuzzing can
// go on, unless ADCP_FUZZ_STRICT is set in the environment; then it fails as
// any property does (to check a fix). Each use says what the fix is.
inline bool KnownIssue(const char* file, int line, const char* what) {
  static const bool strict = std::getenv("ADCP_FUZZ_STRICT") != nullptr;
  if (strict) Fail(file, line, "known issue (ADCP_FUZZ_STRICT)", what);
  return true;
}
#define KNOWN_ISSUE(what) ::adcp_fuzz::KnownIssue(__FILE__, __LINE__, (what))

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Up to `max_parts` pieces of `input` separated by `separator` (the last
// piece keeps any further separators).
inline std::vector<std::string_view> Split(std::string_view input,
                                           char separator, size_t max_parts) {
  std::vector<std::string_view> parts;
  while (parts.size() + 1 < max_parts) {
    const size_t at = input.find(separator);
    if (at == std::string_view::npos) break;
    parts.push_back(input.substr(0, at));
    input.remove_prefix(at + 1);
  }
  parts.push_back(input);
  return parts;
}

// Untrusted JSON as the HTTP entry points parse it: ParseJsonBounded with
// the default limits where it exists, else nlohmann's parser.
inline std::optional<nlohmann::json> ParseUntrustedJson(std::string_view text) {
#ifdef ADCP_FUZZ_HAVE_JSON_LIMITS
  absl::StatusOr<nlohmann::json> parsed = adcp::ParseJsonBounded(text, "body");
  if (!parsed.ok()) return std::nullopt;
  return *std::move(parsed);
#else
  nlohmann::json parsed = nlohmann::json::parse(text, nullptr, false);
  if (parsed.is_discarded()) return std::nullopt;
  return parsed;
#endif
}

// Well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, at most
// U+10FFFF), as nlohmann's parser requires of strings.
inline bool IsUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;  // the second byte's range
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (i + n >= text.size()) return false;  // truncated
    for (size_t k = 1; k <= n; ++k) {
      const auto b = static_cast<unsigned char>(text[i + k]);
      if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return false;
    }
    i += n + 1;
  }
  return true;
}

// A JSON value for a failure message (never throws on odd strings).
inline std::string Show(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace adcp_fuzz

#define FUZZ_CHECK(condition, detail)                              \
  do {                                                             \
    if (!(condition))                                              \
      ::adcp_fuzz::Fail(__FILE__, __LINE__, #condition, (detail)); \
  } while (0)
