// The fixture of the media-buy task tests: MediaBuyHarness (the service with
// the registry and auth on a throwaway PostgreSQL) for the seed's two example
// tenants, and what those tests share. Every payload a test sends or
// receives is also checked against the AdCP 3.0 JSON schemas of @adcp/sdk.
#pragma once

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/media-buy/testing/media_buy_harness.h"
#include "tests/support/eventually.h"

namespace adcp::media_buy::testing {

inline constexpr char kNyt[] = "nytimes";
inline constexpr char kLocal[] = "localnews";

class MediaBuyTest : public MediaBuyHarness {
 protected:
  absl::Time Day(int n) const { return Epoch() + absl::Hours(24 * n); }

  // A live nytimes buy of buyer_a: two display packages of 10,000 USD over
  // days 1-11.
  v1::CreateMediaBuyResponse NytBuy(const std::string& token = "") {
    return MustCreate(
        kNyt, token.empty() ? tokens_["nyt_a"] : token,
        BuyRequest(Key("nyt-buy"), "nyt_display", 10000, Day(1), Day(11), 2));
  }

  // A creative of a format, for sync_creatives.
  static v1::CreativeAsset Creative(const std::string& id,
                                    const std::string& format) {
    v1::CreativeAsset creative;
    creative.set_creative_id(id);
    creative.set_name("Creative " + id);
    *creative.mutable_format_id() = Format(format);
    google::protobuf::Struct asset;
    (*asset.mutable_fields())["asset_type"].set_string_value("image");
    (*asset.mutable_fields())["url"].set_string_value(
        "https://cdn.acme.example/" + id + ".png");
    (*asset.mutable_fields())["width"].set_number_value(300);
    (*asset.mutable_fields())["height"].set_number_value(250);
    (*creative.mutable_assets()->mutable_fields())["image"]
        .mutable_struct_value()
        ->Swap(&asset);
    return creative;
  }

  template <typename R>
  void ExpectError(const Outcome<R>& outcome, const std::string& code,
                   const std::string& field, const std::string& what) {
    EXPECT_FALSE(outcome.ok()) << what;
    EXPECT_EQ(outcome.error.code(), code)
        << what << ": " << outcome.status.error_message();
    EXPECT_EQ(outcome.error.field(), field) << what;
    if (!field.empty()) {
      EXPECT_TRUE(absl::StrContains(outcome.error.message(), field))
          << what << ": the message does not name the field: "
          << outcome.error.message();
    }
    EXPECT_FALSE(outcome.error.recovery().empty()) << what;
    for (const char* tenant : {kNyt, kLocal}) {
      EXPECT_FALSE(absl::StrContains(outcome.status.error_message(), tenant))
          << what << " names a tenant: " << outcome.status.error_message();
    }
  }

  // `tenant` as a sandbox tenant (its webhooks may use http, to a test
  // receiver; every other rule is the same), once the service sees it
  // (the controller answers `token`'s call).
  void MakeSandbox(const std::string& tenant, const std::string& token) {
    ASSERT_TRUE(suite_->PatchTenantConfig(tenant, R"({"sandbox":true})").ok());
    v1::ComplyTestControllerRequest list;
    list.set_scenario("list_scenarios");
    ASSERT_TRUE(adcp::testing::Eventually([&] {
      return Call(&Stub::ComplyTestController, tenant, token, list).ok();
    }));
    // Every replica follows the registry's watch within tens of ms.
    absl::SleepFor(absl::Milliseconds(300));
  }

  // The error as the AdCP error arm of a response schema.
  void RecordError(const std::string& schema, const v1::Error& error) {
    schemas_.AddJson(schema, "error " + error.code(),
                     absl::StrCat(R"({"errors":[)", AdcpJson(error), "]}"));
  }
};

}  // namespace adcp::media_buy::testing
