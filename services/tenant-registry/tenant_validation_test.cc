#include "services/tenant-registry/tenant_validation.h"

#include <gtest/gtest.h>

#include <string>

namespace adcp::tenant_registry {
namespace {

struct Case {
  const char* value;
  bool valid;
};

void ExpectCases(absl::Status (*validate)(std::string_view, std::string_view),
                 const char* field, std::initializer_list<Case> cases) {
  for (const Case& c : cases) {
    const absl::Status status = validate(field, c.value);
    EXPECT_EQ(status.ok(), c.valid)
        << field << "='" << c.value << "': " << status;
    if (!status.ok()) {
      EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
      EXPECT_TRUE(
          std::string(status.message()).starts_with(std::string(field) + ": "))
          << status.message();
    }
  }
}

TEST(TenantValidationTest, TenantIdAndSubdomainAreDnsLabels) {
  for (auto* validate : {&ValidateTenantId, &ValidateSubdomain}) {
    ExpectCases(validate, "subdomain",
                {{"nytimes", true},
                 {"local-news", true},
                 {"a", true},
                 {"abc123", true},
                 {std::string(63, 'a').c_str(), true},
                 {"", false},
                 {"NYTimes", false},
                 {"-news", false},
                 {"news-", false},
                 {"news_site", false},
                 {"news.site", false},
                 {"news site", false},
                 {"caf\xc3\xa9", false}});
  }
  EXPECT_FALSE(ValidateSubdomain("subdomain", std::string(64, 'a')).ok());
}

TEST(TenantValidationTest, ReservedNamesAreRefusedByName) {
  for (const char* reserved : {"www", "admin", "api", "mcp", "system"}) {
    const absl::Status status = ValidateSubdomain("subdomain", reserved);
    ASSERT_FALSE(status.ok()) << reserved;
    EXPECT_EQ(status.message(),
              std::string("subdomain: '") + reserved + "' is a reserved name");
  }
  EXPECT_FALSE(ValidateTenantId("tenant_id", "admin").ok());
}

TEST(TenantValidationTest, VirtualHost) {
  ExpectCases(&ValidateVirtualHost, "virtual_host",
              {{"ads.nytimes.com", true},
               {"example.org", true},
               {"localhost", false},
               {"Ads.nytimes.com", false},
               {"ads..nytimes.com", false},
               {".nytimes.com", false},
               {"ads.nytimes.com.", false},
               {"ads.nytimes.com:8080", false},
               {"", false}});
}

TEST(TenantValidationTest, NameBillingPlanAndContact) {
  ExpectCases(&ValidateName, "name",
              {{"The New York Times", true},
               {"Le Monde \xc3\xa9", true},
               {"", false},
               {"   ", false},
               {"tab\there", false}});
  EXPECT_FALSE(ValidateName("name", std::string(256, 'n')).ok());
  ExpectCases(&ValidateBillingPlan, "billing_plan",
              {{"standard", true},
               {"premium", true},
               {"enterprise", true},
               {"", false},
               {"Standard", false},
               {"gold", false}});
  ExpectCases(&ValidateBillingContact, "billing_contact",
              {{"", true}, {"ads@nytimes.com", true}, {"line\nbreak", false}});
  EXPECT_FALSE(
      ValidateBillingContact("billing_contact", std::string(256, 'c')).ok());
}

}  // namespace
}  // namespace adcp::tenant_registry
