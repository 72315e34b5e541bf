// The buyers' accounts (table accounts).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "libs/db/pg_pool.h"
#include "services/media-buy/domain/records.h"

namespace adcp::media_buy {

class AccountStore {
 public:
  static PgPool::Statements Statements();

  static std::optional<AccountRow> ById(TenantTxn& txn,
                                        const std::string& account_id);
  // The account of the key's principal, brand (domain and id) and operator.
  static std::optional<AccountRow> ByKey(TenantTxn& txn, const AccountRow& key);
  static void Insert(TenantTxn& txn, const AccountRow& account);
  // Sets billing and sandbox.
  static void Update(TenantTxn& txn, const AccountRow& account);
  static void SetStatus(TenantTxn& txn, const std::string& account_id,
                        const std::string& status);
  // The reader's accounts (every account for an admin), by account_id.
  static std::vector<AccountRow> List(TenantTxn& txn, const Reader& reader);
};

}  // namespace adcp::media_buy
