#include "services/media-buy/tasks/refine.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/base/status.h"
#include "libs/tenancy/tenant_config.h"
#include "services/media-buy/domain/adcp_error.h"

namespace adcp::media_buy::tasks {

namespace {

// A request-scope ask: keeps the delivery types and channels it names.
absl::StatusOr<nlohmann::json> RefineRequest(
    const std::string& field, const std::string& ask,
    std::vector<const ProductRow*>& selected) {
  if (ask.empty()) return InvalidField(field + ".ask", "is required");
  const std::string lower = absl::AsciiStrToLower(ask);
  std::vector<std::string> done;
  auto keep = [&](auto predicate) {
    std::vector<const ProductRow*> kept;
    for (const ProductRow* row : selected)
      if (predicate(*row)) kept.push_back(row);
    selected.swap(kept);
  };
  const bool non_guaranteed = absl::StrContains(lower, "non-guaranteed") ||
                              absl::StrContains(lower, "non_guaranteed");
  if (non_guaranteed) {
    keep([](const ProductRow& r) {
      return r.delivery_type == "non_guaranteed";
    });
    done.push_back("kept non-guaranteed products only");
  } else if (absl::StrContains(lower, "guaranteed")) {
    keep([](const ProductRow& r) { return r.delivery_type == "guaranteed"; });
    done.push_back("kept guaranteed products only");
  }
  for (const auto& [word, channel] :
       std::vector<std::pair<std::string, std::string>>{
           {"video", "olv"},
           {"display", "display"},
           {"audio", "streaming_audio"}}) {
    if (absl::StrContains(lower, "only " + word) ||
        absl::StrContains(lower, word + " only")) {
      keep([&](const ProductRow& r) {
        return std::find(r.channels.begin(), r.channels.end(), channel) !=
               r.channels.end();
      });
      done.push_back("kept " + word + " products only");
    }
  }
  nlohmann::json result = {{"scope", "request"}};
  if (done.empty()) {
    result["status"] = "unable";
    result["notes"] =
        "this seller applies delivery-type and channel restrictions; the "
        "rest of the ask was not understood";
  } else {
    result["status"] = "partial";
    result["notes"] = absl::StrCat(
        absl::StrJoin(done, "; "),
        "; other parts of the ask (SLAs, placements) are not offered");
  }
  return result;
}

// Adds to `selected` the products of `all` that share a channel with
// `like`.
void AddSameChannel(const ProductRow* like,
                    const std::vector<const ProductRow*>& all,
                    std::vector<const ProductRow*>& selected) {
  for (const ProductRow* row : all) {
    const bool same_channel = std::any_of(
        row->channels.begin(), row->channels.end(), [&](const std::string& c) {
          return std::find(like->channels.begin(), like->channels.end(), c) !=
                 like->channels.end();
        });
    if (same_channel &&
        std::find(selected.begin(), selected.end(), row) == selected.end())
      selected.push_back(row);
  }
}

// A product-scope ask: include, omit or more_like_this.
absl::StatusOr<nlohmann::json> RefineProduct(
    const std::string& field, const nlohmann::json& entry,
    const std::string& ask, const std::vector<const ProductRow*>& all,
    std::vector<const ProductRow*>& selected) {
  if (!entry.contains("product_id") || !entry["product_id"].is_string())
    return InvalidField(field + ".product_id", "is required");
  const std::string product_id = entry["product_id"];
  const std::string action = entry.value("action", "include");
  if (action != "include" && action != "omit" && action != "more_like_this")
    return InvalidField(field + ".action",
                        "must be one of include, omit, more_like_this");
  auto find = [&](const std::vector<const ProductRow*>& rows) {
    return std::find_if(rows.begin(), rows.end(), [&](const ProductRow* r) {
      return r->product_id == product_id;
    });
  };
  nlohmann::json result = {{"scope", "product"}, {"product_id", product_id}};
  auto known = find(all);
  if (known == all.end()) {
    result["status"] = "unable";
    result["notes"] = "no such product in this seller's catalogue";
  } else if (action == "omit") {
    if (auto at = find(selected); at != selected.end()) selected.erase(at);
    result["status"] = "applied";
  } else {
    if (find(selected) == selected.end()) selected.push_back(*known);
    if (action == "more_like_this") {
      AddSameChannel(*known, all, selected);
      result["status"] = "applied";
    } else if (ask.empty()) {
      result["status"] = "applied";
    } else {
      result["status"] = "partial";
      result["notes"] =
          "the product is included at its rate card; budgets are set per "
          "package in create_media_buy";
    }
  }
  return result;
}

}  // namespace

absl::Status Refine(
    const google::protobuf::RepeatedPtrField<google::protobuf::Struct>& refine,
    std::vector<const ProductRow*>& selected,
    std::vector<nlohmann::json>& applied) {
  const std::vector<const ProductRow*> all = selected;
  for (int i = 0; i < refine.size(); ++i) {
    const std::string field = absl::StrCat("refine[", i, "]");
    const nlohmann::json entry = StructToJson(refine[i]);
    const std::string scope = entry.value("scope", "");
    const std::string ask =
        entry.contains("ask") && entry["ask"].is_string() ? entry["ask"] : "";
    if (scope == "request") {
      ASSIGN_OR_RETURN(nlohmann::json result,
                       RefineRequest(field, ask, selected));
      applied.push_back(std::move(result));
    } else if (scope == "product") {
      ASSIGN_OR_RETURN(nlohmann::json result,
                       RefineProduct(field, entry, ask, all, selected));
      applied.push_back(std::move(result));
    } else if (scope == "proposal") {
      applied.push_back({{"scope", "proposal"},
                         {"proposal_id", entry.value("proposal_id", "")},
                         {"status", "unable"},
                         {"notes", "this seller does not make proposals"}});
    } else {
      return InvalidField(field + ".scope",
                          "must be one of request, product, proposal");
    }
  }
  return absl::OkStatus();
}

}  // namespace adcp::media_buy::tasks
