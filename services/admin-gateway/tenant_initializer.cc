#include "services/admin-gateway/tenant_initializer.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "libs/base/status.h"
#include "libs/grpc/grpc_status.h"
#include "libs/tenancy/tenant_config.h"

namespace adcp::admin_gateway {
namespace {

namespace tpb = ::adcp::tenant::v1;
namespace mpb = ::adcp::media_buy::v1;

constexpr char kStepPayload[] = "type.adcp/initialization-step";
constexpr char kFormatAgent[] = "https://creative.adcontextprotocol.org";

const char* const kAdapters[] = {"google_ad_manager", "kevel", "mock"};

std::string AdapterTitle(const std::string& adapter) {
  if (adapter == "google_ad_manager") return "Google Ad Manager";
  if (adapter == "kevel") return "Kevel";
  return "Mock ad server";
}

// Wraps a step's failure: the message and a payload name the step.
absl::Status StepFailed(const std::string& step, const absl::Status& cause) {
  absl::Status status(
      cause.code(),
      absl::StrCat("initialization step '", step,
                   "' failed: ", std::string(cause.message()),
                   "; the tenant stays inactive, repeat the request to "
                   "resume"));
  status.SetPayload(kStepPayload, absl::Cord(step));
  return status;
}

// Calls `call` until it stops answering NOT_FOUND (a new tenant reaches the
// other services' caches within moments) or `wait` passes.
template <typename Call>
grpc::Status UntilKnown(absl::Duration wait, Call&& call) {
  const absl::Time give_up = absl::Now() + wait;
  grpc::Status status;
  do {
    status = call();
    if (status.error_code() != grpc::StatusCode::NOT_FOUND) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } while (absl::Now() < give_up);
  return status;
}

mpb::FormatId Format(const std::string& id) {
  mpb::FormatId format;
  format.set_agent_url(kFormatAgent);
  format.set_id(id);
  return format;
}

}  // namespace

const std::vector<std::string>& TenantInitializer::Steps() {
  static const std::vector<std::string> steps = {
      "create_tenant", "creative_formats", "admin_principal",
      "default_products", "activate"};
  return steps;
}

std::string FailedStep(const absl::Status& status) {
  auto step = status.GetPayload(kStepPayload);
  return step ? std::string(*step) : std::string();
}

std::vector<mpb::UpsertProductRequest> DefaultProducts(
    const std::string& adapter, const tpb::TenantConfig& config) {
  const auto& defaults = config.product_defaults();
  const std::string currency =
      defaults.currency().empty() ? "USD" : defaults.currency();
  const double display_cpm =
      defaults.has_display_cpm() ? defaults.display_cpm() : 10.0;
  const double video_cpm =
      defaults.has_video_cpm() ? defaults.video_cpm() : 25.0;
  const std::string lower = absl::AsciiStrToLower(currency);
  struct Spec {
    std::string format, name, delivery_type, channel;
    bool auction;
  };
  const Spec specs[] = {
      {"display_300x250", "Display 300x250", "guaranteed", "display", false},
      {"display_728x90", "Display 728x90", "guaranteed", "display", false},
      {"video_30s", "Video 30s", "non_guaranteed", "olv", true}};
  std::vector<mpb::UpsertProductRequest> products;
  for (const Spec& spec : specs) {
    mpb::UpsertProductRequest request;
    mpb::Product* product = request.mutable_definition()->mutable_product();
    product->set_product_id(absl::StrCat(adapter, "_", spec.format));
    product->set_name(
        absl::StrCat(spec.name, " (", AdapterTitle(adapter), ")"));
    product->set_description(absl::StrCat(
        spec.name, " across the publisher's properties, served by ",
        AdapterTitle(adapter)));
    product->set_delivery_type(spec.delivery_type);
    product->add_channels(spec.channel);
    *product->add_format_ids() = Format(spec.format);
    mpb::PricingOption* price = product->add_pricing_options();
    price->set_pricing_model("cpm");
    price->set_currency(currency);
    if (spec.auction) {
      price->set_pricing_option_id(absl::StrCat("cpm_", lower, "_auction"));
      price->set_floor_price(video_cpm);
    } else {
      price->set_pricing_option_id(absl::StrCat("cpm_", lower, "_fixed"));
      price->set_fixed_price(display_cpm);
    }
    request.mutable_definition()->set_is_active(true);
    products.push_back(std::move(request));
  }
  return products;
}

absl::StatusOr<InitializedTenant> TenantInitializer::Initialize(
    const tpb::CreateTenantRequest& request) {
  InitializedTenant result{.tenant_id = request.tenant_id()};
  const std::string& tenant_id = request.tenant_id();

  // create_tenant
  tpb::Tenant tenant;
  {
    tpb::CreateTenantRequest pending = request;
    pending.set_pending_initialization(true);
    const grpc::Status created = backends_.registry().CreateTenant(
        backends_.Context().get(), pending, &tenant);
    if (created.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
      // Resume an initialization that stopped, for the same tenant only.
      tpb::GetTenantRequest get;
      get.set_tenant_id(tenant_id);
      const grpc::Status found = backends_.registry().GetTenant(
          backends_.Context().get(), get, &tenant);
      if (!found.ok() || tenant.initialized() ||
          tenant.subdomain() != request.subdomain()) {
        return FromGrpcStatus(created);
      }
      result.resumed = true;
    } else if (!created.ok()) {
      // Bad input is the caller's to fix: no step has run.
      if (created.error_code() == grpc::StatusCode::INVALID_ARGUMENT)
        return FromGrpcStatus(created);
      return StepFailed("create_tenant", FromGrpcStatus(created));
    }
  }

  // creative_formats
  {
    const auto& engine = tenant.config().creative_engine();
    nlohmann::json patch = nlohmann::json::object();
    if (engine.auto_approve_formats_size() == 0 &&
        !engine.has_human_review_required()) {
      patch["creative_engine"]["auto_approve_formats"] = {"display_300x250",
                                                          "display_728x90"};
    }
    if (!engine.has_human_review_required())
      patch["creative_engine"]["human_review_required"] = true;
    if (!patch.empty()) {
      tpb::UpdateTenantConfigRequest update;
      update.set_tenant_id(tenant_id);
      (void)google::protobuf::util::JsonStringToMessage(
          patch.dump(), update.mutable_config_patch());
      const grpc::Status updated = backends_.registry().UpdateTenantConfig(
          backends_.Context().get(), update, &tenant);
      if (!updated.ok())
        return StepFailed("creative_formats", FromGrpcStatus(updated));
    }
  }

  // admin_principal
  {
    auth::v1::CreatePrincipalRequest admin;
    admin.set_principal_id(tenant_id + "_admin");
    admin.set_name(tenant.name() + " Admin");
    auth::v1::PrincipalWithToken issued;
    grpc::Status status = UntilKnown(propagation_wait_, [&] {
      return backends_.auth().CreatePrincipal(
          backends_.Context(tenant_id).get(), admin, &issued);
    });
    if (status.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
      // Made by an attempt whose token was never shown: issue a new one.
      auth::v1::RotateTokenRequest rotate;
      rotate.set_principal_id(admin.principal_id());
      status = backends_.auth().RotateToken(backends_.Context(tenant_id).get(),
                                            rotate, &issued);
    }
    if (!status.ok())
      return StepFailed("admin_principal", FromGrpcStatus(status));
    result.admin_token = issued.access_token();
  }

  // default_products
  {
    const TenantConfigView view(tenant.config());
    for (const char* adapter : kAdapters) {
      if (!view.IsAdapterEnabled(adapter)) continue;
      for (const auto& product : DefaultProducts(adapter, tenant.config())) {
        mpb::ProductDefinition stored;
        const grpc::Status status = UntilKnown(propagation_wait_, [&] {
          return backends_.media_buy().UpsertProduct(
              backends_.Context(tenant_id).get(), product, &stored);
        });
        if (!status.ok())
          return StepFailed("default_products", FromGrpcStatus(status));
        result.product_ids.push_back(
            product.definition().product().product_id());
      }
    }
  }

  // activate
  {
    tpb::CompleteInitializationRequest complete;
    complete.set_tenant_id(tenant_id);
    const grpc::Status status = backends_.registry().CompleteInitialization(
        backends_.Context().get(), complete, &tenant);
    if (!status.ok()) return StepFailed("activate", FromGrpcStatus(status));
  }
  // Answer once agents can use it: auth and media-buy have seen it active
  // (they refuse a call without a token as unauthenticated only then).
  // Polled with a growing pause: each probe is a logged call in both
  // services.
  const absl::Time give_up = absl::Now() + propagation_wait_;
  auto pause = std::chrono::milliseconds(5);
  while (absl::Now() < give_up) {
    mpb::GetProductsRequest probe;
    mpb::GetProductsResponse ignored;
    const bool media_buy_ready =
        backends_.media_buy()
            .GetProducts(backends_.Context(tenant_id).get(), probe, &ignored)
            .error_code() == grpc::StatusCode::UNAUTHENTICATED;
    auth::v1::ResolvePrincipalRequest resolve;
    auth::v1::Principal principal;
    const bool auth_ready =
        backends_.auth()
            .ResolvePrincipal(backends_.Context(tenant_id).get(), resolve,
                              &principal)
            .error_code() == grpc::StatusCode::UNAUTHENTICATED;
    if (media_buy_ready && auth_ready) break;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(100));
  }
  return result;
}

}  // namespace adcp::admin_gateway
