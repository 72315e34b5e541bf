#include "services/auth/signature_nonce_repository.h"

#include "libs/base/status.h"

namespace adcp::auth {
namespace {

namespace pb = ::adcp::auth::v1;

constexpr char kExpire[] = "signature_nonce_expire";
constexpr char kLive[] = "signature_nonce_live";
constexpr char kInsert[] = "signature_nonce_insert";

}  // namespace

PgPool::Statements SignatureNonceRepository::Statements() {
  return {
      {kExpire,
       "DELETE FROM request_signature_nonces "
       "WHERE key_id = $1 AND expires_at <= now()"},
      // Counted up to the cap only: a key at a cap of millions is not
      // counted to the end.
      {kLive,
       "SELECT count(*) FROM (SELECT 1 FROM request_signature_nonces "
       "WHERE key_id = $1 AND expires_at > now() LIMIT $2) live"},
      {kInsert,
       "INSERT INTO request_signature_nonces (key_id, nonce, expires_at) "
       "VALUES ($1, $2, to_timestamp($3::bigint)) "
       "ON CONFLICT (key_id, nonce) DO NOTHING RETURNING 1"},
  };
}

RolePrivileges SignatureNonceRepository::Privileges() {
  return {
      .service = "auth",
      .tables = {{"request_signature_nonces", {"SELECT", "INSERT", "DELETE"}}}};
}

absl::StatusOr<SignatureNonceRepository::Outcome>
SignatureNonceRepository::Record(const std::string& key_id,
                                 const std::string& nonce, absl::Time expires,
                                 uint32_t cap) {
  Outcome outcome = pb::RecordSignatureNonceResponse::OUTCOME_UNSPECIFIED;
  RETURN_IF_ERROR(pool_.WithTransaction([&](PgTxn& txn) -> absl::Status {
    txn.Exec0(kExpire, key_id);
    if (txn.Exec1(kLive, key_id, static_cast<int64_t>(cap))[0].as<int64_t>() >=
        cap) {
      outcome = pb::RecordSignatureNonceResponse::AT_CAP;
      return absl::OkStatus();
    }
    outcome =
        txn.Exec(kInsert, key_id, nonce, absl::ToUnixSeconds(expires)).empty()
            ? pb::RecordSignatureNonceResponse::REPLAYED
            : pb::RecordSignatureNonceResponse::RECORDED;
    return absl::OkStatus();
  }));
  return outcome;
}

absl::StatusOr<SignatureNonceRepository::Outcome>
SignatureNonceRepository::CheckCap(const std::string& key_id, uint32_t cap) {
  bool at_cap = false;
  RETURN_IF_ERROR(pool_.WithTransaction([&](PgTxn& txn) -> absl::Status {
    at_cap =
        txn.Exec1(kLive, key_id, static_cast<int64_t>(cap))[0].as<int64_t>() >=
        cap;
    return absl::OkStatus();
  }));
  return at_cap ? pb::RecordSignatureNonceResponse::AT_CAP
                : pb::RecordSignatureNonceResponse::UNDER_CAP;
}

}  // namespace adcp::auth
