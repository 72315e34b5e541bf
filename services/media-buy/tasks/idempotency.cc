#include "services/media-buy/tasks/idempotency.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "services/media-buy/domain/adcp_error.h"
#include "services/media-buy/domain/ids_and_hashes.h"
#include "services/media-buy/store/idempotency_store.h"

namespace adcp::media_buy::tasks {

absl::StatusOr<bool> ClaimKey(TenantTxn& txn, const Call& call,
                              const std::string& key, const char* operation,
                              const google::protobuf::Message& request,
                              absl::Duration ttl,
                              google::protobuf::Message* response) {
  const std::string hash = RequestHash(request);
  std::optional<IdempotencyRecord> existing;
  try {
    existing = IdempotencyStore::Claim(txn, call.ctx.principal_id, key,
                                       operation, hash, ttl);
  } catch (const pqxx::sql_error& e) {
    // A retry waits on the original's row lock; past the pool's lock timeout
    // the original is still running.
    if (e.sqlstate() != "55P03") throw;
    return AdcpError("CONFLICT", "idempotency_key",
                     "idempotency_key: the original request is still running",
                     "retry shortly with the same key");
  }
  if (!existing) return false;
  if (existing->expired) {
    return AdcpError(
        "IDEMPOTENCY_EXPIRED", "idempotency_key",
        absl::StrCat("idempotency_key: this key was used more than ",
                     absl::ToInt64Hours(ttl),
                     " hours ago and cannot be replayed"),
        "send the request with a new idempotency_key");
  }
  if (existing->request_hash != absl::StrCat(hash, ":", operation)) {
    return BareAdcpError(
        "IDEMPOTENCY_CONFLICT",
        "idempotency_key: already used for a different request; a retry must "
        "repeat the original payload exactly, a new request needs a new key");
  }
  if (!response->ParseFromString(existing->response))
    return absl::InternalError("stored idempotent answer does not parse");
  return true;
}

void StoreAnswer(TenantTxn& txn, const Call& call, const std::string& key,
                 const google::protobuf::Message& response,
                 const AuditEntry* audit) {
  std::unique_ptr<google::protobuf::Message> copy(response.New());
  copy->CopyFrom(response);
  if (const auto* field = copy->GetDescriptor()->FindFieldByName("context"))
    copy->GetReflection()->ClearField(copy.get(), field);
  IdempotencyStore::StoreResponse(txn, call.ctx.principal_id, key,
                                  copy->SerializeAsString(), audit);
}

}  // namespace adcp::media_buy::tasks
