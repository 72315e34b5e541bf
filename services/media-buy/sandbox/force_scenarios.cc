// The controller's forced state changes: creatives, accounts and media buys
// along their state machines (media buys along domain/buy_status's), and the
// caller's next create_media_buy armed to answer submitted.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "services/media-buy/domain/buy_status.h"
#include "services/media-buy/domain/validation.h"
#include "services/media-buy/domain/wire_values.h"
#include "services/media-buy/sandbox/comply_scenarios.h"
#include "services/media-buy/store/account_store.h"
#include "services/media-buy/store/buy_store.h"
#include "services/media-buy/store/creative_store.h"
#include "services/media-buy/store/directive_store.h"
#include "services/media-buy/store/human_task_store.h"

namespace adcp::media_buy::comply {
namespace {

// The target status, checked against the machine's states; then whether the
// move from `current` is allowed.
Outcome CheckMove(const std::map<std::string, std::set<std::string>>& moves,
                  const std::string& current, const std::string& target,
                  std::string_view what) {
  if (target == current) return std::nullopt;
  auto from = moves.find(current);
  if (from == moves.end() || !from->second.count(target)) {
    return Refuse("INVALID_TRANSITION",
                  absl::StrCat("a ", std::string(what), " cannot move from ",
                               current, " to ", target),
                  current);
  }
  return std::nullopt;
}

}  // namespace

const std::set<std::string>& BuyStates() {
  static const auto* states =
      new std::set<std::string>(KeysOf(MediaBuyMoves()));
  return *states;
}

// Same-state requests succeed unchanged everywhere; these are the moves.
const std::map<std::string, std::set<std::string>>& CreativeMoves() {
  static const auto* moves = new std::map<std::string, std::set<std::string>>{
      {"processing", {"pending_review", "approved", "rejected"}},
      {"pending_review", {"approved", "rejected"}},
      {"approved", {"archived", "rejected"}},
      {"rejected", {"processing", "pending_review"}},
      {"archived", {"approved"}},
  };
  return *moves;
}

const std::map<std::string, std::set<std::string>>& AccountMoves() {
  static const auto* moves = new std::map<std::string, std::set<std::string>>{
      {"pending_approval", {"active", "rejected"}},
      {"active", {"suspended", "payment_required", "closed"}},
      {"suspended", {"active", "closed"}},
      {"payment_required", {"active", "suspended", "closed"}},
      {"rejected", {"pending_approval"}},
      {"closed", {}},
  };
  return *moves;
}

std::set<std::string> KeysOf(
    const std::map<std::string, std::set<std::string>>& moves) {
  std::set<std::string> keys;
  for (const auto& [key, unused] : moves) keys.insert(key);
  return keys;
}

void Controller::Moved(const std::string& previous,
                       const std::string& current) {
  response_->set_previous_state(previous);
  response_->set_current_state(current);
}

// The status param, one of `states`.
std::variant<std::string, Refusal> Controller::TargetStatus(
    const std::set<std::string>& states) {
  auto status = StringParam(params_, "status");
  if (!status) return *MissingParam("status");
  if (!states.count(*status))
    return *Refuse(
        "INVALID_PARAMS",
        absl::StrCat("params.status must be one of ", JoinedNames(states)));
  return *status;
}

Outcome Controller::ForceCreative() {
  auto creative_id = StringParam(params_, "creative_id");
  if (!creative_id) return MissingParam("creative_id");
  auto status = TargetStatus(KeysOf(CreativeMoves()));
  if (auto* refusal = std::get_if<Refusal>(&status)) return *refusal;
  const std::string& target = std::get<std::string>(status);
  auto creative = CreativeStore::Find(txn_, call_.principal_id, *creative_id);
  if (!creative)
    return Refuse("NOT_FOUND",
                  absl::StrCat("no creative '", *creative_id, "'"));
  if (auto refusal =
          CheckMove(CreativeMoves(), creative->status, target, "creative"))
    return refusal;
  const std::string previous = creative->status;
  creative->status = target;
  if (target == "rejected") {
    creative->rejection_reason =
        StringParam(params_, "rejection_reason")
            .value_or("rejected by the compliance test controller");
  } else {
    creative->rejection_reason.clear();
  }
  CreativeStore::Upsert(txn_, *creative);
  Moved(previous, target);
  return std::nullopt;
}

Outcome Controller::ForceAccount() {
  auto account_id = StringParam(params_, "account_id");
  if (!account_id) return MissingParam("account_id");
  auto status = TargetStatus(KeysOf(AccountMoves()));
  if (auto* refusal = std::get_if<Refusal>(&status)) return *refusal;
  const std::string& target = std::get<std::string>(status);
  auto account = AccountStore::ById(txn_, *account_id);
  if (!account || account->principal_id != call_.principal_id)
    return Refuse("NOT_FOUND", absl::StrCat("no account '", *account_id, "'"));
  if (auto refusal =
          CheckMove(AccountMoves(), account->status, target, "account"))
    return refusal;
  AccountStore::SetStatus(txn_, *account_id, target);
  Moved(account->status, target);
  return std::nullopt;
}

// The caller's buy `media_buy_id`, locked.
std::variant<BuyRow, Refusal> Controller::OwnBuy(
    const std::string& media_buy_id) {
  auto buy =
      BuyStore::Find(txn_, media_buy_id, {call_.principal_id, false}, true);
  if (!buy)
    return *Refuse("NOT_FOUND",
                   absl::StrCat("no media buy '", media_buy_id, "'"));
  return *std::move(buy);
}

std::string Controller::CurrentStatus(const BuyRow& buy) {
  const auto assignments =
      CreativeStore::AssignmentsOfBuy(txn_, buy.media_buy_id);
  const bool live = std::any_of(
      assignments.begin(), assignments.end(),
      [](const AssignmentRow& a) { return a.creative_status == "approved"; });
  return AdcpStatus(buy, live, call_.now);
}

Outcome Controller::ForceMediaBuy() {
  auto media_buy_id = StringParam(params_, "media_buy_id");
  if (!media_buy_id) return MissingParam("media_buy_id");
  auto status = TargetStatus(BuyStates());
  if (auto* refusal = std::get_if<Refusal>(&status)) return *refusal;
  const std::string& target = std::get<std::string>(status);
  auto buy = OwnBuy(*media_buy_id);
  if (auto* refusal = std::get_if<Refusal>(&buy)) return *refusal;
  const std::string current = CurrentStatus(std::get<BuyRow>(buy));
  if (current != target && !IsMediaBuyMove(current, target))
    return Refuse("INVALID_TRANSITION",
                  absl::StrCat("a media buy cannot move from ", current, " to ",
                               target, " (AdCP's lifecycle)"),
                  current);
  if (target == "canceled" || target == "rejected") {
    // Final for real: nobody approves or resumes it afterwards.
    BuyRow row = std::get<BuyRow>(buy);
    row.status = target;
    BuyStore::Update(txn_, row);
    HumanTaskStore::FailOpenOfBuy(
        txn_, *media_buy_id,
        absl::StrCat("the compliance test controller set it ", target));
  }
  BuyStore::ForceStatus(
      txn_, *media_buy_id, target,
      target == "rejected"
          ? StringParam(params_, "rejection_reason")
                .value_or("rejected by the compliance test controller")
          : "");
  Moved(current, target);
  return std::nullopt;
}

Outcome Controller::ForceArm() {
  auto arm = StringParam(params_, "arm");
  if (!arm) return MissingParam("arm");
  if (*arm != "submitted")
    return Refuse("INVALID_PARAMS",
                  "params.arm must be submitted (the only asynchronous arm "
                  "this seller has)");
  auto task_id = StringParam(params_, "task_id");
  if (!task_id) return MissingParam("task_id");
  if (!ValidateId("params.task_id", *task_id).ok() || task_id->size() > 80)
    return Refuse("INVALID_PARAMS",
                  "params.task_id must be 1-80 printable characters");
  // Another principal's task keeps its id.
  if (auto task = HumanTaskStore::Find(txn_, *task_id, {"", true}, false);
      task && task->principal_id != call_.principal_id)
    return Refuse("INVALID_PARAMS", "params.task_id is already in use");
  const Directive directive{
      .arm = *arm,
      .task_id = *task_id,
      .message = StringParam(params_, "message").value_or("")};
  DirectiveStore::Put(txn_, call_.principal_id, directive);
  *response_->mutable_forced() =
      JsonToStruct({{"arm", directive.arm}, {"task_id", directive.task_id}});
  response_->set_message(
      "the next create_media_buy of this principal answers submitted");
  return std::nullopt;
}

}  // namespace adcp::media_buy::comply
