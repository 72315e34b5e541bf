#include "libs/tenancy/tenant_route.h"

#include <gtest/gtest.h>

namespace adcp {
namespace {

const std::vector<std::string> kBases = {"sales.example.com", "localhost"};

TEST(TenantRouteTest, HostsNameSubdomainsOrVirtualHosts) {
  auto named = TenantOfHost("NYTimes.Sales.Example.com:8080", kBases);
  EXPECT_EQ(named.kind, HostTenant::Kind::kSubdomain);
  EXPECT_EQ(named.name, "nytimes");
  named = TenantOfHost("nytimes.localhost.", kBases);
  EXPECT_EQ(named.kind, HostTenant::Kind::kSubdomain);
  named = TenantOfHost("ads.publisher.org", kBases);
  EXPECT_EQ(named.kind, HostTenant::Kind::kVirtualHost);
  EXPECT_EQ(named.name, "ads.publisher.org");
}

TEST(TenantRouteTest, NothingElseNamesATenant) {
  for (const std::string& host :
       {std::string(), std::string("sales.example.com"),
        std::string("a.b.sales.example.com"), std::string("-x.localhost"),
        std::string("x\x80.localhost"), std::string("x y.localhost"),
        std::string("x.localhost:abc"), std::string("x.localhost:123456"),
        std::string("[::1]:8080"), std::string(400, 'a'), std::string("a\tb"),
        std::string(":80"), std::string("x.."), std::string(".x.localhost"),
        std::string("a..b.example")}) {
    EXPECT_EQ(TenantOfHost(host, kBases).kind, HostTenant::Kind::kNone) << host;
  }
}

TEST(TenantRouteTest, AHostAddressesItsOwnTenantOrABareBaseDomain) {
  for (const char* host :
       {"nytimes.sales.example.com", "NYTIMES.localhost:8080",
        "sales.example.com", "localhost:8080", "Ads.NYTimes.com.",
        "127.0.0.1:8080", "10.1.2.3"}) {
    EXPECT_TRUE(HostAddressesTenant(host, kBases, "nytimes", "ads.nytimes.com"))
        << host;
  }
  for (const char* host :
       {"localnews.sales.example.com", "attacker.example", "ads.nytimes.com",
        "", "nytimes.sales.example.com.evil", "[::1]:8080", "x y", "1.2.3",
        "1.2.3.4.5"}) {
    EXPECT_FALSE(HostAddressesTenant(host, kBases, "nytimes", "")) << host;
  }
  // A virtual-host tenant is not addressed by a subdomain of its own.
  EXPECT_FALSE(HostAddressesTenant("vh.localhost", kBases, "", "vh.example"));
  EXPECT_TRUE(HostAddressesTenant("vh.example", kBases, "", "vh.example"));
}

TEST(TenantRouteTest, PathPrefixes) {
  auto route = TenantOfPath("/tenants/nytimes/mcp?x=1");
  ASSERT_TRUE(route.has_value());
  EXPECT_EQ(route->subdomain, "nytimes");
  EXPECT_EQ(route->rest, "/mcp");
  route = TenantOfPath("/tenants/nytimes");
  ASSERT_TRUE(route.has_value());
  EXPECT_EQ(route->rest, "/");
  EXPECT_FALSE(TenantOfPath("/mcp").has_value());
  EXPECT_FALSE(TenantOfPath("/tenants//mcp").has_value());
  EXPECT_FALSE(TenantOfPath("/tenants/NY/mcp").has_value());
  EXPECT_FALSE(TenantOfPath("/tenants/n\xffy/mcp").has_value());
  EXPECT_EQ(PathOf("/a/b?c"), "/a/b");
}

}  // namespace
}  // namespace adcp
