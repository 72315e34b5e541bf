#include "services/media-buy/store/account_store.h"

#include "services/media-buy/store/internal/columns.h"

namespace adcp::media_buy {

namespace {

using store_internal::FirstRowOf;
using store_internal::RowsOf;
#define ACCOUNT_COLUMNS                                                \
  "account_id, principal_id, brand_domain, brand_id, operator, name, " \
  "billing, status, sandbox"

AccountRow AccountOf(const pqxx::row& row) {
  return AccountRow{.account_id = row[0].as<std::string>(),
                    .principal_id = row[1].as<std::string>(),
                    .brand_domain = row[2].as<std::string>(),
                    .brand_id = row[3].as<std::string>(),
                    .operator_domain = row[4].as<std::string>(),
                    .name = row[5].as<std::string>(),
                    .billing = row[6].as<std::string>(),
                    .status = row[7].as<std::string>(),
                    .sandbox = row[8].as<bool>()};
}

}  // namespace

PgPool::Statements AccountStore::Statements() {
  return {
      {"mb_account_by_id", "SELECT " ACCOUNT_COLUMNS " FROM accounts "
                           "WHERE tenant_id = $1 AND account_id = $2"},
      {"mb_account_by_key",
       "SELECT " ACCOUNT_COLUMNS " FROM accounts WHERE tenant_id = $1 "
       "AND principal_id = $2 AND brand_domain = $3 AND brand_id = $4 "
       "AND operator = $5"},
      {"mb_account_insert",
       "INSERT INTO accounts (tenant_id, account_id, principal_id, "
       "brand_domain, brand_id, operator, name, billing, status, sandbox) "
       "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"},
      {"mb_account_update",
       "UPDATE accounts SET billing = $3, sandbox = $4, updated_at = now() "
       "WHERE tenant_id = $1 AND account_id = $2"},
      {"mb_account_set_status",
       "UPDATE accounts SET status = $3, updated_at = now() "
       "WHERE tenant_id = $1 AND account_id = $2"},
      {"mb_accounts", "SELECT " ACCOUNT_COLUMNS " FROM accounts "
                      "WHERE tenant_id = $1 AND ($3 OR principal_id = $2) "
                      "ORDER BY account_id"},
  };
}

std::optional<AccountRow> AccountStore::ById(TenantTxn& txn,
                                             const std::string& account_id) {
  return FirstRowOf(txn.Exec("mb_account_by_id", account_id), &AccountOf);
}

std::optional<AccountRow> AccountStore::ByKey(TenantTxn& txn,
                                              const AccountRow& key) {
  return FirstRowOf(
      txn.Exec("mb_account_by_key", key.principal_id, key.brand_domain,
               key.brand_id, key.operator_domain),
      &AccountOf);
}

void AccountStore::Insert(TenantTxn& txn, const AccountRow& account) {
  txn.Exec0("mb_account_insert", account.account_id, account.principal_id,
            account.brand_domain, account.brand_id, account.operator_domain,
            account.name, account.billing, account.status, account.sandbox);
}

void AccountStore::Update(TenantTxn& txn, const AccountRow& account) {
  txn.Exec0("mb_account_update", account.account_id, account.billing,
            account.sandbox);
}

void AccountStore::SetStatus(TenantTxn& txn, const std::string& account_id,
                             const std::string& status) {
  txn.Exec0("mb_account_set_status", account_id, status);
}

std::vector<AccountRow> AccountStore::List(TenantTxn& txn,
                                           const Reader& reader) {
  return RowsOf(txn.Exec("mb_accounts", reader.principal_id, reader.is_admin),
                &AccountOf);
}

}  // namespace adcp::media_buy
