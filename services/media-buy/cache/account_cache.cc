#include "services/media-buy/cache/account_cache.h"

namespace adcp::media_buy {

TenantAccounts::TenantAccounts(std::vector<AccountRow> rows)
    : rows_(std::move(rows)) {
  for (size_t i = 0; i < rows_.size(); ++i) {
    by_id_.emplace(rows_[i].account_id, i);
    by_key_.emplace(NaturalKey(rows_[i]), i);
  }
}

std::string TenantAccounts::NaturalKey(const AccountRow& account) {
  // NUL cannot occur in PostgreSQL text: the parts cannot run together.
  std::string key = account.principal_id;
  for (const std::string* part :
       {&account.brand_domain, &account.brand_id, &account.operator_domain}) {
    key.push_back('\0');
    key += *part;
  }
  return key;
}

const AccountRow* TenantAccounts::ById(const std::string& account_id) const {
  auto it = by_id_.find(account_id);
  return it == by_id_.end() ? nullptr : &rows_[it->second];
}

const AccountRow* TenantAccounts::ByKey(const AccountRow& key) const {
  auto it = by_key_.find(NaturalKey(key));
  return it == by_key_.end() ? nullptr : &rows_[it->second];
}

AccountCache::AccountCache(std::string conninfo, RowLoader loader,
                           size_t max_tenants)
    : PerTenantCache(std::move(conninfo), "adcp_account_changes",
                     Making(std::move(loader),
                            [](std::vector<AccountRow> rows) -> Value {
                              return std::make_shared<const TenantAccounts>(
                                  std::move(rows));
                            }),
                     max_tenants) {}

}  // namespace adcp::media_buy
