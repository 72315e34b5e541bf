// The gateway's gRPC clients of the registry, auth and media-buy, and how gRPC
// outcomes become HTTP answers.
#pragma once

#include <grpcpp/client_context.h>

#include <boost/beast/http/status.hpp>
#include <memory>
#include <string>

#include "adcp/auth/v1/auth.grpc.pb.h"
#include "adcp/media_buy/v1/media_buy.grpc.pb.h"
#include "adcp/tenant/v1/tenant_registry.grpc.pb.h"

namespace adcp::admin_gateway {

struct BackendsConfig {
  std::string registry_address = "127.0.0.1:50051";
  std::string auth_address = "127.0.0.1:50052";
  std::string media_buy_address = "127.0.0.1:50053";
  std::string internal_token;
  absl::Duration deadline = absl::Seconds(10);
};

// The system admin token the current request acts with: the caller's own
// (X-System-Token, or the UI session's), installed on the handling thread
// for the request only. The gateway holds no admin credential of its own.
class ActingAdmin {
 public:
  explicit ActingAdmin(std::string system_token);
  ~ActingAdmin();
  ActingAdmin(const ActingAdmin&) = delete;
  ActingAdmin& operator=(const ActingAdmin&) = delete;
  // "" outside a request.
  static const std::string& Token();

 private:
  const std::string* previous_;
  const std::string token_;
};

class Backends {
 public:
  explicit Backends(const BackendsConfig& config);

  tenant::v1::TenantRegistry::Stub& registry() { return *registry_; }
  auth::v1::Auth::Stub& auth() { return *auth_; }
  auth::v1::SystemAdmins::Stub& system_admins() { return *system_admins_; }
  // The auth channel (for the gateway's cache of resolved admin tokens).
  std::shared_ptr<grpc::Channel> auth_channel() const { return auth_channel_; }
  media_buy::v1::MediaBuyService::Stub& media_buy() { return *media_buy_; }
  // A context acting as this thread's ActingAdmin (none outside one), for
  // `tenant_id` when not empty.
  std::unique_ptr<grpc::ClientContext> Context(
      const std::string& tenant_id = "") const;
  // Every backend answers SERVING on grpc health.
  bool Healthy() const;

 private:
  const BackendsConfig config_;
  std::shared_ptr<grpc::Channel> registry_channel_, auth_channel_,
      media_buy_channel_;
  std::unique_ptr<tenant::v1::TenantRegistry::Stub> registry_;
  std::unique_ptr<auth::v1::Auth::Stub> auth_;
  std::unique_ptr<auth::v1::SystemAdmins::Stub> system_admins_;
  std::unique_ptr<media_buy::v1::MediaBuyService::Stub> media_buy_;
};

// INVALID_ARGUMENT -> 400, NOT_FOUND -> 404, ALREADY_EXISTS -> 409,
// FAILED_PRECONDITION -> 409, PERMISSION_DENIED/UNAUTHENTICATED -> 403,
// RESOURCE_EXHAUSTED -> 429, UNAVAILABLE/DEADLINE_EXCEEDED -> 503, else 500.
boost::beast::http::status HttpStatusFor(grpc::StatusCode code);

}  // namespace adcp::admin_gateway
