#include "services/agent-edge/conformance_fixture.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "libs/httpsig/vectors_test_util.h"

namespace adcp::agent_edge {

using ::adcp::testing::Suite;
using nlohmann::json;

void ConformanceFixture::SetUp() {
  // Webhooks are signed (a KEK) and may reach the runner's receiver on
  // 127.0.0.1; the dispatcher looks for due events every 100 ms.
  ::adcp::testing::SuiteOptions options;
  options.configure_media_buy = [](media_buy::MediaBuyConfig& config) {
    config.webhook_vault = *httpsig::KeyVault::Parse(
        absl::StrCat("k1:", absl::WebSafeBase64Escape(std::string(32, 'c'))));
    config.webhook.allowed = *http::ParseCidrList("127.0.0.1/32");
    config.webhook.poll = absl::Milliseconds(100);
  };
  auto suite = Suite::Start(options);
  ASSERT_TRUE(suite.ok()) << suite.status();
  suite_ = *std::move(suite);
  json tenant_config = TenantConfig();
  tenant_config.erase("request_signing");  // SignedRequests turns it on
  ASSERT_TRUE(suite_->CreateTenant(kTenant, tenant_config.dump()).ok());
  auto admin = suite_->CreatePrincipal(kTenant, "nytimes_admin");
  ASSERT_TRUE(admin.ok()) << admin.status();
  auto buyer = suite_->CreatePrincipal(kTenant, "compliance_buyer");
  ASSERT_TRUE(buyer.ok()) << buyer.status();
  token_ = buyer->access_token();
  Seed("seed_product", {{"product_id", "test-product"},
                        {"fixture",
                         {{"name", "Run of site display"},
                          {"delivery_type", "non_guaranteed"},
                          {"channels", {"display"}},
                          {"format_ids", {{{"id", "display_300x250"}}}}}}});
  for (const char* option : {"default", "test-pricing"}) {
    Seed("seed_pricing_option", {{"product_id", "test-product"},
                                 {"pricing_option_id", option},
                                 {"fixture",
                                  {{"pricing_model", "cpm"},
                                   {"currency", "USD"},
                                   {"fixed_price", 12.5}}}});
  }

  EdgeConfig config;
  config.http.bind_host = "127.0.0.1";
  config.http.port = 0;
  config.http.threads = 8;
  config.http.shutdown_grace = absl::Seconds(2);
  config.registry_address = suite_->registry_address();
  config.media_buy_address = suite_->media_buy_address();
  config.auth_address = suite_->auth_address();
  config.internal_token = suite_->internal_token();
  config.base_domains = {"sales.test"};
  auto edge = AgentEdge::Start(config);
  ASSERT_TRUE(edge.ok()) << edge.status();
  edge_ = *std::move(edge);
}

json ConformanceFixture::TenantConfig() {
  // The signed-requests test kit's counterparty: the runner's keys from
  // keys.json (their public members only), test-revoked-2026 revoked, and
  // the grading cap of 100 live nonces per key (test-kits/
  // signed-requests-runner.yaml); a sandbox tenant may hold them.
  json keys = json::array();
  const json published_keys = httpsig::testing::LoadJson(
      httpsig::testing::RequestSigningVectors() / "keys.json");
  for (const json& key : published_keys.value("keys", json::array())) {
    json published;
    for (const char* member :
         {"kid", "kty", "crv", "alg", "use", "key_ops", "adcp_use", "x", "y"})
      if (key.contains(member)) published[member] = key[member];
    keys.push_back(published);
  }
  return {{"sandbox", true},
          {"publisher_domains", {"nytimes.example"}},
          {"adapters", {{"mock", {{"enabled", true}}}}},
          {"request_signing",
           {{"supported", true},
            {"covers_content_digest", "either"},
            {"required_for", {"create_media_buy"}},
            {"replay_cap_per_key", 100},
            {"counterparties",
             {{{"name", "adcp-conformance-runner"},
               {"jwks", {{"keys", keys}}},
               {"revoked_kids", {"test-revoked-2026"}}}}}}}};
}

void ConformanceFixture::Seed(const std::string& scenario, const json& params) {
  media_buy::v1::ComplyTestControllerRequest request;
  request.set_scenario(scenario);
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(
                  params.dump(), request.mutable_params())
                  .ok());
  media_buy::v1::ComplyTestControllerResponse response;
  const grpc::Status status = suite_->media_buy().ComplyTestController(
      Suite::Context(kTenant, token_, "").get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(response.success()) << response.error_detail();
}

std::string ConformanceFixture::BrandJsonUrl() const {
  return absl::StrCat("http://127.0.0.1:", edge_->port(), "/tenants/", kTenant,
                      "/.well-known/brand.json");
}

std::string ConformanceFixture::AgentUrl() const {
  return absl::StrCat("http://127.0.0.1:", edge_->port(), "/tenants/", kTenant,
                      "/", protocol_);
}

json ConformanceFixture::RunJson(const std::string& command) {
  // Per process: test runs of other clones may share the temp directory.
  const std::string log =
      absl::StrCat(::testing::TempDir(), "storyboard-", getpid(), ".stderr");
  const std::string full =
      absl::StrCat("cd '", ADCP_TOOLS_DIR, "' && ", command, " 2>'", log, "'");
  FILE* pipe = popen(full.c_str(), "r");
  if (pipe == nullptr) return json();
  std::string out;
  char buffer[65536];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  const int rc = pclose(pipe);
  json result = json::parse(out, nullptr, false);
  if (result.is_discarded() || !result.is_object()) {
    std::ifstream err(log);
    std::string stderr_text((std::istreambuf_iterator<char>(err)), {});
    ADD_FAILURE() << "the runner printed no JSON result (exit " << rc
                  << ")\nstdout: " << out.substr(0, 4000)
                  << "\nstderr: " << stderr_text.substr(0, 4000);
    return json();
  }
  return result;
}

}  // namespace adcp::agent_edge
