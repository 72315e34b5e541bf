// Test harness for the media-buy service: the registry, auth and media-buy
// (Suite) on real ports, media-buy with an injectable clock, the two example
// tenants of the seed (nytimes: Google Ad Manager, automatic approval, daily
// limit 1,000,000; localnews: Kevel with manual approval, limit 10,000, both
// served by the mock adapter), their principals and products, typed call
// helpers that return the AdCP error of a failed call, and a recorder that
// validates payloads against the AdCP 3.0 JSON schemas.
#pragma once

#include <google/protobuf/util/json_util.h>
#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "adcp/media_buy/v1/media_buy.grpc.pb.h"
#include "services/media-buy/domain/adcp_error.h"
#include "services/media-buy/media_buy_server.h"
#include "tests/support/suite.h"

namespace adcp::media_buy::testing {

using Stub = v1::MediaBuyService::Stub;

// What a call returned: the gRPC status, the response, and the AdCP error
// of the "adcp-error-bin" trailer when it failed.
template <typename Response>
struct Outcome {
  grpc::Status status;
  Response response;
  v1::Error error;
  bool ok() const { return status.ok(); }
};

// Lines for tests/adcp-tools/validate.mjs.
class SchemaRecorder {
 public:
  void Add(const std::string& schema, const std::string& name,
           const google::protobuf::Message& message);
  void AddJson(const std::string& schema, const std::string& name,
               const std::string& json);
  // Runs the validator over everything recorded; fails the test with its
  // output when a payload does not conform.
  void ExpectAllValid();
  size_t size() const { return lines_.size(); }

 private:
  std::vector<std::string> lines_;
};

// The AdCP JSON of a message (protobuf's JSON with the proto field names).
std::string AdcpJson(const google::protobuf::Message& message);

class MediaBuyHarness : public ::testing::Test {
 public:
  static v1::FormatId Format(const std::string& id);

 protected:
  // 2027-03-01T00:00:00Z: every test starts there.
  static absl::Time Epoch();

  void SetUp() override;
  void TearDown() override;
  // Changes the media-buy config before the suite starts it.
  virtual void ConfigureMediaBuy(MediaBuyConfig& config) {}
  // True: the services reach the database through a transaction-pooling
  // PgBouncer (SuiteOptions::through_pgbouncer).
  virtual bool ThroughPgBouncer() const { return false; }
  // Instances of each service (Suite's replicas).
  virtual int Replicas() const { return 1; }

  absl::Time now() const { return absl::FromUnixNanos(now_ns_.load()); }
  void SetNow(absl::Time t) { now_ns_ = absl::ToUnixNanos(t); }

  // Call helpers. `dry_run` sends x-adcp-dry-run: true.
  template <typename Request, typename Response>
  Outcome<Response> Call(grpc::Status (Stub::*method)(grpc::ClientContext*,
                                                      const Request&,
                                                      Response*),
                         const std::string& tenant, const std::string& token,
                         const Request& request, bool dry_run = false) {
    Outcome<Response> outcome;
    auto context = adcp::testing::Suite::Context(tenant, token, "");
    if (dry_run) context->AddMetadata(kDryRunKey, "true");
    outcome.status =
        (stub_.get()->*method)(context.get(), request, &outcome.response);
    if (!outcome.status.ok()) {
      const auto& trailers = context->GetServerTrailingMetadata();
      auto it = trailers.find(kAdcpErrorTrailer);
      if (it != trailers.end()) {
        outcome.error.ParseFromString(
            std::string(it->second.data(), it->second.size()));
      }
    }
    return outcome;
  }
  // The same, as the system admin (no bearer token).
  template <typename Request, typename Response>
  Outcome<Response> CallAsSystem(
      grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                   Response*),
      const std::string& tenant, const Request& request) {
    Outcome<Response> outcome;
    auto context =
        adcp::testing::Suite::Context(tenant, "", suite_->system_token());
    outcome.status =
        (stub_.get()->*method)(context.get(), request, &outcome.response);
    return outcome;
  }

  // Request builders.
  // A buy of `packages` packages of `product_id` at `budget` each, flight
  // [start, end).
  v1::CreateMediaBuyRequest BuyRequest(const std::string& key,
                                       const std::string& product_id,
                                       double budget, absl::Time start,
                                       absl::Time end, int packages = 1) const;
  static std::string Key(const std::string& label);  // a valid unique key
  // An update of a buy in the account BuyRequest uses.
  static v1::UpdateMediaBuyRequest UpdateRequest(
      const std::string& media_buy_id);
  // A sync_creatives of `creatives` in that account.
  static v1::SyncCreativesRequest Sync(
      std::vector<v1::CreativeAsset> creatives);
  // Adds the assignment of `creative_id` to `package_id` to `request`.
  static void Assign(v1::SyncCreativesRequest& request,
                     const std::string& creative_id,
                     const std::string& package_id);

  // Shortcuts that must succeed.
  v1::CreateMediaBuyResponse MustCreate(
      const std::string& tenant, const std::string& token,
      const v1::CreateMediaBuyRequest& request);
  v1::MediaBuy MustGetBuy(const std::string& tenant, const std::string& token,
                          const std::string& media_buy_id);

  // Row counts read as the superuser (row-level security does not filter).
  int64_t Count(const std::string& sql);
  std::string Scalar(const std::string& sql);
  // Runs and commits a statement as the superuser (to set up a state).
  void Exec(const std::string& sql);
  // md5 of every media-buy table's rows, to show a call changed nothing.
  std::string DataProbe();

  std::unique_ptr<adcp::testing::Suite> suite_;
  std::unique_ptr<Stub> stub_;
  std::atomic<int64_t> now_ns_{0};
  // Tokens by name: nyt_admin, nyt_a, nyt_b, local_admin, local_a.
  std::map<std::string, std::string> tokens_;
  SchemaRecorder schemas_;
};

}  // namespace adcp::media_buy::testing
