// Webhooks (tables webhook_outbox and webhook_signing_keys): the events a
// change committed for a buyer's webhook, their delivery so far, and the
// tenant's signing keys (sealed).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "libs/db/pg_pool.h"
#include "nlohmann/json.hpp"

namespace adcp::media_buy {

struct OutboxEvent {
  int64_t event_seq = 0;
  std::string idempotency_key;  // the payload's, stable across retries
  std::string subject;          // events of one subject go in order
  std::string task_id;
  std::string url;
  std::string scheme;  // rfc9421 | Bearer | HMAC-SHA256
  // The legacy scheme's secret, sealed (webhooks/push_secrets.h); cleared
  // once the event is delivered or expired.
  std::string credentials;
  std::string payload;             // the JSON body, byte for byte as sent
  std::string status = "pending";  // pending | delivered | expired
  int attempts = 0;
  std::string last_error;
  int last_http_status = 0;
  absl::Time next_attempt_at;
  absl::Time created_at;
  std::optional<absl::Time> delivered_at;
};

// A secret at rest, for media-buy's start-up sweep (push_secrets.h): which
// row holds it, the URL it was given for, and whether it is still needed.
struct StoredSecret {
  std::string row;        // event_seq, task_id or kid
  std::string url;        // a push secret's; empty for a signing key
  std::string plaintext;  // a row written before 0020 (legacy)
  std::string sealed;
  bool needed = true;  // false: a delivered or expired event, a resolved task
};

namespace store_internal {
// Private to store/: a StoredSecret from the columns row, url, plaintext,
// sealed, needed.
StoredSecret StoredSecretOf(const pqxx::row& row);
}  // namespace store_internal

// Where the outbox announces new events (NOTIFY, payload the tenant id):
// the dispatchers LISTEN and visit that tenant at once.
inline constexpr char kOutboxChannel[] = "adcp_webhook_outbox";

class WebhookOutboxStore {
 public:
  static PgPool::Statements Statements();

  // In the transaction of the change the event reports; announced on
  // kOutboxChannel when that transaction commits.
  static void Enqueue(TenantTxn& txn, const OutboxEvent& event);
  // Leases up to `limit` events that are due, for `lease`, counting an
  // attempt on each: of each subject only its first pending event, and none
  // another transaction holds (FOR UPDATE SKIP LOCKED) or another
  // dispatcher leased. Oldest first.
  static std::vector<OutboxEvent> LeaseDue(TenantTxn& txn, int limit,
                                           absl::Duration lease);
  static void MarkDelivered(TenantTxn& txn, int64_t event_seq, int http_status);
  // Pending again after `delay`; `count_attempt` false gives back the
  // attempt the lease counted (a send that never started).
  static void Retry(TenantTxn& txn, int64_t event_seq, absl::Duration delay,
                    const std::string& error, int http_status,
                    bool count_attempt);
  // Given up (too old): later events of its subject go on.
  static void Expire(TenantTxn& txn, int64_t event_seq,
                     const std::string& error, int http_status);
  // Newest first, of `status` unless empty, before the cursor (0: none).
  // What a listing shows only: payload, credentials and scheme are left
  // empty (not read).
  static std::vector<OutboxEvent> List(TenantTxn& txn,
                                       const std::string& status, int limit,
                                       int64_t before_seq);
  // The events that hold a secret, locked; `row` is the event_seq.
  static std::vector<StoredSecret> Secrets(TenantTxn& txn);
  // Stores `sealed` as the event's secret (none when empty).
  static void SetSecret(TenantTxn& txn, const std::string& row,
                        const std::string& sealed);
};

struct SigningKeyRow {
  std::string kid;
  nlohmann::json public_jwk;
  std::string sealed_d;  // KeyVault-sealed private scalar
  absl::Time created_at;
};

class SigningKeyStore {
 public:
  static PgPool::Statements Statements();

  // The key that signs now, if the tenant has one.
  static std::optional<SigningKeyRow> Current(TenantTxn& txn);
  // False when the tenant got a current key meanwhile (one per tenant).
  static bool Insert(TenantTxn& txn, const SigningKeyRow& key);
  // Stops the current key signing; it stays published for `overlap`.
  static void RetireCurrent(TenantTxn& txn, absl::Duration overlap);
  // Public JWKs to publish: the current key and retired ones still within
  // their overlap.
  static std::vector<nlohmann::json> Published(TenantTxn& txn);
  // The keys another KEK than `kek` sealed, locked; `row` is the kid.
  static std::vector<StoredSecret> SealedByOtherKek(TenantTxn& txn,
                                                    const std::string& kek);
  static void SetSealed(TenantTxn& txn, const std::string& kid,
                        const std::string& sealed);
};

}  // namespace adcp::media_buy
