// Each tenant's accounts in memory, so that create_media_buy resolves the
// buyer's account without a database round trip in steady state
// (PerTenantCache: kept until the accounts' trigger announces a change of
// the tenant on adcp_account_changes). An account not found here may be
// newer than the tenant's entry: callers then read the database.
//
// What a cached status costs: a buy can be accepted for an account whose
// status another replica (or SQL) changed until the NOTIFY arrives
// (milliseconds), or, if the listener's connection dies silently, until its
// ping notices (about 5 s; nothing is cached from then on). Before the
// cache only a transaction concurrent with the change could miss it. The
// writing replica drops its own entry at once (force_account_status).
// Every account a tenant opens drops the tenant's entry, and the next buy
// reads all of the tenant's accounts again.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "services/media-buy/cache/per_tenant_cache.h"
#include "services/media-buy/domain/records.h"

namespace adcp::media_buy {

class TenantAccounts {
 public:
  explicit TenantAccounts(std::vector<AccountRow> rows);

  const AccountRow* ById(const std::string& account_id) const;
  // By natural key: principal_id, brand_domain, brand_id, operator_domain
  // (as stored: the domains in lower case).
  const AccountRow* ByKey(const AccountRow& key) const;

 private:
  static std::string NaturalKey(const AccountRow& account);

  std::vector<AccountRow> rows_;
  absl::flat_hash_map<std::string, size_t> by_id_;
  absl::flat_hash_map<std::string, size_t> by_key_;
};

class AccountCache : public PerTenantCache<TenantAccounts> {
 public:
  using RowLoader = std::function<absl::StatusOr<std::vector<AccountRow>>(
      const std::string&)>;

  AccountCache(std::string conninfo, RowLoader loader, size_t max_tenants);
};

}  // namespace adcp::media_buy
