#include "services/media-buy/media_buy_server.h"

#include <prometheus/gauge.h>

#include "db/builtin_migrations.h"
#include "libs/base/env.h"
#include "libs/base/log.h"
#include "libs/base/status.h"
#include "libs/tenancy/service_channel.h"
#include "services/media-buy/adapters/gam/gam_adapter.h"
#include "services/media-buy/adapters/kevel/kevel_adapter.h"
#include "services/media-buy/adapters/mock/mock_adapter.h"
#include "services/media-buy/store/account_store.h"
#include "services/media-buy/store/product_store.h"
#include "services/media-buy/store/statements.h"
#include "services/media-buy/webhooks/push_secrets.h"

namespace adcp::media_buy {
namespace {

PgPool::Statements AllStatements() {
  PgPool::Statements statements = StoreStatements();
  for (auto& statement : AuditLog::Statements())
    statements.push_back(std::move(statement));
  return statements;
}

absl::Status WebhookConfigFromEnv(MediaBuyConfig& config) {
  const std::string keks = env::String("WEBHOOK_SIGNING_KEKS", "");
  if (!keks.empty()) {
    auto vault = httpsig::KeyVault::Parse(keks);
    if (!vault.ok())
      return absl::InvalidArgumentError(
          absl::StrCat("WEBHOOK_SIGNING_KEKS: ", vault.status().message()));
    config.webhook_vault = std::move(*vault);
  }
  ASSIGN_OR_RETURN(const int overlap, env::Int("WEBHOOK_KEY_OVERLAP_SECONDS",
                                               604800, 0, 31536000));
  config.webhook_key_overlap = absl::Seconds(overlap);
  ASSIGN_OR_RETURN(config.webhook_dispatch,
                   env::Bool("WEBHOOK_DISPATCH", true));
  WebhookDispatchOptions& webhook = config.webhook;
  auto allowed = http::ParseCidrList(env::String("WEBHOOK_ALLOWED_CIDRS", ""));
  if (!allowed.ok())
    return absl::InvalidArgumentError(
        absl::StrCat("WEBHOOK_ALLOWED_CIDRS: ", allowed.status().message()));
  webhook.allowed = std::move(*allowed);
  ASSIGN_OR_RETURN(webhook.workers, env::Int("WEBHOOK_WORKERS", 16, 1, 256));
  ASSIGN_OR_RETURN(webhook.per_tenant,
                   env::Int("WEBHOOK_CONCURRENCY_PER_TENANT", 4, 1, 64));
  ASSIGN_OR_RETURN(const int timeout,
                   env::Int("WEBHOOK_TIMEOUT_SECONDS", 10, 1, 60));
  webhook.timeout = absl::Seconds(timeout);
  webhook.lease = webhook.timeout * 3;
  ASSIGN_OR_RETURN(const int max_age,
                   env::Int("WEBHOOK_MAX_AGE_SECONDS", 86400, 5, 604800));
  webhook.max_age = absl::Seconds(max_age);
  ASSIGN_OR_RETURN(const int poll,
                   env::Int("WEBHOOK_POLL_MS", 1000, 10, 60000));
  webhook.poll = absl::Milliseconds(poll);
  ASSIGN_OR_RETURN(webhook.breaker_threshold,
                   env::Int("WEBHOOK_BREAKER_THRESHOLD", 5, 1, 1000));
  // The retry schedule's scale: production keeps the defaults; a test
  // shrinks it to prove a long outage's logic in seconds.
  ASSIGN_OR_RETURN(const int cooldown_ms,
                   env::Int("WEBHOOK_BREAKER_COOLDOWN_MS", 30000, 10, 3600000));
  webhook.breaker_cooldown = absl::Milliseconds(cooldown_ms);
  ASSIGN_OR_RETURN(const int first_ms,
                   env::Int("WEBHOOK_FIRST_BACKOFF_MS", 1000, 10, 60000));
  webhook.first_backoff = absl::Milliseconds(first_ms);
  ASSIGN_OR_RETURN(const int max_ms, env::Int("WEBHOOK_MAX_BACKOFF_MS", 600000,
                                              first_ms, 3600000));
  webhook.max_backoff = absl::Milliseconds(max_ms);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<MediaBuyConfig> MediaBuyConfigFromEnv() {
  MediaBuyConfig config;
  ASSIGN_OR_RETURN(
      config.service,
      ServiceConfigFromEnv("media-buy", "MEDIA_BUY_PORT", 50053, 9464));
  config.registry_address =
      env::String("TENANT_REGISTRY_ADDR", "127.0.0.1:50051");
  config.options.format_agent_url =
      env::String("MEDIA_BUY_FORMAT_AGENT_URL", kStandardFormatAgent);
  config.options.publisher_base_domain =
      env::String("MEDIA_BUY_PUBLISHER_BASE_DOMAIN", "sales-agent.example.com");
  ASSIGN_OR_RETURN(const int ttl, env::Int("MEDIA_BUY_IDEMPOTENCY_TTL_SECONDS",
                                           86400, 3600, 604800));
  config.options.idempotency_ttl = absl::Seconds(ttl);
  ASSIGN_OR_RETURN(config.options.dry_run,
                   env::Bool("MEDIA_BUY_DRY_RUN", false));
  const std::string base = env::String("MEDIA_BUY_ADAPTER_BASE_CONFIG", "{}");
  config.adapter_base_config = nlohmann::json::parse(base, nullptr, false);
  if (!config.adapter_base_config.is_object()) {
    return absl::InvalidArgumentError(
        "MEDIA_BUY_ADAPTER_BASE_CONFIG must be a JSON object");
  }
  ASSIGN_OR_RETURN(const int cached, env::Int("MEDIA_BUY_PRODUCT_CACHE_TENANTS",
                                              20000, 1, 10000000));
  config.product_cache_tenants = static_cast<size_t>(cached);
  ASSIGN_OR_RETURN(
      const int accounts,
      env::Int("MEDIA_BUY_ACCOUNT_CACHE_TENANTS", 20000, 1, 10000000));
  config.account_cache_tenants = static_cast<size_t>(accounts);
  config.adapter_stand_in = env::String("MEDIA_BUY_ADAPTER_STAND_IN", "");
  if (!config.adapter_stand_in.empty() &&
      config.adapter_stand_in != kMockAdapterName) {
    return absl::InvalidArgumentError(
        "MEDIA_BUY_ADAPTER_STAND_IN must be empty or \"mock\"");
  }
  config.adapter_secrets_dir = env::String("ADAPTER_SECRETS_DIR", "");
  ASSIGN_OR_RETURN(
      config.adapter_dry_run_without_credentials,
      env::Bool("MEDIA_BUY_ADAPTER_DRY_RUN_WITHOUT_CREDENTIALS", false));
  ASSIGN_OR_RETURN(const int timeout,
                   env::Int("MEDIA_BUY_ADAPTER_TIMEOUT_SECONDS", 30, 1, 300));
  config.adapter_policy.timeout = absl::Seconds(timeout);
  ASSIGN_OR_RETURN(config.adapter_policy.max_attempts,
                   env::Int("MEDIA_BUY_ADAPTER_MAX_ATTEMPTS", 3, 1, 10));
  ASSIGN_OR_RETURN(config.adapter_policy.breaker_threshold,
                   env::Int("MEDIA_BUY_ADAPTER_BREAKER_THRESHOLD", 5, 1, 1000));
  ASSIGN_OR_RETURN(
      const int cooldown,
      env::Int("MEDIA_BUY_ADAPTER_BREAKER_COOLDOWN_SECONDS", 30, 1, 3600));
  config.adapter_policy.breaker_cooldown = absl::Seconds(cooldown);
  AdServerLimits& limits = config.options.ad_server_limits;
  ASSIGN_OR_RETURN(limits.concurrency_per_tenant,
                   env::Int("MEDIA_BUY_ADAPTER_CONCURRENCY_PER_TENANT",
                            limits.concurrency_per_tenant, 1, 256));
  ASSIGN_OR_RETURN(
      const int slot_wait_ms,
      env::Int("MEDIA_BUY_ADAPTER_SLOT_WAIT_MS",
               static_cast<int>(absl::ToInt64Milliseconds(limits.slot_wait)), 0,
               60000));
  limits.slot_wait = absl::Milliseconds(slot_wait_ms);
  ASSIGN_OR_RETURN(limits.max_calls_per_request,
                   env::Int("MEDIA_BUY_MAX_AD_SERVER_CALLS_PER_REQUEST",
                            limits.max_calls_per_request, 1, 10000));
  ASSIGN_OR_RETURN(limits.max_http_requests_per_request,
                   env::Int("MEDIA_BUY_MAX_AD_SERVER_HTTP_REQUESTS_PER_REQUEST",
                            limits.max_http_requests_per_request, 1, 100000));
  RETURN_IF_ERROR(WebhookConfigFromEnv(config));
  return config;
}

namespace {

// A cache's loader: every row of a tenant (ProductStore::List,
// AccountStore::List), read as an admin (callers filter per reader).
template <typename Row>
std::function<absl::StatusOr<std::vector<Row>>(const std::string&)> AllRowsOf(
    PgPool& pool, std::vector<Row> (*read)(TenantTxn&, const Reader&)) {
  return [&pool, read](
             const std::string& tenant_id) -> absl::StatusOr<std::vector<Row>> {
    std::vector<Row> rows;
    RETURN_IF_ERROR(pool.WithTenantTransaction(tenant_id, [&](TenantTxn& txn) {
      rows = read(txn, Reader{.is_admin = true});
      return absl::OkStatus();
    }));
    return rows;
  };
}

// The service's options, with the published keys read from `keys` (made
// after the service; called only once requests are served).
// With a vault, the buyers' push secrets are sealed by it.
MediaBuyOptions WithWebhookKeys(MediaBuyOptions options, WebhookKeys* keys,
                                bool has_vault) {
  options.webhook_jwks = [keys](const std::string& tenant_id) {
    return keys->Published(tenant_id);
  };
  if (has_vault)
    options.seal_push_secret = [keys](const std::string& tenant_id,
                                      const std::string& url,
                                      const std::string& secret) {
      return SealPushSecret(*keys->vault(), tenant_id, url, secret);
    };
  return options;
}

}  // namespace

MediaBuyServer::MediaBuyServer(MediaBuyConfig config)
    : config_(std::move(config)),
      pool_(config_.service.PoolOptions(), AllStatements()),
      tenants_(std::make_shared<TenantCache>(MakeServiceChannel(
          config_.registry_address, config_.service.internal_token))),
      principals_(std::make_shared<RemotePrincipalResolver>(MakeServiceChannel(
          config_.service.auth_address, config_.service.internal_token))),
      system_admins_(
          std::make_shared<RemoteSystemAdminResolver>(MakeServiceChannel(
              config_.service.auth_address, config_.service.internal_token))),
      breakers_(std::make_shared<CircuitBreakers>(config_.options.clock)),
      adapters_(config_.options.clock),
      audit_(pool_),
      replicas_(config_.service.ListenUrl(), "media-buy"),
      products_(config_.service.ListenUrl(),
                AllRowsOf(pool_, &ProductStore::List),
                config_.product_cache_tenants),
      accounts_(config_.service.ListenUrl(),
                AllRowsOf(pool_, &AccountStore::List),
                config_.account_cache_tenants),
      guard_(MediaBuyService::Policy(),
             TenantGuardOptions(config_.service, system_admins_, tenants_,
                                principals_, &audit_, &replicas_)),
      service_(
          guard_, pool_,
          [tenants = tenants_](const std::string& tenant_id) {
            return tenants->Get(tenant_id);
          },
          adapters_, audit_, products_, accounts_,
          WithWebhookKeys(config_.options, &webhook_keys_,
                          config_.webhook_vault.has_value())),
      webhook_keys_(pool_, config_.webhook_vault, config_.webhook_key_overlap) {
  adapters_.Register(kMockAdapterName, MockAdapterFactory());
  if (config_.adapter_stand_in.empty()) {
    AdapterDeps deps{
        .transport = CurlHttpTransport(),
        .breakers = breakers_,
        .secrets = DirectorySecretStore(config_.adapter_secrets_dir),
        .policy = config_.adapter_policy,
        .dry_run_without_credentials =
            config_.adapter_dry_run_without_credentials};
    adapters_.Register(kKevelAdapterName, KevelAdapterFactory(deps));
    adapters_.Register(kGamAdapterName, GamAdapterFactory(deps));
  }
  adapters_.SetBaseConfig(config_.adapter_base_config);
  adapters_.SetStandIn(config_.adapter_stand_in);
}

MediaBuyServer::~MediaBuyServer() { Shutdown(); }

absl::StatusOr<std::unique_ptr<MediaBuyServer>> MediaBuyServer::Start(
    MediaBuyConfig config) {
  RETURN_IF_ERROR(ValidateServiceConfig(config.service));
  std::unique_ptr<MediaBuyServer> server(new MediaBuyServer(std::move(config)));
  const absl::Duration wait = server->config_.service.database_wait;
  RETURN_IF_ERROR(WaitForServiceDatabase(
      server->pool_, db::LatestSchemaVersion(), StorePrivileges(), wait));
  server->replicas_.Start();
  server->tenants_->Start();
  server->principals_->Start();
  server->system_admins_->Start();
  server->products_.Start();
  server->accounts_.Start();
  if (!server->tenants_->WaitUntilSynced(std::max(wait, absl::Seconds(1)))) {
    return absl::UnavailableError(
        absl::StrCat("no tenant snapshot from the registry at ",
                     server->config_.registry_address));
  }
  server->principals_->WaitUntilWatching(absl::Seconds(10));
  server->products_.WaitUntilListening(absl::Seconds(10));
  server->accounts_.WaitUntilListening(absl::Seconds(10));
  server->replicas_.WaitUntilCounted(absl::Seconds(5));
  server->SealSecretsAtRest();
  server->host_ = std::make_unique<ServiceHost>(server->config_.service.host);
  server->host_->AddService(&server->service_,
                            v1::MediaBuyService::service_full_name());
  auto& breaker_open = prometheus::BuildGauge()
                           .Name("adcp_ad_server_circuit_open")
                           .Help(
                               "1 while the ad-server circuit breaker of a "
                               "tenant and adapter is open")
                           .Register(*server->host_->metrics());
  server->breakers_->OnChange(
      [&breaker_open](const std::string& key, bool open) {
        breaker_open.Add({{"breaker", key}}).Set(open ? 1 : 0);
      });
  RETURN_IF_ERROR(server->host_->Start());
  if (server->config_.webhook_dispatch) {
    // Woken by the outbox's NOTIFY, on the connection the caches LISTEN on.
    WebhookDispatchOptions webhook = server->config_.webhook;
    if (webhook.listen_conninfo.empty())
      webhook.listen_conninfo = server->config_.service.ListenUrl();
    server->dispatcher_ = std::make_unique<WebhookDispatcher>(
        server->pool_,
        [tenants = server->tenants_] {
          std::vector<DispatchTenant> out;
          for (const auto& tenant : tenants->All())
            out.push_back({tenant->tenant_id(), tenant->config().sandbox()});
          return out;
        },
        server->webhook_keys_, std::move(webhook), *server->host_->metrics());
    server->dispatcher_->Start();
  }
  return server;
}

void MediaBuyServer::SealSecretsAtRest() {
  const std::optional<httpsig::KeyVault>& vault = webhook_keys_.vault();
  if (!vault) return;
  SealedAtRest total;
  for (const auto& tenant : tenants_->All()) {
    absl::StatusOr<SealedAtRest> counts =
        SealAtRest(pool_, *vault, tenant->tenant_id());
    if (!counts.ok()) {
      log::Warn("webhook secrets not swept",
                {{"tenant_id", tenant->tenant_id()},
                 {"error", std::string(counts.status().message())}});
      continue;
    }
    total.sealed += counts->sealed;
    total.resealed += counts->resealed;
    total.dropped += counts->dropped;
    total.unopened += counts->unopened;
  }
  if (total.sealed + total.resealed + total.dropped + total.unopened > 0)
    log::Info("webhook secrets at rest swept", {{"sealed", total.sealed},
                                                {"resealed", total.resealed},
                                                {"dropped", total.dropped},
                                                {"unopened", total.unopened}});
}

void MediaBuyServer::Shutdown() {
  if (dispatcher_) dispatcher_->Stop();
  if (host_) host_->Shutdown();
  replicas_.Stop();
  products_.Stop();
  accounts_.Stop();
  principals_->Stop();
  system_admins_->Stop();
  tenants_->Stop();
}

}  // namespace adcp::media_buy
