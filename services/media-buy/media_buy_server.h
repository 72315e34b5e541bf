// The assembled media-buy process: pool, tenant cache and token resolver
// (fed by the registry and auth), adapter registry, audit log, guard,
// service and host.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "libs/db/pg_pool.h"
#include "libs/db/replica_count.h"
#include "libs/grpc/service_host.h"
#include "libs/tenancy/audit_log.h"
#include "libs/tenancy/guard.h"
#include "libs/tenancy/remote_principals.h"
#include "libs/tenancy/remote_system_admins.h"
#include "libs/tenancy/service_config.h"
#include "libs/tenancy/tenant_cache.h"
#include "services/media-buy/adapters/adapter.h"
#include "services/media-buy/adapters/upstream.h"
#include "services/media-buy/media_buy_service.h"
#include "services/media-buy/webhooks/webhook_dispatcher.h"
#include "services/media-buy/webhooks/webhook_keys.h"

namespace adcp::media_buy {

struct MediaBuyConfig {
  ServiceConfig service;
  std::string registry_address = "127.0.0.1:50051";
  MediaBuyOptions options;
  // The deployment's base adapter config ({"kevel": {...}}), under which
  // each tenant's adapters.<name> is merged.
  nlohmann::json adapter_base_config = nlohmann::json::object();
  // "mock": the mock serves every tenant's ad server (tests, demos without
  // the real adapters); empty: Google Ad Manager and Kevel are real.
  std::string adapter_stand_in;
  // Tenants whose products are kept in memory (ProductCache).
  size_t product_cache_tenants = 20000;
  // Tenants whose accounts are kept in memory (AccountCache).
  size_t account_cache_tenants = 20000;
  // Where the deployment's adapter secrets are, one file per secret (the
  // Kubernetes Secret adcp-adapter-credentials); empty: none.
  std::string adapter_secrets_dir;
  // Tenants without configured credentials run their adapter in dry_run
  // (./dev up) instead of failing.
  bool adapter_dry_run_without_credentials = false;
  UpstreamPolicy adapter_policy;
  // Webhooks: the key-encryption keys that seal the tenants' signing keys
  // (none: webhooks under RFC 9421 cannot be signed and wait), how long a
  // rotated key stays published, whether this replica delivers, and how.
  std::optional<httpsig::KeyVault> webhook_vault;
  absl::Duration webhook_key_overlap = absl::Hours(24 * 7);
  bool webhook_dispatch = true;
  WebhookDispatchOptions webhook;
};

// ServiceConfigFromEnv with MEDIA_BUY_PORT (50053) and METRICS_PORT (9464),
// plus TENANT_REGISTRY_ADDR, AUTH_ADDR, MEDIA_BUY_FORMAT_AGENT_URL,
// MEDIA_BUY_PUBLISHER_BASE_DOMAIN (sales-agent.example.com),
// MEDIA_BUY_IDEMPOTENCY_TTL_SECONDS (86400, 3600-604800),
// MEDIA_BUY_DRY_RUN (false), MEDIA_BUY_ADAPTER_BASE_CONFIG (JSON object),
// MEDIA_BUY_ADAPTER_STAND_IN (""), MEDIA_BUY_PRODUCT_CACHE_TENANTS (20000),
// ADAPTER_SECRETS_DIR (""),
// MEDIA_BUY_ADAPTER_DRY_RUN_WITHOUT_CREDENTIALS (false),
// MEDIA_BUY_ADAPTER_TIMEOUT_SECONDS (30, 1-300),
// MEDIA_BUY_ADAPTER_MAX_ATTEMPTS (3, 1-10),
// MEDIA_BUY_ADAPTER_BREAKER_THRESHOLD (5, 1-1000),
// MEDIA_BUY_ADAPTER_BREAKER_COOLDOWN_SECONDS (30, 1-3600),
// MEDIA_BUY_ADAPTER_CONCURRENCY_PER_TENANT (4, 1-256),
// MEDIA_BUY_ADAPTER_SLOT_WAIT_MS (1000, 0-60000),
// MEDIA_BUY_MAX_AD_SERVER_CALLS_PER_REQUEST (200, 1-10000),
// MEDIA_BUY_MAX_AD_SERVER_HTTP_REQUESTS_PER_REQUEST (1000, 1-100000),
// WEBHOOK_SIGNING_KEKS ("id:<base64url 32 bytes>,...", the first seals),
// WEBHOOK_KEY_OVERLAP_SECONDS (604800), WEBHOOK_DISPATCH (true),
// WEBHOOK_ALLOWED_CIDRS (""), WEBHOOK_WORKERS (16, 1-256),
// WEBHOOK_CONCURRENCY_PER_TENANT (4, 1-64), WEBHOOK_TIMEOUT_SECONDS (10,
// 1-60), WEBHOOK_MAX_AGE_SECONDS (86400, 5-604800), WEBHOOK_POLL_MS
// (1000, 10-60000), WEBHOOK_BREAKER_THRESHOLD (5, 1-1000),
// WEBHOOK_BREAKER_COOLDOWN_MS (30000), WEBHOOK_FIRST_BACKOFF_MS (1000),
// WEBHOOK_MAX_BACKOFF_MS (600000).
absl::StatusOr<MediaBuyConfig> MediaBuyConfigFromEnv();

class MediaBuyServer {
 public:
  // Waits up to the database wait for the schema and for the tenant
  // directory's first snapshot.
  static absl::StatusOr<std::unique_ptr<MediaBuyServer>> Start(
      MediaBuyConfig config);
  ~MediaBuyServer();

  int port() const { return host_->port(); }
  int metrics_port() const { return host_->metrics_port(); }
  AuditLog& audit() { return audit_; }
  AdapterRegistry& adapters() { return adapters_; }
  ProductCache& products() { return products_; }
  AccountCache& accounts() { return accounts_; }
  WebhookKeys& webhook_keys() { return webhook_keys_; }
  // Null when WEBHOOK_DISPATCH is false.
  WebhookDispatcher* webhooks() { return dispatcher_.get(); }
  // The live replicas of media-buy this one counts (its guard's divisor).
  int replica_count() const { return replicas_.count(); }
  void Shutdown();

 private:
  explicit MediaBuyServer(MediaBuyConfig config);
  // Before serving, with a vault: every tenant's legacy plaintext webhook
  // secrets sealed, what another KEK sealed sealed again
  // (webhooks/push_secrets.h, SealAtRest). A tenant that fails is logged.
  void SealSecretsAtRest();

  const MediaBuyConfig config_;
  PgPool pool_;
  std::shared_ptr<TenantCache> tenants_;
  std::shared_ptr<RemotePrincipalResolver> principals_;
  std::shared_ptr<RemoteSystemAdminResolver> system_admins_;
  std::shared_ptr<CircuitBreakers> breakers_;
  AdapterRegistry adapters_;
  AuditLog audit_;
  ReplicaCount replicas_;  // divides the guard's budgets
  ProductCache products_;
  AccountCache accounts_;
  CallGuard guard_;
  MediaBuyService service_;
  WebhookKeys webhook_keys_;
  std::unique_ptr<ServiceHost> host_;
  std::unique_ptr<WebhookDispatcher> dispatcher_;
};

}  // namespace adcp::media_buy
