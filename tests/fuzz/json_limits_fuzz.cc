// ParseJsonBounded (libs/json/json_limits.h), the
// JSON parse of every HTTP entry point. Byte 0 picks the limits: even, the
// defaults the servers use; odd, small ones from bytes 1-3 (so that every
// limit is reached within libFuzzer's input sizes). Properties:
//  - a document it returns obeys every limit (bytes, depth by
//    JsonDepthWithin and by an independent walk, number of values);
//  - it accepts exactly what nlohmann's parser accepts, unless a limit is
//    broken, and then the error names the field and the limit;
//  - a depth refusal is never of a document within the depth limit;
//  - JsonDepthWithin agrees with the walk for every depth around the
//    document's.
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "libs/json/json_limits.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using nlohmann::json;

struct Shape {
  int depth = 0;      // containers nested (a scalar document: 0)
  size_t values = 0;  // every value, containers included
};

Shape Measure(const json& document) {
  Shape shape;
  std::vector<std::pair<const json*, int>> stack = {{&document, 0}};
  while (!stack.empty()) {
    auto [value, depth] = stack.back();
    stack.pop_back();
    ++shape.values;
    if (!value->is_structured()) continue;
    shape.depth = std::max(shape.depth, depth + 1);
    for (const json& child : *value) stack.emplace_back(&child, depth + 1);
  }
  return shape;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  adcp::JsonLimits limits;
  if (data[0] & 1) {
    limits.max_depth = data[1] % 80;
    limits.max_values = data[2] * 4;
    limits.max_bytes = 16 + data[3] * 16;
  }
  const std::string_view text = adcp_fuzz::AsText(data + 4, size - 4);

  const absl::StatusOr<json> bounded =
      adcp::ParseJsonBounded(text, "body.field", limits);
  const json plain = json::parse(text, nullptr, /*allow_exceptions=*/false);

  if (bounded.ok()) {
    FUZZ_CHECK(!plain.is_discarded(), "accepted what nlohmann refuses");
    FUZZ_CHECK(text.find('\0') == std::string_view::npos,
               "accepted a NUL byte");
    FUZZ_CHECK(*bounded == plain, "parsed to another document");
    FUZZ_CHECK(text.size() <= limits.max_bytes, "over max_bytes");
    const Shape shape = Measure(*bounded);
    FUZZ_CHECK(shape.depth <= limits.max_depth,
               "over max_depth: " + std::to_string(shape.depth));
    FUZZ_CHECK(adcp::JsonDepthWithin(*bounded, limits.max_depth),
               "JsonDepthWithin refuses what the parse allowed");
    FUZZ_CHECK(shape.values <= limits.max_values,
               "over max_values: " + std::to_string(shape.values));
  } else {
    const absl::Status& status = bounded.status();
    FUZZ_CHECK(absl::IsInvalidArgument(status), status.ToString());
    FUZZ_CHECK(absl::StartsWith(status.message(), "body.field: "),
               "the error does not name the field: " + status.ToString());
    const absl::string_view message = status.message();
    const bool bytes = absl::StartsWith(message, "body.field: JSON over ");
    const bool depth =
        absl::StartsWith(message, "body.field: JSON nested deeper than ");
    const bool values =
        absl::StartsWith(message, "body.field: JSON with more than ");
    // JSON text has no NUL; nlohmann's parser stops at one, so it may
    // accept what precedes it.
    const bool nul = absl::StartsWith(
        message, "body.field: not valid JSON: a NUL byte at offset ");
    if (nul) FUZZ_CHECK(text.find('\0') != std::string_view::npos, "no NUL");
    FUZZ_CHECK(
        depth || values || bytes || nul || plain.is_discarded(),
        "refused a valid document within the limits: " + status.ToString());
    // The message goes into JSON error answers: it must be UTF-8 (the
    // parse error's quote of the input is reduced to printable ASCII).
    FUZZ_CHECK(
        adcp_fuzz::IsUtf8(std::string_view(message.data(), message.size())),
        "the error is not UTF-8");
    if (bytes) FUZZ_CHECK(text.size() > limits.max_bytes, status.ToString());
    // A depth refusal is of a document deeper than the limit (nlohmann
    // reads only up to a NUL, so with one the two cannot be compared).
    if (depth && !plain.is_discarded() &&
        text.find('\0') == std::string_view::npos)
      FUZZ_CHECK(
          Measure(plain).depth > limits.max_depth,
          "depth refusal of a document within the limit: " + status.ToString());
  }

  if (!plain.is_discarded()) {
    const int depth = Measure(plain).depth;
    for (int limit : {depth - 1, depth, depth + 1})
      if (limit >= 0)
        FUZZ_CHECK(adcp::JsonDepthWithin(plain, limit) == (depth <= limit),
                   "JsonDepthWithin(" + std::to_string(limit) +
                       ") wrong for depth " + std::to_string(depth));
  }
  return 0;
}
