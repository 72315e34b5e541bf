// The media-buy aggregates as the tasks see them: plain values, read and
// written by store/ (one table or a join per record), converted to AdCP by
// the tasks. No I/O here.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "services/media-buy/domain/money.h"

namespace adcp::media_buy {

struct ProductRow {
  std::string product_id;
  std::string name;
  std::string description;
  std::string delivery_type;
  std::vector<std::string> channels;
  nlohmann::json format_ids;            // array of FormatId objects
  nlohmann::json publisher_properties;  // array
  nlohmann::json pricing_options;       // array of PricingOption objects
  nlohmann::json reporting_capabilities;
  std::vector<std::string> allowed_principal_ids;  // empty: everyone
  // An empty array in the database (not NULL): no principal may see it
  // (what mb_products selects).
  bool visible_to_none = false;
  bool is_active = true;
};

struct AccountRow {
  std::string account_id;
  std::string principal_id;
  std::string brand_domain;
  std::string brand_id;
  std::string operator_domain;
  std::string name;
  std::string billing;
  std::string status;
  bool sandbox = false;
};

struct PackageRow {
  std::string package_id;
  std::string media_buy_id;
  int ordinal = 0;
  std::string product_id;
  std::string pricing_option_id;
  std::string pricing_model;
  Micros budget = 0;
  std::optional<Micros> bid_price;
  std::optional<Micros> rate;
  std::string pacing = "even";
  std::optional<int64_t> impressions;
  bool paused = false;
  nlohmann::json format_ids = nlohmann::json::array();
  nlohmann::json targeting_overlay;                 // null when none
  nlohmann::json extra = nlohmann::json::object();  // context, ext
  std::string line_id;
};

struct BuyRow {
  std::string media_buy_id;
  std::string principal_id;
  std::string account_id;  // empty when none
  // Stored lifecycle: pending_approval | active | paused | rejected |
  // canceled. The AdCP status is derived from it, the flight and creatives.
  std::string status;
  std::string adapter;
  std::string order_id;
  std::string currency;
  Micros total_budget = 0;
  absl::Time start_time;
  absl::Time end_time;
  bool start_asap = false;
  int revision = 1;
  nlohmann::json brand = nlohmann::json::object();
  std::string po_number;
  nlohmann::json extra = nlohmann::json::object();
  std::optional<absl::Time> paused_at;
  std::string rejection_reason;
  absl::Time created_at;
  absl::Time updated_at;
  // Sandbox tenants (comply_test_controller): a forced AdCP status, empty
  // when none; simulated delivery {impressions, clicks, conversions, spend},
  // null when none.
  std::string forced_status;
  nlohmann::json simulated_delivery;
  // The ad-server adapter's state (migration 0008): principal_mappings,
  // upstream, and while placing the buy failed: failed_step, error,
  // failed_at.
  nlohmann::json adapter_state = nlohmann::json::object();
  // The buy has been live (AdCP active or paused; migration 0012): it does
  // not read pending_creatives or pending_start again.
  bool went_live = false;
  std::vector<PackageRow> packages;
};

// A sandbox directive for a principal's next create_media_buy.
struct Directive {
  std::string arm;  // submitted
  std::string task_id;
  std::string message;
};

struct CreativeRow {
  std::string principal_id;
  std::string creative_id;
  std::string name;
  std::string format_agent_url;
  std::string format_id;
  nlohmann::json assets = nlohmann::json::object();
  std::string status;
  std::string rejection_reason;
  std::string platform_id;
  nlohmann::json extra = nlohmann::json::object();  // tags
  absl::Time created_at;
  absl::Time updated_at;
};

struct AssignmentRow {
  std::string creative_id;
  std::string package_id;
  std::string media_buy_id;
  absl::Time created_at;
  // The assigned creative's review state (read in the same query).
  std::string creative_status;
  std::string rejection_reason;
};

struct TaskRow {
  std::string task_id;
  std::string principal_id;
  std::string task_type;
  std::string status;
  std::string media_buy_id;
  std::string creative_id;
  std::string summary;
  std::string resolution;
  std::string resolved_by;
  absl::Time created_at;
  std::optional<absl::Time> resolved_at;
  // The buyer's webhook target and context (PushTargetToJson), or null.
  nlohmann::json push_notification;
};

struct IdempotencyRecord {
  std::string request_hash;  // hex
  std::string response;      // serialized response; empty while in flight
  absl::Time expires_at;
  bool expired = false;
};

// Who is reading: a buyer sees its own rows; the tenant admin sees all.
struct Reader {
  std::string principal_id;
  bool is_admin = false;
};

// An audit row of a task (success), written in the task's transaction.
struct AuditEntry {
  std::string operation;
  std::string adapter;
  nlohmann::json details;
};

}  // namespace adcp::media_buy
