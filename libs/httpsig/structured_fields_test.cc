#include "libs/httpsig/structured_fields.h"

#include <gtest/gtest.h>

namespace adcp::httpsig {
namespace {

constexpr char kInput[] =
    R"(sig1=("@method" "@target-uri" "content-type");created=1776520800;)"
    R"(expires=1776521100;nonce="KXYnfEfJ0PBRZXQyVXfVQA";keyid="k-1";)"
    R"(alg="ed25519";tag="adcp/request-signing/v1")";

TEST(StructuredFieldsTest, ParsesASignatureInputAndSerializesItBack) {
  absl::StatusOr<Dictionary> parsed = ParseDictionary(kInput);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 1u);
  const Member& sig1 = parsed->front().second;
  ASSERT_TRUE(sig1.is_inner_list);
  ASSERT_EQ(sig1.inner.items.size(), 3u);
  EXPECT_EQ(sig1.inner.items[1].value.text, "@target-uri");
  EXPECT_EQ(FindParam(sig1.inner.params, "created")->integer, 1776520800);
  EXPECT_EQ(FindParam(sig1.inner.params, "keyid")->text, "k-1");
  EXPECT_EQ(std::string("sig1=") + SerializeInnerList(sig1.inner), kInput);
}

TEST(StructuredFieldsTest, ParsesEveryItemType) {
  absl::StatusOr<Dictionary> parsed = ParseDictionary(
      R"(a=1, b=-2.5, c="x\"y\\z", d=tok/en:1, e=:AQID:, f=?0, g, h;p=?1)");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 8u);
  EXPECT_EQ((*parsed)[0].second.item.value.integer, 1);
  EXPECT_DOUBLE_EQ((*parsed)[1].second.item.value.decimal, -2.5);
  EXPECT_EQ((*parsed)[2].second.item.value.text, "x\"y\\z");
  EXPECT_EQ((*parsed)[3].second.item.value.type, BareItem::Type::kToken);
  EXPECT_EQ(*DecodeBinary((*parsed)[4].second.item.value.text), "\x01\x02\x03");
  EXPECT_EQ((*parsed)[5].second.item.value.integer, 0);
  EXPECT_EQ((*parsed)[6].second.item.value.integer, 1);  // bare key: true
  EXPECT_EQ(SerializeParams((*parsed)[7].second.item.params), ";p");
  EXPECT_EQ(SerializeBareItem((*parsed)[2].second.item.value), R"("x\"y\\z")");
  EXPECT_EQ(SerializeBareItem((*parsed)[1].second.item.value), "-2.5");
}

TEST(StructuredFieldsTest, RefusesWhatTheGrammarDoesNot) {
  for (const char* bad :
       {"a=1,", "a=1,,b=2", "A=1", "a=(1 2", "a=(1  2)x", "a=\"open",
        "a=\"\\n\"", "a=1.2345", "a=1234567890123456", "a=?2",
        "a=:not base64!:", "a=1 b=2", "a=1, a=2", "a=1;p=1;p=2", "a=\"\x01\"",
        "1=a", "a=@"}) {
    EXPECT_FALSE(ParseDictionary(bad).ok()) << bad;
  }
  EXPECT_FALSE(ParseList("1, 2,").ok());
  EXPECT_FALSE(ParseItem("1 2").ok());
}

TEST(StructuredFieldsTest, EnforcesItsLimitsBeforeAnyWork) {
  std::string many;
  for (int i = 0; i < 100; ++i) many += (i ? ", k" : "k") + std::to_string(i);
  EXPECT_FALSE(ParseDictionary(many).ok());
  EXPECT_TRUE(ParseDictionary(many, {.max_members = 100}).ok());
  EXPECT_FALSE(ParseItem(std::string(9000, 'a')).ok());
  std::string wide = "(";
  for (int i = 0; i < 65; ++i) wide += "1 ";
  EXPECT_FALSE(ParseItem(wide + ")").ok());
}

TEST(StructuredFieldsTest, ListsAndSurroundingSpace) {
  absl::StatusOr<List> list = ParseList("  1, (\"a\" \"b\");q=2 ,\t?1  ");
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 3u);
  EXPECT_TRUE((*list)[1].is_inner_list);
  EXPECT_EQ(SerializeInnerList((*list)[1].inner), "(\"a\" \"b\");q=2");
}

TEST(StructuredFieldsTest, BinaryFollowsTheProfile) {
  EXPECT_EQ(*DecodeBinary("_-8"), "\xff\xef");   // base64url
  EXPECT_EQ(*DecodeBinary("/+8="), "\xff\xef");  // standard, padded
  EXPECT_FALSE(DecodeBinary("/-8").ok());        // mixed alphabets
  EXPECT_FALSE(DecodeBinary("a=b").ok());
  EXPECT_EQ(EncodeBinary("\xff\xef"), "_-8");
}

}  // namespace
}  // namespace adcp::httpsig
