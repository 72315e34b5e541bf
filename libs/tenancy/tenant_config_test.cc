#include "libs/tenancy/tenant_config.h"

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace adcp {
namespace {

using nlohmann::json;

TEST(DeepMergeTest, MergesObjectsKeyByKey) {
  const json base =
      json::parse(R"({"adapters":{"kevel":{"enabled":true,"network_id":"1"}},
                                    "features":{"max_daily_budget":10}})");
  const json patch =
      json::parse(R"({"adapters":{"kevel":{"network_id":"2"}}})");
  EXPECT_EQ(DeepMerge(base, patch),
            json::parse(R"({"adapters":{"kevel":{"enabled":true,
      "network_id":"2"}},"features":{"max_daily_budget":10}})"));
}

TEST(DeepMergeTest, NonObjectValuesReplaceWholesale) {
  const json base =
      json::parse(R"({"creative_engine":{"auto_approve_formats":["a","b"]}})");
  const json patch =
      json::parse(R"({"creative_engine":{"auto_approve_formats":["c"]}})");
  EXPECT_EQ(DeepMerge(base, patch)["creative_engine"]["auto_approve_formats"],
            json::parse(R"(["c"])"));
}

TEST(DeepMergeTest, ObjectReplacesScalarAndScalarReplacesObject) {
  EXPECT_EQ(
      DeepMerge(json::parse(R"({"a":1})"), json::parse(R"({"a":{"b":2}})")),
      json::parse(R"({"a":{"b":2}})"));
  EXPECT_EQ(
      DeepMerge(json::parse(R"({"a":{"b":2}})"), json::parse(R"({"a":3})")),
      json::parse(R"({"a":3})"));
}

TEST(DeepMergeTest, NullRemovesKeyAndNeverSurvives) {
  const json base = json::parse(
      R"({"branding":{"logo_url":"https://x","primary_color":"#000000"}})");
  const json patch =
      json::parse(R"({"branding":{"logo_url":null,"new":{"gone":null}}})");
  EXPECT_EQ(
      DeepMerge(base, patch),
      json::parse(R"({"branding":{"primary_color":"#000000","new":{}}})"));
}

TEST(DeepMergeTest, EmptyPatchKeepsBase) {
  const json base = json::parse(R"({"features":{"enable_aee_signals":true}})");
  EXPECT_EQ(DeepMerge(base, json::object()), base);
}

TEST(ParseConfigDocumentTest, AcceptsTheSeedExamples) {
  const json nytimes = json::parse(R"({
    "adapters": {"google_ad_manager": {"enabled": true, "network_code": "123456",
                                       "manual_approval_required": false}},
    "features": {"max_daily_budget": 1000000, "enable_aee_signals": true,
                 "allow_programmatic_guaranteed": true}})");
  auto config = ParseConfigDocument(nytimes);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->adapters().google_ad_manager().enabled());
  EXPECT_EQ(config->adapters().google_ad_manager().network_code(), "123456");
  EXPECT_DOUBLE_EQ(config->features().max_daily_budget(), 1000000);

  const json full = json::parse(R"({
    "adapters": {"google_ad_manager": {"enabled": true, "network_code": "123456",
                                       "company_id": "789", "manual_approval_required": false},
                 "kevel": {"enabled": true, "network_id": "456", "manual_approval_required": true},
                 "mock": {"enabled": false}},
    "creative_engine": {"auto_approve_formats": ["display_300x250", "display_728x90"],
                        "human_review_required": true},
    "features": {"max_daily_budget": 100000, "allow_cross_device_targeting": true,
                 "enable_aee_signals": true},
    "branding": {"logo_url": "https://cdn.example.com/logo.png", "primary_color": "#00aaFF"}})");
  auto parsed = ParseConfigDocument(full);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(ConfigToDocument(*parsed), full);
  // The same document protobuf's JSON printer makes (proto field names).
  google::protobuf::util::JsonPrintOptions print;
  print.preserve_proto_field_names = true;
  std::string printed;
  ASSERT_TRUE(
      google::protobuf::util::MessageToJsonString(*parsed, &printed, print)
          .ok());
  EXPECT_EQ(ConfigToDocument(*parsed), json::parse(printed));
}

TEST(ParseConfigDocumentTest, EmptyDocumentIsValid) {
  EXPECT_TRUE(ParseConfigDocument(json::object()).ok());
}

struct BadDocument {
  const char* name;
  const char* document;
  const char* expected_message;  // must appear in the error
};

class ParseConfigDocumentRejects : public testing::TestWithParam<BadDocument> {
};

TEST_P(ParseConfigDocumentRejects, WithMessageNamingTheKey) {
  const BadDocument& bad = GetParam();
  auto config = ParseConfigDocument(json::parse(bad.document));
  ASSERT_FALSE(config.ok()) << bad.document;
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(config.status().message()).find(bad.expected_message),
            std::string::npos)
      << "got: " << config.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    Rules, ParseConfigDocumentRejects,
    testing::Values(
        BadDocument{"NotAnObject", R"([1])",
                    "config: expected an object, got an array"},
        BadDocument{"UnknownTopLevelKey", R"({"colour":"red"})",
                    "colour: unknown key"},
        BadDocument{"UnknownNestedKey", R"({"features":{"max_budget":1}})",
                    "features.max_budget: unknown key"},
        BadDocument{"UnknownAdapter", R"({"adapters":{"freewheel":{}}})",
                    "adapters.freewheel: unknown key"},
        BadDocument{
            "BudgetAsString", R"({"features":{"max_daily_budget":"100"}})",
            "features.max_daily_budget: expected a number, got a string"},
        BadDocument{"BudgetNegative", R"({"features":{"max_daily_budget":-1}})",
                    "features.max_daily_budget: must be a number >= 0"},
        BadDocument{
            "FeatureFlagAsNumber", R"({"features":{"enable_aee_signals":1}})",
            "features.enable_aee_signals: expected a boolean, got a number"},
        BadDocument{"SectionAsString", R"({"features":"all"})",
                    "features: expected an object, got a string"},
        BadDocument{"EnabledAsString",
                    R"({"adapters":{"kevel":{"enabled":"yes"}}})",
                    "adapters.kevel.enabled: expected a boolean, got a string"},
        BadDocument{
            "NetworkCodeAsNumber",
            R"({"adapters":{"google_ad_manager":{"network_code":123456}}})",
            "adapters.google_ad_manager.network_code: expected a string, got a "
            "number"},
        BadDocument{
            "NetworkCodeNotDigits",
            R"({"adapters":{"google_ad_manager":{"network_code":"12ab"}}})",
            "adapters.google_ad_manager.network_code: expected 1 to 20 digits"},
        BadDocument{"EnabledGamWithoutNetwork",
                    R"({"adapters":{"google_ad_manager":{"enabled":true}}})",
                    "adapters.google_ad_manager.network_code: required when "
                    "the adapter is "
                    "enabled"},
        BadDocument{
            "EnabledKevelWithoutNetwork",
            R"({"adapters":{"kevel":{"enabled":true}}})",
            "adapters.kevel.network_id: required when the adapter is enabled"},
        BadDocument{
            "CompanyIdNotDigits",
            R"({"adapters":{"google_ad_manager":{"company_id":"x"}}})",
            "adapters.google_ad_manager.company_id: expected 1 to 20 digits"},
        BadDocument{"FormatsNotArray",
                    R"({"creative_engine":{"auto_approve_formats":"a"}})",
                    "creative_engine.auto_approve_formats: expected an array, "
                    "got a string"},
        BadDocument{"FormatNotString",
                    R"({"creative_engine":{"auto_approve_formats":["a",2]}})",
                    "creative_engine.auto_approve_formats[1]: expected a "
                    "string, got a number"},
        BadDocument{
            "FormatEmpty",
            R"({"creative_engine":{"auto_approve_formats":[""]}})",
            "creative_engine.auto_approve_formats[0]: expected a format id"},
        BadDocument{
            "FormatDuplicate",
            R"({"creative_engine":{"auto_approve_formats":["a","a"]}})",
            "creative_engine.auto_approve_formats[1]: duplicate format 'a'"},
        BadDocument{"ReviewAsString",
                    R"({"creative_engine":{"human_review_required":"no"}})",
                    "creative_engine.human_review_required: expected a "
                    "boolean, got a string"},
        BadDocument{"ColorWithoutHash",
                    R"({"branding":{"primary_color":"000000"}})",
                    "branding.primary_color: expected a colour as #rrggbb"},
        BadDocument{"ColorShort", R"({"branding":{"primary_color":"#fff"}})",
                    "branding.primary_color: expected a colour as #rrggbb"},
        BadDocument{"ColorNotHex",
                    R"({"branding":{"primary_color":"#gggggg"}})",
                    "branding.primary_color: expected a colour as #rrggbb"},
        BadDocument{"LogoNotHttp",
                    R"j({"branding":{"logo_url":"javascript:alert(1)"}})j",
                    "branding.logo_url: expected an http:// or https:// URL"},
        BadDocument{"LogoNoHost",
                    R"({"branding":{"logo_url":"https:///x.png"}})",
                    "branding.logo_url: expected an http:// or https:// URL"},
        BadDocument{"LogoNotString", R"({"branding":{"logo_url":true}})",
                    "branding.logo_url: expected a string, got a boolean"},
        BadDocument{
            "RateZero", R"({"rate_limits":{"tenant_requests_per_second":0}})",
            "rate_limits.tenant_requests_per_second: must be a number > 0"},
        BadDocument{
            "BurstAsString", R"({"rate_limits":{"principal_burst":"10"}})",
            "rate_limits.principal_burst: expected a number, got a string"},
        BadDocument{
            "NullInStoredDocument",
            R"({"features":{"enable_aee_signals":null}})",
            "features.enable_aee_signals: expected a boolean, got null"},
        // Credentials are deployment secrets, named, never stored here.
        BadDocument{"KevelKeyInClear",
                    R"({"adapters":{"kevel":{"api_key":"abc123"}}})",
                    "adapters.kevel.api_key: credentials are not stored in "
                    "tenant config"},
        BadDocument{"GamKeyInClear",
                    R"({"adapters":{"google_ad_manager":{"service_account_json":
                        {"private_key":"-----BEGIN"}}}})",
                    "adapters.google_ad_manager.service_account_json: "
                    "credentials are not stored in tenant config"},
        BadDocument{"PasswordAnywhere", R"({"branding":{"password":"x"}})",
                    "branding.password: credentials are not stored"},
        BadDocument{
            "SecretNameWithSlash",
            R"({"adapters":{"kevel":{"api_key_secret":"../etc/passwd"}}})",
            "adapters.kevel.api_key_secret: expected the name of a "
            "deployment secret"},
        BadDocument{"SecretNameLooksLikeAKey",
                    R"({"adapters":{"google_ad_manager":{
                        "service_account_key_secret":"{\"private_key\": 1}"}}})",
                    "adapters.google_ad_manager.service_account_key_secret: "
                    "expected the name of a deployment secret"},
        BadDocument{"PriorityNotDigits",
                    R"({"adapters":{"kevel":{"priority_id":"high"}}})",
                    "adapters.kevel.priority_id: expected 1 to 20 digits"},
        BadDocument{
            "TraffickerNotDigits",
            R"({"adapters":{"google_ad_manager":{"trafficker_id":"bob"}}})",
            "adapters.google_ad_manager.trafficker_id: expected 1 to "
            "20 digits"}),
    [](const testing::TestParamInfo<BadDocument>& info) {
      return info.param.name;
    });

TEST(ParseConfigDocumentTest, PublisherDomainsAreCapped) {
  json domains = json::array();
  for (int i = 0; i < kMaxPublisherDomains + 1; ++i)
    domains.push_back("d" + std::to_string(i) + ".example");
  auto config = ParseConfigDocument({{"publisher_domains", domains}});
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("publisher_domains: at most 100"),
            std::string::npos)
      << config.status();
  domains.erase(domains.begin());
  EXPECT_TRUE(ParseConfigDocument({{"publisher_domains", domains}}).ok());
}

TEST(ParseConfigDocumentTest, ReportsEveryProblemAtOnce) {
  auto config = ParseConfigDocument(json::parse(
      R"({"features":{"max_daily_budget":"x"},"branding":{"foo":1}})"));
  ASSERT_FALSE(config.ok());
  const std::string message(config.status().message());
  EXPECT_NE(message.find("features.max_daily_budget: expected a number"),
            std::string::npos);
  EXPECT_NE(message.find("branding.foo: unknown key"), std::string::npos);
}

TEST(ParseConfigDocumentTest, NamesCredentialsByReference) {
  auto config = ParseConfigDocument(json::parse(R"({"adapters": {
      "kevel": {"enabled": true, "network_id": "789",
                "api_key_secret": "kevel-localnews", "priority_id": "7",
                "ad_type_id": "5"},
      "google_ad_manager": {"enabled": true, "network_code": "123456",
                            "service_account_key_secret": "gam.nytimes_1",
                            "trafficker_id": "777"}}})"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->adapters().kevel().api_key_secret(), "kevel-localnews");
  EXPECT_EQ(config->adapters().google_ad_manager().service_account_key_secret(),
            "gam.nytimes_1");
}

TEST(ParseConfigDocumentTest, ACredentialIsNeverEchoed) {
  auto config = ParseConfigDocument(
      json::parse(R"({"adapters":{"kevel":{"api_key":"TOPSECRET-42"}}})"));
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(std::string(config.status().message()).find("TOPSECRET-42"),
            std::string::npos);
}

TEST(RedactCredentialsTest, HidesValuesOfCredentialKeysAtAnyDepth) {
  const json redacted = RedactCredentials(json::parse(R"({
      "adapters": {"kevel": {"api_key": "k1", "api_key_secret": "kevel-x",
                             "network_id": "789"},
                   "google_ad_manager": {"private_key": "-----BEGIN",
                                         "service_account_key_secret": "gam"}},
      "list": [{"password": "p"}], "token": 12})"));
  EXPECT_EQ(redacted["adapters"]["kevel"]["api_key"], "[redacted]");
  EXPECT_EQ(redacted["adapters"]["kevel"]["api_key_secret"], "kevel-x");
  EXPECT_EQ(redacted["adapters"]["kevel"]["network_id"], "789");
  EXPECT_EQ(redacted["adapters"]["google_ad_manager"]["private_key"],
            "[redacted]");
  EXPECT_EQ(
      redacted["adapters"]["google_ad_manager"]["service_account_key_secret"],
      "gam");
  EXPECT_EQ(redacted["list"][0]["password"], "[redacted]");
  EXPECT_EQ(redacted["token"], "[redacted]");
}

TEST(StructToJsonTest, IntegralNumbersBecomeIntegers) {
  google::protobuf::Struct value;
  (*value.mutable_fields())["n"].set_number_value(100000);
  (*value.mutable_fields())["s"].set_string_value("x");
  EXPECT_EQ(StructToJson(value), json::parse(R"({"n":100000,"s":"x"})"));
}

TEST(TenantConfigViewTest, AnswersAsTheSeedsConfigManager) {
  auto config = ParseConfigDocument(json::parse(R"({
    "adapters": {"kevel": {"enabled": true, "network_id": "789",
                           "manual_approval_required": true}},
    "features": {"max_daily_budget": 10000, "enable_aee_signals": false,
                 "allow_cross_device_targeting": true}})"));
  ASSERT_TRUE(config.ok()) << config.status();
  const TenantConfigView view(*config);
  EXPECT_EQ(view.Get("features.max_daily_budget"), 10000);
  EXPECT_EQ(view.Get("features.nothing", 7), 7);
  EXPECT_EQ(view.Get("features.max_daily_budget.deeper", "d"), "d");
  EXPECT_EQ(view.Get("branding.logo_url", "none"), "none");
  EXPECT_EQ(view.AdapterConfig("kevel")["network_id"], "789");
  EXPECT_EQ(view.AdapterConfig("google_ad_manager"), json::object());
  EXPECT_TRUE(view.IsAdapterEnabled("kevel"));
  EXPECT_FALSE(view.IsAdapterEnabled("google_ad_manager"));
  EXPECT_TRUE(view.IsFeatureEnabled("allow_cross_device_targeting"));
  EXPECT_FALSE(view.IsFeatureEnabled("enable_aee_signals"));
  EXPECT_FALSE(view.IsFeatureEnabled("allow_programmatic_guaranteed"));
  EXPECT_FALSE(
      view.IsFeatureEnabled("max_daily_budget"));  // a number, not true
}

}  // namespace
}  // namespace adcp
