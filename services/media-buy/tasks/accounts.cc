#include "services/media-buy/tasks/accounts.h"

#include <set>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/base/status.h"
#include "services/media-buy/domain/adcp_error.h"
#include "services/media-buy/domain/ids_and_hashes.h"
#include "services/media-buy/domain/paging.h"
#include "services/media-buy/domain/validation.h"
#include "services/media-buy/store/account_store.h"
#include "services/media-buy/store/audit_store.h"
#include "services/media-buy/tasks/idempotency.h"

namespace adcp::media_buy::tasks {

namespace pb = ::adcp::media_buy::v1;

namespace {

// An account that may buy: active. Otherwise the AdCP error of its state.
absl::Status AccountInGoodStanding(const AccountRow& account) {
  if (account.status == "active") return absl::OkStatus();
  if (account.status == "payment_required")
    return AdcpError("ACCOUNT_PAYMENT_REQUIRED", "account",
                     "account: payment is required before it can buy",
                     "settle the account's balance with the publisher");
  if (account.status == "pending_approval")
    return AdcpError("ACCOUNT_SETUP_REQUIRED", "account",
                     "account: awaiting the publisher's approval",
                     "retry once the publisher has approved the account");
  return AdcpError("ACCOUNT_SUSPENDED", "account",
                   absl::StrCat("account: the account is ", account.status),
                   "contact the publisher");
}

// The account a natural key names, from memory, else from the database
// (an account newer than the memory); a key not seen before opens the
// account (as sync_accounts would).
absl::StatusOr<std::string> AccountOfKey(TenantTxn& txn, const Call& call,
                                         const pb::AccountRef& ref,
                                         const TenantAccounts* known) {
  AccountRow key{.principal_id = call.ctx.principal_id,
                 .brand_domain = absl::AsciiStrToLower(ref.brand().domain()),
                 .brand_id = ref.brand().brand_id(),
                 .operator_domain = absl::AsciiStrToLower(ref.operator_())};
  std::optional<AccountRow> stored;
  const AccountRow* account = known ? known->ByKey(key) : nullptr;
  if (account == nullptr && (stored = AccountStore::ByKey(txn, key)))
    account = &*stored;
  if (account != nullptr) {
    RETURN_IF_ERROR(AccountInGoodStanding(*account));
    return account->account_id;
  }
  key.account_id = NewId("acct_");
  key.name = absl::StrCat(key.brand_domain, " via ", key.operator_domain);
  key.billing = "operator";
  key.status = "active";
  key.sandbox = ref.sandbox();
  AccountStore::Insert(txn, key);
  return key.account_id;
}

// The accounts a sync_accounts request asks for, checked.
absl::StatusOr<std::vector<AccountRow>> WantedAccounts(
    const Call& call, const pb::SyncAccountsRequest& request) {
  std::vector<AccountRow> wanted;
  for (int i = 0; i < request.accounts_size(); ++i) {
    const pb::AccountRequest& in = request.accounts(i);
    const std::string field = absl::StrCat("accounts[", i, "]");
    RETURN_IF_ERROR(
        ValidateDomain(field + ".brand.domain", in.brand().domain()));
    RETURN_IF_ERROR(ValidateDomain(field + ".operator", in.operator_()));
    if (in.brand().brand_id().size() > 255)
      return InvalidField(field + ".brand.brand_id",
                          "must be at most 255 characters");
    const std::string& billing = in.billing();
    if (billing.empty()) return InvalidField(field + ".billing", "is required");
    if (billing != "operator" && billing != "agent" && billing != "advertiser")
      return InvalidField(field + ".billing",
                          "must be one of operator, agent, advertiser");
    AccountRow row{.principal_id = call.ctx.principal_id,
                   .brand_domain = absl::AsciiStrToLower(in.brand().domain()),
                   .brand_id = in.brand().brand_id(),
                   .operator_domain = absl::AsciiStrToLower(in.operator_()),
                   .billing = billing,
                   .status = "active",
                   .sandbox = in.sandbox()};
    row.name = absl::StrCat(row.brand_domain, " via ", row.operator_domain);
    for (const AccountRow& other : wanted) {
      if (other.brand_domain == row.brand_domain &&
          other.brand_id == row.brand_id &&
          other.operator_domain == row.operator_domain)
        return InvalidField(
            field, "repeats an earlier account (same brand and operator)");
    }
    wanted.push_back(std::move(row));
  }
  return wanted;
}

// Creates or updates one wanted account; returns what was done.
std::string SyncAccount(TenantTxn& txn, AccountRow& row) {
  auto existing = AccountStore::ByKey(txn, row);
  if (!existing) {
    row.account_id = NewId("acct_");
    AccountStore::Insert(txn, row);
    return "created";
  }
  const bool same =
      existing->billing == row.billing && existing->sandbox == row.sandbox;
  row.account_id = existing->account_id;
  row.name = existing->name;
  row.status = existing->status;
  if (!same) AccountStore::Update(txn, row);
  return same ? "unchanged" : "updated";
}

void AnswerSynced(const AccountRow& row, const std::string& action,
                  pb::SyncAccountResult* result) {
  result->set_account_id(row.account_id);
  result->mutable_brand()->set_domain(row.brand_domain);
  if (!row.brand_id.empty())
    result->mutable_brand()->set_brand_id(row.brand_id);
  result->set_operator_(row.operator_domain);
  result->set_name(row.name);
  result->set_action(action);
  result->set_status(row.status);
  result->set_billing(row.billing);
  if (row.sandbox) result->set_sandbox(true);
}

}  // namespace

absl::StatusOr<AccountRow> OwnAccount(TenantTxn& txn, const Call& call,
                                      const std::string& account_id) {
  auto account = AccountStore::ById(txn, account_id);
  if (!account || account->principal_id != call.ctx.principal_id) {
    return AdcpError("ACCOUNT_NOT_FOUND", "account.account_id",
                     "account.account_id: no such account",
                     "list your accounts with list_accounts");
  }
  return *std::move(account);
}

absl::StatusOr<std::optional<AccountRow>> CheckAccountRef(
    TenantTxn& txn, const Call& call, const pb::AccountRef& ref) {
  if (!ref.account_id().empty()) {
    ASSIGN_OR_RETURN(AccountRow account,
                     OwnAccount(txn, call, ref.account_id()));
    return std::optional<AccountRow>(std::move(account));
  }
  if (ref.brand().domain().empty())
    return InvalidField("account", "needs account_id, or brand and operator");
  if (ref.operator_().empty())
    return InvalidField("account.operator", "is required with account.brand");
  RETURN_IF_ERROR(ValidateDomain("account.brand.domain", ref.brand().domain()));
  RETURN_IF_ERROR(ValidateDomain("account.operator", ref.operator_()));
  if (ref.brand().brand_id().size() > 255)
    return InvalidField("account.brand.brand_id",
                        "must be at most 255 characters");
  return std::nullopt;
}

absl::StatusOr<std::string> ResolveAccount(TenantTxn& txn, const Call& call,
                                           const pb::AccountRef& ref,
                                           const TenantAccounts* known) {
  if (known != nullptr && !ref.account_id().empty()) {
    if (const AccountRow* account = known->ById(ref.account_id());
        account != nullptr && account->principal_id == call.ctx.principal_id) {
      RETURN_IF_ERROR(AccountInGoodStanding(*account));
      return account->account_id;
    }
  }
  ASSIGN_OR_RETURN(const std::optional<AccountRow> named,
                   CheckAccountRef(txn, call, ref));
  if (!named) return AccountOfKey(txn, call, ref, known);
  // New buys and creatives need an account in good standing; updates of
  // existing buys do not (pausing and canceling must stay possible).
  RETURN_IF_ERROR(AccountInGoodStanding(*named));
  return named->account_id;
}

pb::Account AccountToProto(const AccountRow& row) {
  pb::Account out;
  out.set_account_id(row.account_id);
  out.set_name(row.name);
  out.set_status(row.status);
  out.mutable_brand()->set_domain(row.brand_domain);
  if (!row.brand_id.empty()) out.mutable_brand()->set_brand_id(row.brand_id);
  out.set_operator_(row.operator_domain);
  out.set_billing(row.billing);
  if (row.sandbox) out.set_sandbox(true);
  return out;
}

absl::Status SyncAccounts(const TaskContext& context, const Call& call_in,
                          const pb::SyncAccountsRequest& request,
                          pb::SyncAccountsResponse* response) {
  const Call call = call_in.DryRunIf(request.dry_run());
  RETURN_IF_ERROR(CheckMajorVersion(request));
  RETURN_IF_ERROR(ValidateIdempotencyKey(request.idempotency_key()));
  if (request.accounts_size() == 0)
    return InvalidField("accounts", "must contain at least one account");
  if (request.accounts_size() > 100)
    return InvalidField("accounts", "must contain at most 100 accounts");
  ASSIGN_OR_RETURN(std::vector<AccountRow> wanted,
                   WantedAccounts(call, request));
  response->set_dry_run(call.dry_run);
  return Idempotently(
      context, call, "sync_accounts", request, response,
      [&](TenantTxn& txn) -> absl::Status {
        nlohmann::json actions = nlohmann::json::array();
        for (AccountRow& row : wanted) {
          const std::string action = SyncAccount(txn, row);
          AnswerSynced(row, action, response->add_accounts());
          actions.push_back(
              {{"account_id", row.account_id}, {"action", action}});
        }
        AuditStore::Insert(txn, "sync_accounts", call.ctx.principal_id, "",
                           {{"accounts", actions}, {"dry_run", call.dry_run}});
        return absl::OkStatus();
      });
}

absl::Status ListAccounts(const TaskContext& context, const Call& call,
                          const pb::ListAccountsRequest& request,
                          pb::ListAccountsResponse* response) {
  RETURN_IF_ERROR(CheckMajorVersion(request));
  ASSIGN_OR_RETURN(const int limit, PageSize(request.pagination()));
  ASSIGN_OR_RETURN(const size_t offset, PageOffset(request.pagination()));
  static const std::set<std::string> kStatuses = {
      "active",           "pending_approval", "rejected",
      "payment_required", "suspended",        "closed"};
  if (!request.status().empty() && !kStatuses.count(request.status()))
    return InvalidField("status", absl::StrCat("must be one of ",
                                               absl::StrJoin(kStatuses, ", ")));
  return context.pool.WithTenantTransaction(
      call.ctx.tenant_id, [&](TenantTxn& txn) {
        std::vector<AccountRow> rows = AccountStore::List(txn, call.buyer());
        std::vector<const AccountRow*> matching;
        for (const AccountRow& row : rows)
          if (request.status().empty() || row.status == request.status())
            matching.push_back(&row);
        size_t i = offset;
        for (; i < matching.size() && i < offset + static_cast<size_t>(limit);
             ++i)
          *response->add_accounts() = AccountToProto(*matching[i]);
        response->mutable_pagination()->set_has_more(i < matching.size());
        if (i < matching.size())
          response->mutable_pagination()->set_cursor(absl::StrCat(i));
        *response->mutable_context() = request.context();
        return absl::OkStatus();
      });
}

}  // namespace adcp::media_buy::tasks
