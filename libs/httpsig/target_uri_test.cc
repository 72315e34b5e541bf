#include "libs/httpsig/target_uri.h"

#include <gtest/gtest.h>

#include <string>

#include "libs/httpsig/vectors_test_util.h"

namespace adcp::httpsig {
namespace {

// Every case of canonicalization.json: a signer's canonical form (IDN
// converted), byte for byte, or a refusal.
TEST(TargetUriTest, ConformanceVectors) {
  const nlohmann::json vectors = testing::LoadJson(
      testing::RequestSigningVectors() / "canonicalization.json");
  ASSERT_TRUE(vectors.is_object())
      << "run ./dev once to install tests/adcp-tools";
  ASSERT_GE(vectors["cases"].size(), 30u);
  for (const nlohmann::json& c : vectors["cases"]) {
    const std::string name = c["name"];
    absl::StatusOr<CanonicalUrl> url = CanonicalizeUrl(
        c["input_url"].get<std::string>(), HostForm::kConvertIdn);
    if (c.value("reject", false)) {
      EXPECT_FALSE(url.ok()) << name;
      continue;
    }
    ASSERT_TRUE(url.ok()) << name << ": " << url.status();
    EXPECT_EQ(url->target_uri, c["expected_target_uri"]) << name;
    EXPECT_EQ(url->authority, c["expected_authority"]) << name;
  }
}

TEST(TargetUriTest, WireFormRefusesNonAsciiHosts) {
  EXPECT_FALSE(
      CanonicalizeUrl("https://bücher.example/p", HostForm::kWire).ok());
  EXPECT_TRUE(
      CanonicalizeUrl("https://xn--bcher-kva.example/p", HostForm::kWire).ok());
}

TEST(TargetUriTest, RefusesWhatCannotBeCanonical) {
  for (const char* url :
       {"ftp://host/p", "https://host/p%zz", "https://host/p%4",
        "https://host/a b", "https://host:99999/p", "https://host:4a/p",
        "https://ho$t/p", "host/p", "https://[::1]x/p", "https://[]/p"}) {
    EXPECT_FALSE(CanonicalizeUrl(url, HostForm::kWire).ok()) << url;
  }
}

TEST(TargetUriTest, DotSegmentsAndPercentEncoding) {
  const auto canonical = [](const std::string& url) {
    return CanonicalizeUrl(url, HostForm::kWire)->target_uri;
  };
  EXPECT_EQ(canonical("https://h/a/b/../../../c"), "https://h/c");
  EXPECT_EQ(canonical("https://h/a/./b/."), "https://h/a/b/");
  EXPECT_EQ(canonical("https://h/%7e%2f?q=%7e%2f"), "https://h/~%2F?q=~%2F");
  EXPECT_EQ(canonical("http://H:80"), "http://h/");
  // An encoded dot is a dot: decoded first, then removed, so that the
  // canonical form is canonical again (found by the fuzzer).
  EXPECT_EQ(canonical("https://h/a/%2e/b/%2E%2E/c"), "https://h/a/c");
  EXPECT_EQ(canonical(canonical("https://h/d%3A%2F/%2E")),
            "https://h/d%3A%2F/");
}

TEST(TargetUriTest, HostHeaderAuthority) {
  EXPECT_EQ(*CanonicalizeAuthority("https", "Seller.Example:443"),
            "seller.example");
  EXPECT_EQ(*CanonicalizeAuthority("http", "[::1]:8080"), "[::1]:8080");
  EXPECT_FALSE(CanonicalizeAuthority("https", "user@host").ok());
}

}  // namespace
}  // namespace adcp::httpsig
