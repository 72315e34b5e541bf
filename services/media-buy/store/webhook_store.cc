#include "services/media-buy/store/webhook_store.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "services/media-buy/store/internal/columns.h"

namespace adcp::media_buy {

namespace {

using store_internal::FirstRowOf;
using store_internal::RowsOf;
using store_internal::TimeOf;

#define OUTBOX_COLUMNS \
  "event_seq, idempotency_key, subject, task_id, url, scheme, "               \
  "COALESCE(sealed_credentials, ''), payload, status, attempts, "       \
  "COALESCE(last_error, ''), COALESCE(last_http_status, 0), " EPOCH_US(       \
      "next_attempt_at") ", " EPOCH_US("created_at") ", " EPOCH_US(           \
      "delivered_at")

// What a delivery listing shows: the same columns, but never the payload,
// the credentials or the scheme (read as '' rather than read at all).
#define OUTBOX_LIST_COLUMNS                                                 \
  "event_seq, idempotency_key, subject, task_id, url, '', '', '', status, " \
  "attempts, COALESCE(last_error, ''), COALESCE(last_http_status, "         \
  "0), " EPOCH_US("next_attempt_at") ", " EPOCH_US(                         \
      "created_at") ", " EPOCH_US("delivered_at")

OutboxEvent EventOf(const pqxx::row& row) {
  OutboxEvent event;
  event.event_seq = row[0].as<int64_t>();
  event.idempotency_key = row[1].as<std::string>();
  event.subject = row[2].as<std::string>();
  event.task_id = row[3].as<std::string>();
  event.url = row[4].as<std::string>();
  event.scheme = row[5].as<std::string>();
  event.credentials = row[6].as<std::string>();
  event.payload = row[7].as<std::string>();
  event.status = row[8].as<std::string>();
  event.attempts = row[9].as<int>();
  event.last_error = row[10].as<std::string>();
  event.last_http_status = row[11].as<int>();
  event.next_attempt_at = TimeOf(row[12]);
  event.created_at = TimeOf(row[13]);
  if (!row[14].is_null()) event.delivered_at = TimeOf(row[14]);
  return event;
}

SigningKeyRow KeyOf(const pqxx::row& row) {
  return SigningKeyRow{
      .kid = row[0].as<std::string>(),
      .public_jwk = nlohmann::json::parse(row[1].as<std::string>()),
      .sealed_d = row[2].as<std::string>(),
      .created_at = TimeOf(row[3])};
}

double Seconds(absl::Duration duration) {
  return absl::ToDoubleSeconds(duration);
}

}  // namespace

StoredSecret store_internal::StoredSecretOf(const pqxx::row& row) {
  return StoredSecret{.row = row[0].as<std::string>(),
                      .url = row[1].as<std::string>(),
                      .plaintext = row[2].as<std::string>(),
                      .sealed = row[3].as<std::string>(),
                      .needed = row[4].as<bool>()};
}

PgPool::Statements WebhookOutboxStore::Statements() {
  return {
      {"mb_outbox_insert",
       "INSERT INTO webhook_outbox (tenant_id, idempotency_key, subject, "
       "task_id, url, scheme, sealed_credentials, payload) VALUES ($1, $2, "
       "$3, $4, $5, $6, NULLIF($7, ''), $8)"},
      {"mb_outbox_notify",
       absl::StrCat("SELECT pg_notify('", kOutboxChannel, "', $1)")},
      // The due rows are chosen (and locked) once, in the CTE: as a
      // subquery of the UPDATE's WHERE, PostgreSQL may run a LIMIT ... FOR
      // UPDATE SKIP LOCKED more than once and lease more than $2 rows.
      {"mb_outbox_lease",
       "WITH due AS (SELECT d.event_seq AS due_seq FROM webhook_outbox d "
       "WHERE "
       "d.tenant_id = $1 AND d.status = 'pending' AND d.next_attempt_at <= "
       "now() AND (d.leased_until IS NULL OR d.leased_until <= now()) AND NOT "
       "EXISTS (SELECT 1 FROM webhook_outbox e WHERE e.tenant_id = $1 AND "
       "e.subject = d.subject AND e.status = 'pending' AND e.event_seq < "
       "d.event_seq) ORDER BY d.event_seq LIMIT $2 FOR UPDATE SKIP LOCKED) "
       "UPDATE webhook_outbox o SET leased_until = now() + make_interval(secs "
       "=> $3), attempts = o.attempts + 1 FROM due WHERE o.tenant_id = $1 AND "
       "o.event_seq = due.due_seq RETURNING " OUTBOX_COLUMNS},
      {"mb_outbox_delivered",
       "UPDATE webhook_outbox SET status = 'delivered', delivered_at = now(), "
       "leased_until = NULL, last_http_status = $3, last_error = NULL, "
       "credentials = NULL, sealed_credentials = NULL WHERE tenant_id = $1 "
       "AND event_seq = $2"},
      {"mb_outbox_retry",
       "UPDATE webhook_outbox SET leased_until = NULL, next_attempt_at = now() "
       "+ make_interval(secs => $3), last_error = NULLIF($4, ''), "
       "last_http_status = NULLIF($5, 0), attempts = attempts - CASE WHEN $6 "
       "THEN 0 ELSE 1 END WHERE tenant_id = $1 AND event_seq = $2"},
      {"mb_outbox_expire",
       "UPDATE webhook_outbox SET status = 'expired', leased_until = NULL, "
       "last_error = $3, last_http_status = NULLIF($4, 0), credentials = "
       "NULL, sealed_credentials = NULL WHERE tenant_id = $1 AND event_seq = "
       "$2"},
      {"mb_outbox_list",
       "SELECT " OUTBOX_LIST_COLUMNS
       " FROM webhook_outbox WHERE tenant_id = $1 "
       "AND ($2 = '' OR status = $2) AND ($4 = 0 OR event_seq < $4) ORDER BY "
       "event_seq DESC LIMIT $3"},
      {"mb_outbox_secrets",
       "SELECT event_seq::text, url, COALESCE(credentials, ''), "
       "COALESCE(sealed_credentials, ''), status = 'pending' FROM "
       "webhook_outbox WHERE tenant_id = $1 AND (credentials IS NOT NULL OR "
       "sealed_credentials IS NOT NULL) ORDER BY event_seq FOR UPDATE"},
      {"mb_outbox_set_secret",
       "UPDATE webhook_outbox SET credentials = NULL, sealed_credentials = "
       "NULLIF($3, '') WHERE tenant_id = $1 AND event_seq = $2::bigint"},
  };
}

void WebhookOutboxStore::Enqueue(TenantTxn& txn, const OutboxEvent& event) {
  txn.Exec0("mb_outbox_insert", event.idempotency_key, event.subject,
            event.task_id, event.url, event.scheme, event.credentials,
            event.payload);
  // Sent at commit (nothing for a rolled-back one), from this session, so
  // also when the tables are distributed (docs/scale-out.md).
  txn.Exec("mb_outbox_notify");
}

std::vector<OutboxEvent> WebhookOutboxStore::LeaseDue(TenantTxn& txn, int limit,
                                                      absl::Duration lease) {
  std::vector<OutboxEvent> events =
      RowsOf(txn.Exec("mb_outbox_lease", limit, Seconds(lease)), &EventOf);
  std::sort(events.begin(), events.end(),
            [](const OutboxEvent& a, const OutboxEvent& b) {
              return a.event_seq < b.event_seq;
            });
  return events;
}

void WebhookOutboxStore::MarkDelivered(TenantTxn& txn, int64_t event_seq,
                                       int http_status) {
  txn.Exec0("mb_outbox_delivered", event_seq, http_status);
}

void WebhookOutboxStore::Retry(TenantTxn& txn, int64_t event_seq,
                               absl::Duration delay, const std::string& error,
                               int http_status, bool count_attempt) {
  txn.Exec0("mb_outbox_retry", event_seq, Seconds(delay), error, http_status,
            count_attempt);
}

void WebhookOutboxStore::Expire(TenantTxn& txn, int64_t event_seq,
                                const std::string& error, int http_status) {
  txn.Exec0("mb_outbox_expire", event_seq, error, http_status);
}

std::vector<OutboxEvent> WebhookOutboxStore::List(TenantTxn& txn,
                                                  const std::string& status,
                                                  int limit,
                                                  int64_t before_seq) {
  return RowsOf(txn.Exec("mb_outbox_list", status, limit, before_seq),
                &EventOf);
}

std::vector<StoredSecret> WebhookOutboxStore::Secrets(TenantTxn& txn) {
  return RowsOf(txn.Exec("mb_outbox_secrets"), &store_internal::StoredSecretOf);
}

void WebhookOutboxStore::SetSecret(TenantTxn& txn, const std::string& row,
                                   const std::string& sealed) {
  txn.Exec0("mb_outbox_set_secret", row, sealed);
}

#define KEY_COLUMNS "kid, public_jwk::text, sealed_d, " EPOCH_US("created_at")

PgPool::Statements SigningKeyStore::Statements() {
  return {
      {"mb_signing_key_current",
       "SELECT " KEY_COLUMNS " FROM webhook_signing_keys WHERE tenant_id = $1 "
       "AND retired_at IS NULL"},
      {"mb_signing_key_insert",
       "INSERT INTO webhook_signing_keys (tenant_id, kid, public_jwk, "
       "sealed_d) VALUES ($1, $2, $3::jsonb, $4) ON CONFLICT DO NOTHING"},
      {"mb_signing_key_retire",
       "UPDATE webhook_signing_keys SET retired_at = now(), published_until = "
       "now() + make_interval(secs => $2) WHERE tenant_id = $1 AND retired_at "
       "IS NULL"},
      {"mb_signing_keys_published",
       "SELECT public_jwk::text FROM webhook_signing_keys WHERE tenant_id = $1 "
       "AND (retired_at IS NULL OR published_until > now()) ORDER BY "
       "created_at DESC"},
      {"mb_signing_keys_other_kek",
       "SELECT kid, '', '', sealed_d, true FROM webhook_signing_keys WHERE "
       "tenant_id = $1 AND split_part(sealed_d, '.', 2) <> $2 ORDER BY kid "
       "FOR UPDATE"},
      {"mb_signing_key_set_sealed",
       "UPDATE webhook_signing_keys SET sealed_d = $3 WHERE tenant_id = $1 "
       "AND kid = $2"},
  };
}

std::optional<SigningKeyRow> SigningKeyStore::Current(TenantTxn& txn) {
  return FirstRowOf(txn.Exec("mb_signing_key_current"), &KeyOf);
}

bool SigningKeyStore::Insert(TenantTxn& txn, const SigningKeyRow& key) {
  return txn.Exec("mb_signing_key_insert", key.kid, key.public_jwk.dump(),
                  key.sealed_d)
             .affected_rows() > 0;
}

void SigningKeyStore::RetireCurrent(TenantTxn& txn, absl::Duration overlap) {
  txn.Exec0("mb_signing_key_retire", Seconds(overlap));
}

std::vector<nlohmann::json> SigningKeyStore::Published(TenantTxn& txn) {
  std::vector<nlohmann::json> keys;
  for (const auto& row : txn.Exec("mb_signing_keys_published"))
    keys.push_back(nlohmann::json::parse(row[0].as<std::string>()));
  return keys;
}

std::vector<StoredSecret> SigningKeyStore::SealedByOtherKek(
    TenantTxn& txn, const std::string& kek) {
  return RowsOf(txn.Exec("mb_signing_keys_other_kek", kek),
                &store_internal::StoredSecretOf);
}

void SigningKeyStore::SetSealed(TenantTxn& txn, const std::string& kid,
                                const std::string& sealed) {
  txn.Exec0("mb_signing_key_set_sealed", kid, sealed);
}

}  // namespace adcp::media_buy
