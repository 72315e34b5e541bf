#include "services/admin-gateway/signed_token.h"

#include <gtest/gtest.h>

#include <string>

#include "absl/strings/escaping.h"

namespace adcp::admin_gateway {
namespace {

constexpr char kKey[] = "0123456789abcdef0123456789abcdef-test-key";

TEST(SignedTokenTest, HmacMatchesRfc4231TestCase2) {
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(SignedTokenTest, ConstantTimeEqualsComparesBytesAndLengths) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
}

TEST(SignedTokenTest, Base64TokenIsPayloadDotHexMacOfPurposeAndPayload) {
  const SignedToken device(kKey, "device|", SignedToken::Encoding::kBase64Url);
  const std::string payload = "admin|0011aabb|1900000000";
  const std::string token = device.Sign(payload);
  EXPECT_EQ(token, absl::WebSafeBase64Escape(payload) + "." +
                       HmacSha256Hex(kKey, "device|" + payload));
  EXPECT_EQ(device.Open(token), payload);
}

TEST(SignedTokenTest, PlainTokenKeepsThePayloadAndItsDots) {
  const SignedToken login(kKey, "login|", SignedToken::Encoding::kPlain);
  const std::string payload = "00112233445566778899aabbccddeeff.1900000000";
  const std::string token = login.Sign(payload);
  EXPECT_EQ(token, payload + "." + HmacSha256Hex(kKey, "login|" + payload));
  EXPECT_EQ(login.Open(token), payload);
}

TEST(SignedTokenTest, AnyPayloadBytesSurviveBase64) {
  const SignedToken session(kKey, "", SignedToken::Encoding::kBase64Url);
  const std::string payload("a|b\0c;d=e f\xff", 12);
  const std::string token = session.Sign(payload);
  EXPECT_EQ(token.find_first_of("; ,="), std::string::npos) << token;
  EXPECT_EQ(session.Open(token), payload);
}

TEST(SignedTokenTest, RefusesAlteredPayloadOrSignature) {
  const SignedToken session(kKey, "", SignedToken::Encoding::kBase64Url);
  const std::string token = session.Sign("admin|1900000000|nonce");
  const size_t dot = token.rfind('.');
  std::string payload_changed = token;
  payload_changed[0] = payload_changed[0] == 'A' ? 'B' : 'A';
  EXPECT_EQ(session.Open(payload_changed), std::nullopt);
  std::string signature_changed = token;
  signature_changed[dot + 1] = signature_changed[dot + 1] == '0' ? '1' : '0';
  EXPECT_EQ(session.Open(signature_changed), std::nullopt);
  EXPECT_EQ(session.Open(token.substr(0, token.size() - 1)), std::nullopt);
  EXPECT_EQ(session.Open(token.substr(0, dot)), std::nullopt);
  EXPECT_EQ(session.Open(""), std::nullopt);
  EXPECT_EQ(session.Open("."), std::nullopt);
  // Not base64: refused before any signature check.
  EXPECT_EQ(session.Open("*!." + HmacSha256Hex(kKey, "*!")), std::nullopt);
}

TEST(SignedTokenTest, RefusesAnotherPurposeOrKey) {
  const SignedToken session(kKey, "", SignedToken::Encoding::kBase64Url);
  const SignedToken device(kKey, "device|", SignedToken::Encoding::kBase64Url);
  const SignedToken other_key("another key", "device|",
                              SignedToken::Encoding::kBase64Url);
  const std::string token = device.Sign("admin|nonce|1900000000");
  EXPECT_EQ(session.Open(token), std::nullopt);
  EXPECT_EQ(other_key.Open(token), std::nullopt);
  EXPECT_EQ(device.Open(session.Sign("admin|nonce|1900000000")), std::nullopt);
}

TEST(SignedTokenTest, RefusesTokensOverTheLengthBound) {
  const SignedToken bounded(kKey, "login|", SignedToken::Encoding::kPlain, 80);
  const std::string fits = bounded.Sign(std::string(80 - 65, 'x'));
  ASSERT_EQ(fits.size(), 80u);
  EXPECT_TRUE(bounded.Open(fits).has_value());
  const std::string over = bounded.Sign(std::string(80 - 64, 'x'));
  ASSERT_EQ(over.size(), 81u);
  EXPECT_EQ(bounded.Open(over), std::nullopt);
}

TEST(SignedTokenTest, MacIsTheSignatureAlone) {
  const SignedToken csrf(kKey, "csrf|", SignedToken::Encoding::kPlain);
  EXPECT_EQ(csrf.Mac("nonce"), HmacSha256Hex(kKey, "csrf|nonce"));
  EXPECT_EQ(csrf.Mac("nonce").size(), 64u);
  EXPECT_NE(csrf.Mac("nonce"), csrf.Mac("nonce2"));
}

}  // namespace
}  // namespace adcp::admin_gateway
