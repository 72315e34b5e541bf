// Test-only: the webhook tests' fixture, against the throwaway PostgreSQL
// of `./dev test` (as the media-buy role), tenants "live" and "sandbox",
// a KEK "k1" and receivers on real local sockets.
#pragma once

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <map>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "libs/base/secrets.h"
#include "libs/http/test_server.h"
#include "libs/httpsig/request_verifier.h"
#include "services/media-buy/store/statements.h"
#include "services/media-buy/webhooks/push_secrets.h"
#include "services/media-buy/webhooks/webhook_dispatcher.h"
#include "tests/support/test_database.h"

namespace adcp::media_buy::testing {

using ::adcp::http::test_support::SeenRequest;
using ::adcp::testing::TestDatabase;

class WebhookTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = TestDatabase::Create();
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    ASSERT_TRUE(
        db_->ExecAsSuperuser("INSERT INTO tenants (tenant_id, name, subdomain) "
                             "SELECT t, t, t FROM unnest(ARRAY['live', "
                             "'sandbox']) t")
            .ok());
    pool_ = NewPool();
    auto vault = httpsig::KeyVault::Parse(
        absl::StrCat("k1:", absl::WebSafeBase64Escape(std::string(32, 'k'))));
    ASSERT_TRUE(vault.ok()) << vault.status();
    keys_ = std::make_unique<WebhookKeys>(*pool_, *vault, absl::Hours(1));
    options_.allowed = *http::ParseCidrList("127.0.0.1/32");
    options_.first_backoff = absl::Milliseconds(20);
    options_.max_backoff = absl::Milliseconds(100);
    options_.timeout = absl::Seconds(5);
    options_.breaker_cooldown = absl::Seconds(1);
  }

  std::unique_ptr<PgPool> NewPool() {
    return std::make_unique<PgPool>(
        PgPool::Options{.conninfo = db_->MediaBuyUrl(), .size = 4},
        StoreStatements());
  }

  std::unique_ptr<WebhookDispatcher> Dispatcher(
      PgPool& pool, WebhookDispatchOptions options) {
    return std::make_unique<WebhookDispatcher>(
        pool,
        [] {
          return std::vector<DispatchTenant>{{"live", false},
                                             {"sandbox", true}};
        },
        *keys_, std::move(options), registry_);
  }

  // An event of `subject` for `url`, queued as a task's resolution would
  // (with a legacy scheme, `secret` sealed for the tenant and `url`).
  std::string Enqueue(const std::string& tenant, const std::string& url,
                      const std::string& subject = "media_buy:mb_1",
                      const std::string& scheme = "rfc9421",
                      const std::string& secret = "") {
    OutboxEvent event{.idempotency_key = absl::StrCat("whk_", RandomHex(16)),
                      .subject = subject,
                      .task_id = "task_1",
                      .url = url,
                      .scheme = scheme};
    // A legacy scheme's secret, sealed as the tasks seal it.
    if (!secret.empty())
      event.credentials = *SealPushSecret(*keys_->vault(), tenant, url, secret);
    event.payload = nlohmann::json{{"idempotency_key", event.idempotency_key},
                                   {"task_id", "task_1"},
                                   {"task_type", "create_media_buy"},
                                   {"status", "completed"},
                                   {"timestamp", "2026-12-07T16:00:00Z"}}
                        .dump();
    EXPECT_TRUE(pool_
                    ->WithTenantTransaction(tenant,
                                            [&](TenantTxn& txn) {
                                              WebhookOutboxStore::Enqueue(
                                                  txn, event);
                                              return absl::OkStatus();
                                            })
                    .ok());
    return event.idempotency_key;
  }

  std::vector<OutboxEvent> Events(const std::string& tenant) {
    std::vector<OutboxEvent> events;
    EXPECT_TRUE(pool_
                    ->WithTenantTransaction(tenant,
                                            [&](TenantTxn& txn) {
                                              events = WebhookOutboxStore::List(
                                                  txn, "", 100, 0);
                                              return absl::OkStatus();
                                            })
                    .ok());
    return events;
  }

  // Rows of `table` whose text (every column) holds `bytes`, read as the
  // superuser (row-level security does not filter).
  int64_t RowsHolding(const std::string& table, const std::string& bytes) {
    pqxx::connection connection(db_->SuperuserUrl());
    pqxx::work txn(connection);
    return txn
        .exec_params1(absl::StrCat("SELECT count(*) FROM ", table,
                                   " t WHERE strpos(t::text, $1) > 0"),
                      bytes)[0]
        .as<int64_t>();
  }

  static std::string KeyOf(const SeenRequest& request) {
    return nlohmann::json::parse(request.body)["idempotency_key"];
  }

  // Until every event of `tenant` left pending, at most `limit`.
  bool SettledWithin(const std::string& tenant, absl::Duration limit) {
    const absl::Time deadline = absl::Now() + limit;
    while (absl::Now() < deadline) {
      bool pending = false;
      for (const OutboxEvent& event : Events(tenant))
        pending = pending || event.status == "pending";
      if (!pending) return true;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return false;
  }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<PgPool> pool_;
  std::unique_ptr<WebhookKeys> keys_;
  prometheus::Registry registry_;
  WebhookDispatchOptions options_;
};

}  // namespace adcp::media_buy::testing
