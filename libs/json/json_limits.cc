#include "libs/json/json_limits.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace adcp {

absl::StatusOr<nlohmann::json> ParseJsonBounded(std::string_view text,
                                                std::string_view field_view,
                                                const JsonLimits& limits) {
  const std::string field(field_view);
  if (text.size() > limits.max_bytes)
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": JSON over ", limits.max_bytes, " bytes"));
  // One pass over the text: depth and values outside strings. A value
  // starts at '[', '{', '"', or the first character of a scalar, and every
  // value but the first follows a ',' or opens a container; counting
  // containers plus commas plus one bounds the values from above.
  int depth = 0;
  size_t values = 1;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\0')
        return absl::InvalidArgumentError(
            absl::StrCat(field, ": not valid JSON: a NUL byte at offset ", i));
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '[':
      case '{':
        if (++depth > limits.max_depth)
          return absl::InvalidArgumentError(
              absl::StrCat(field, ": JSON nested deeper than ",
                           limits.max_depth, " levels"));
        ++values;
        break;
      case ']':
      case '}':
        --depth;
        break;
      case ',':
        ++values;
        break;
      case '\0':
        // JSON text has no NUL (in a string it must be escaped), and
        // nlohmann's parser would stop at one and accept what precedes it.
        return absl::InvalidArgumentError(
            absl::StrCat(field, ": not valid JSON: a NUL byte at offset ", i));
      default:
        break;
    }
    if (values > limits.max_values)
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": JSON with more than ", limits.max_values, " values"));
  }
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::exception& e) {
    // e.what() reads "[json.exception.parse_error.101] parse error at line
    // 1, column 34: syntax error ..."; the part after the tag names the spot.
    // It may quote the offending bytes: only printable ASCII is kept, so
    // the message itself is valid UTF-8 (and JSON-safe).
    const std::string_view what = e.what();
    const size_t tag_end = what.find("] ");
    std::string message(
        tag_end == std::string_view::npos ? what : what.substr(tag_end + 2));
    for (char& c : message)
      if (c < 0x20 || c > 0x7E) c = '?';
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": not valid JSON: ", message));
  }
}

bool JsonDepthWithin(const nlohmann::json& document, int max_depth) {
  std::vector<std::pair<const nlohmann::json*, int>> stack = {{&document, 0}};
  while (!stack.empty()) {
    auto [value, depth] = stack.back();
    stack.pop_back();
    if (!value->is_structured()) continue;
    if (depth + 1 > max_depth) return false;
    for (const auto& child : *value) stack.emplace_back(&child, depth + 1);
  }
  return true;
}

}  // namespace adcp
