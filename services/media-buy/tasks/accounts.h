// Accounts: sync_accounts and list_accounts, and the resolution of the
// account reference other tasks carry (create_media_buy, sync_creatives,
// update_media_buy, list_creatives).
#pragma once

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "adcp/media_buy/v1/media_buy.pb.h"
#include "libs/db/pg_pool.h"
#include "services/media-buy/cache/account_cache.h"
#include "services/media-buy/domain/records.h"
#include "services/media-buy/tasks/task_context.h"

namespace adcp::media_buy::tasks {

Task<v1::SyncAccountsRequest, v1::SyncAccountsResponse> SyncAccounts;
Task<v1::ListAccountsRequest, v1::ListAccountsResponse> ListAccounts;

// The caller's account `account_id`; ACCOUNT_NOT_FOUND when there is none
// or it is another principal's.
absl::StatusOr<AccountRow> OwnAccount(TenantTxn& txn, const Call& call,
                                      const std::string& account_id);

// An account reference valid for the caller (an account_id of its own,
// or a well-formed brand + operator), opening nothing. Returns the account
// an account_id names (read once), nullopt for a natural key.
absl::StatusOr<std::optional<AccountRow>> CheckAccountRef(
    TenantTxn& txn, const Call& call, const v1::AccountRef& ref);

// account_id of an account reference (a new natural key opens one); the
// account must be in good standing. `known`: the tenant's cached accounts,
// read before the transaction; an account not among them is read in the
// transaction.
absl::StatusOr<std::string> ResolveAccount(
    TenantTxn& txn, const Call& call, const v1::AccountRef& ref,
    const TenantAccounts* known = nullptr);

v1::Account AccountToProto(const AccountRow& row);

}  // namespace adcp::media_buy::tasks
