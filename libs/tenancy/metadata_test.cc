#include "libs/tenancy/metadata.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "libs/tenancy/call_context.h"
#include "libs/tenancy/guard.h"

namespace adcp {
namespace {

TEST(MetadataTest, OnlyPrintableAsciiIsASafeValue) {
  EXPECT_TRUE(IsSafeMetadataValue("abc DEF-123 ~!"));
  EXPECT_FALSE(IsSafeMetadataValue(""));
  EXPECT_FALSE(
      IsSafeMetadataValue(std::string(kMaxMetadataValueBytes + 1, 'a')));
  for (int byte = 0; byte < 256; ++byte) {
    const std::string value = std::string("a") + static_cast<char>(byte) + "b";
    EXPECT_EQ(IsSafeMetadataValue(value), byte >= 0x20 && byte <= 0x7E) << byte;
  }
}

TEST(MetadataTest, BearerTokensAreRfc6750Tokens) {
  EXPECT_TRUE(IsBearerToken("adcp_AbC-12.3~+/x=="));
  EXPECT_FALSE(IsBearerToken(""));
  EXPECT_FALSE(IsBearerToken("="));
  EXPECT_FALSE(IsBearerToken("a=b"));
  EXPECT_FALSE(IsBearerToken("a\tb"));
  EXPECT_FALSE(IsBearerToken("a b"));
  EXPECT_FALSE(IsBearerToken("\xc3\xa9"));
  EXPECT_TRUE(IsBearerToken(std::string(kMaxBearerTokenBytes, 'a')));
  EXPECT_FALSE(IsBearerToken(std::string(kMaxBearerTokenBytes + 1, 'a')));
}

TEST(MetadataTest, ClientAddressesAreIpText) {
  EXPECT_TRUE(IsClientAddress("10.1.2.3"));
  EXPECT_TRUE(IsClientAddress("fe80::1%eth0"));
  EXPECT_FALSE(IsClientAddress(""));
  EXPECT_FALSE(IsClientAddress("10.0.0.1, 10.0.0.2"));
  EXPECT_FALSE(IsClientAddress("a\nb"));
}

TEST(MetadataTest, ForwardsEveryValueOrNone) {
  std::multimap<std::string, std::string> metadata;
  ASSERT_TRUE(
      ForwardTenant(&metadata, ForwardedCall{.internal_token = "internal",
                                             .tenant_id = "acme",
                                             .bearer_token = "tok",
                                             .client_address = "10.0.0.9",
                                             .request_id = "r1"})
          .ok());
  EXPECT_EQ(metadata.find(kTenantIdKey)->second, "acme");
  EXPECT_EQ(metadata.find(kAuthorizationKey)->second, "Bearer tok");
  EXPECT_EQ(metadata.find(kClientAddressKey)->second, "10.0.0.9");
  EXPECT_EQ(metadata.find(kInternalTokenKey)->second, "internal");
  EXPECT_EQ(metadata.find(kRequestIdKey)->second, "r1");
  EXPECT_EQ(metadata.count(kSystemTokenKey), 0u);

  // A value set before is kept (the caller's own choice wins).
  std::multimap<std::string, std::string> preset = {{kTenantIdKey, "mine"}};
  ASSERT_TRUE(ForwardTenant(&preset, ForwardedCall{.tenant_id = "acme"}).ok());
  EXPECT_EQ(preset.count(kTenantIdKey), 1u);
  EXPECT_EQ(preset.find(kTenantIdKey)->second, "mine");

  // One bad value: an error naming its key, and nothing written.
  const struct {
    ForwardedCall call;
    std::string key;
  } bad[] = {
      {{.tenant_id = "Acme"}, kTenantIdKey},
      {{.tenant_id = "acme", .bearer_token = "a\tb"}, kAuthorizationKey},
      {{.tenant_id = "acme", .system_token = "s\x7f"}, kSystemTokenKey},
      {{.tenant_id = "acme", .tenant_host = "h\xffx"}, kTenantHostKey},
      {{.tenant_id = "acme", .client_address = "1.2.3.4;x"}, kClientAddressKey},
      {{.tenant_id = "acme", .request_id = "r\r\n"}, kRequestIdKey},
  };
  for (const auto& [call, key] : bad) {
    std::multimap<std::string, std::string> out;
    const absl::Status status = ForwardTenant(&out, call);
    EXPECT_TRUE(absl::IsInvalidArgument(status)) << key;
    EXPECT_EQ(std::string(status.message()).rfind(key + ":", 0), 0u)
        << status.message();
    EXPECT_TRUE(out.empty()) << key;
  }
}

TEST(MetadataTest, AClientContextGetsNothingWhenAValueIsBad) {
  grpc::ClientContext context;
  EXPECT_FALSE(
      ForwardTenant(&context, ForwardedCall{.tenant_id = "acme",
                                            .bearer_token = "bad token"})
          .ok());
  EXPECT_TRUE(ForwardTenant(&context, ForwardedCall{.tenant_id = "acme"}).ok());
}

}  // namespace
}  // namespace adcp
