#include "libs/json/json_limits.h"

#include <gtest/gtest.h>

#include <string>

namespace adcp {
namespace {

TEST(JsonLimitsTest, ParsesDocumentsWithinTheLimits) {
  auto parsed = ParseJsonBounded(R"({"a":[1,{"b":"x]}{"}],"c":null})", "body");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ((*parsed)["a"][1]["b"], "x]}{");
}

TEST(JsonLimitsTest, DeepDocumentsAreRefusedWithoutRecursion) {
  // 100,000 nested arrays (200 KB): a scan and an error.
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  auto parsed = ParseJsonBounded(deep, "body");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().message(),
            "body: JSON nested deeper than 64 levels");
  // Exactly the limit is fine; one more is not.
  const std::string at = std::string(64, '[') + std::string(64, ']');
  EXPECT_TRUE(ParseJsonBounded(at, "body").ok());
  const std::string over = std::string(65, '{');
  EXPECT_FALSE(ParseJsonBounded(over, "body").ok());
  // Brackets inside strings (escaped quotes too) do not count.
  const std::string quoted =
      "[\"" + std::string(100, '[') + "\\\"" + std::string(100, '{') + "\"]";
  EXPECT_TRUE(ParseJsonBounded(quoted, "body").ok());
}

TEST(JsonLimitsTest, SizeAndValueCountAreLimited) {
  JsonLimits limits;
  limits.max_bytes = 10;
  EXPECT_EQ(
      ParseJsonBounded("[1,2,3,4,5,6]", "arguments", limits).status().message(),
      "arguments: JSON over 10 bytes");
  limits = JsonLimits();
  limits.max_values = 5;
  EXPECT_TRUE(ParseJsonBounded("[1,2,3]", "body", limits).ok());
  EXPECT_EQ(
      ParseJsonBounded("[1,2,3,4,5,6]", "body", limits).status().message(),
      "body: JSON with more than 5 values");
}

TEST(JsonLimitsTest, InvalidJsonAndUtf8NameTheField) {
  auto bad = ParseJsonBounded("{\"a\":", "body");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(std::string(bad.status().message())
                .rfind("body: not valid JSON: parse error", 0),
            0u)
      << bad.status().message();
  const auto invalid = ParseJsonBounded("{\"a\":\"\xff\xfe\"}", "body");
  ASSERT_FALSE(invalid.ok());
  // The message quotes no invalid bytes: it can go into a JSON answer.
  EXPECT_NO_THROW(
      (nlohmann::json{{"error", invalid.status().message()}}.dump()));
  EXPECT_FALSE(ParseJsonBounded("\"\xc3\"", "body").ok());
  EXPECT_TRUE(ParseJsonBounded("\"\xc3\xa9\"", "body").ok());
}

TEST(JsonLimitsTest, ANulByteIsNeverJson) {
  // nlohmann's parser would stop at the NUL and accept "{}".
  const auto trailing = ParseJsonBounded(std::string("{}\0[[[[", 6), "body");
  ASSERT_FALSE(trailing.ok());
  EXPECT_EQ(trailing.status().message(),
            "body: not valid JSON: a NUL byte at offset 2");
  EXPECT_FALSE(ParseJsonBounded(std::string("[\"a\0b\"]", 7), "body").ok());
}

TEST(JsonLimitsTest, DepthOfBuiltDocuments) {
  nlohmann::json nested = 1;
  for (int i = 0; i < 70; ++i) nested = nlohmann::json::array({nested});
  EXPECT_FALSE(JsonDepthWithin(nested, 64));
  EXPECT_TRUE(JsonDepthWithin(nested, 70));
}

}  // namespace
}  // namespace adcp
