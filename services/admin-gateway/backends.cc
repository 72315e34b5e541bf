#include "services/admin-gateway/backends.h"

#include "grpc/health/v1/health.grpc.pb.h"
#include "libs/base/log.h"
#include "libs/tenancy/call_context.h"
#include "libs/tenancy/guard.h"
#include "libs/tenancy/metadata.h"
#include "libs/tenancy/service_channel.h"

namespace adcp::admin_gateway {

using boost::beast::http::status;

namespace {
thread_local const std::string* acting_token = nullptr;
}  // namespace

ActingAdmin::ActingAdmin(std::string system_token)
    : previous_(acting_token), token_(std::move(system_token)) {
  acting_token = &token_;
}

ActingAdmin::~ActingAdmin() { acting_token = previous_; }

const std::string& ActingAdmin::Token() {
  static const std::string* const kNone = new std::string();
  return acting_token == nullptr ? *kNone : *acting_token;
}

Backends::Backends(const BackendsConfig& config)
    : config_(config),
      registry_channel_(
          MakeServiceChannel(config.registry_address, config.internal_token)),
      auth_channel_(
          MakeServiceChannel(config.auth_address, config.internal_token)),
      media_buy_channel_(
          MakeServiceChannel(config.media_buy_address, config.internal_token)),
      registry_(tenant::v1::TenantRegistry::NewStub(registry_channel_)),
      auth_(auth::v1::Auth::NewStub(auth_channel_)),
      system_admins_(auth::v1::SystemAdmins::NewStub(auth_channel_)),
      media_buy_(media_buy::v1::MediaBuyService::NewStub(media_buy_channel_)) {}

std::unique_ptr<grpc::ClientContext> Backends::Context(
    const std::string& tenant_id) const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() +
                        absl::ToChronoMilliseconds(config_.deadline));
  const absl::Status forwarded = ForwardTenant(
      context.get(), ForwardedCall{.tenant_id = tenant_id,
                                   .system_token = ActingAdmin::Token()});
  if (!forwarded.ok()) {
    // Not a tenant id (callers check ids first): the call goes out without
    // credentials and is refused, rather than reaching gRPC with a value it
    // cannot carry.
    log::Warn("admin call not forwarded",
              {{"error", std::string(forwarded.message())}});
  }
  return context;
}

bool Backends::Healthy() const {
  for (const auto& channel :
       {registry_channel_, auth_channel_, media_buy_channel_}) {
    auto stub = grpc::health::v1::Health::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(2));
    grpc::health::v1::HealthCheckResponse response;
    if (!stub->Check(&context, grpc::health::v1::HealthCheckRequest(),
                     &response)
             .ok() ||
        response.status() != grpc::health::v1::HealthCheckResponse::SERVING) {
      return false;
    }
  }
  return true;
}

boost::beast::http::status HttpStatusFor(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return status::ok;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::OUT_OF_RANGE:
      return status::bad_request;
    case grpc::StatusCode::NOT_FOUND:
      return status::not_found;
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::ABORTED:
      return status::conflict;
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
      return status::forbidden;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return status::too_many_requests;
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    // The gateway cancels none of its calls: CANCELLED is gRPC's answer to
    // a call that reached a replica as it began shutting down.
    case grpc::StatusCode::CANCELLED:
      return status::service_unavailable;
    default:
      return status::internal_server_error;
  }
}

}  // namespace adcp::admin_gateway
