// JSON from untrusted callers, parsed within limits checked before any
// parse: size, nesting depth and the number of values. The depth is counted
// by one linear scan, so a document of 100,000 nested arrays costs a scan
// and an error, never a recursion. Every HTTP entry point parses with it.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string_view>

#include "absl/status/statusor.h"

namespace adcp {

struct JsonLimits {
  size_t max_bytes = 1 << 20;
  // Objects and arrays nested in each other; 64 is far beyond any AdCP
  // document and far below what recursive code can survive.
  int max_depth = 64;
  // Values of every kind (scalars, arrays, objects), counted together.
  size_t max_values = 200000;
};

// Parses `text` as one JSON document. A violated limit or invalid JSON
// (including invalid UTF-8) is INVALID_ARGUMENT whose message starts with
// `field` and names the rule: "<field>: not valid JSON: parse error at line
// 1, column 34: ...", "<field>: JSON nested deeper than 64 levels".
absl::StatusOr<nlohmann::json> ParseJsonBounded(std::string_view text,
                                                std::string_view field,
                                                const JsonLimits& limits = {});

// Whether a parsed document is within `max_depth` (an iterative walk: for
// documents built by code rather than parsed).
bool JsonDepthWithin(const nlohmann::json& document, int max_depth);

}  // namespace adcp
