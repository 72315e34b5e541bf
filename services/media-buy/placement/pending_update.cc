#include "services/media-buy/placement/pending_update.h"

#include <set>

#include "services/media-buy/placement/adapter_buy.h"

namespace adcp::media_buy {

const nlohmann::json* PendingUpdate(const BuyRow& buy) {
  auto it = buy.adapter_state.find("pending_update");
  return it == buy.adapter_state.end() || !it->is_object() ? nullptr : &*it;
}

std::string PendingUpdateKey(const BuyRow& buy) {
  const nlohmann::json* pending = PendingUpdate(buy);
  return pending == nullptr ? "" : pending->value("idempotency_key", "");
}

nlohmann::json RecordOfChange(const AdapterUpdate& change,
                              const nlohmann::json* earlier) {
  nlohmann::json record = nlohmann::json::object();
  std::set<std::string> packages;
  bool start = change.start_time.has_value();
  bool end = change.end_time.has_value();
  if (earlier != nullptr) {
    if (earlier->contains("paused") && (*earlier)["paused"].is_boolean())
      record["paused"] = (*earlier)["paused"];
    start |= earlier->value("start_time", false);
    end |= earlier->value("end_time", false);
    for (const auto& id :
         earlier->value("package_ids", nlohmann::json::array()))
      if (id.is_string()) packages.insert(id.get<std::string>());
  }
  if (change.paused) record["paused"] = *change.paused;
  record["start_time"] = start;
  record["end_time"] = end;
  for (const AdapterPackage& package : change.packages)
    packages.insert(package.package_id);
  record["package_ids"] = packages;
  return record;
}

AdapterUpdate ChangeOfRecord(const nlohmann::json& record, const BuyRow& buy) {
  AdapterUpdate change;
  if (record.contains("paused") && record["paused"].is_boolean())
    change.paused = record["paused"].get<bool>();
  if (record.value("start_time", false)) change.start_time = buy.start_time;
  if (record.value("end_time", false)) change.end_time = buy.end_time;
  std::set<std::string> ids;
  for (const auto& id : record.value("package_ids", nlohmann::json::array()))
    if (id.is_string()) ids.insert(id.get<std::string>());
  for (const PackageRow& package : buy.packages) {
    if (!ids.count(package.package_id)) continue;
    change.packages.push_back(ToAdapterPackage(package));
  }
  return change;
}

}  // namespace adcp::media_buy
