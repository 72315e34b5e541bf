// The controller's fixtures: products (from a sparse fixture over the stored
// product or a baseline), their pricing options, and creatives, validated
// as the catalogue and sync_creatives would.
#include <google/protobuf/util/json_util.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "services/media-buy/domain/product_view.h"
#include "services/media-buy/domain/validation.h"
#include "services/media-buy/sandbox/comply_scenarios.h"
#include "services/media-buy/store/creative_store.h"
#include "services/media-buy/store/product_store.h"

namespace adcp::media_buy::comply {

namespace pb = ::adcp::media_buy::v1;
using nlohmann::json;

// A fixture param: an object (absent: {}).
std::variant<json, Refusal> Controller::Fixture() {
  auto it = params_.find("fixture");
  if (it == params_.end()) return json::object();
  if (!it->is_object())
    return *Refuse("INVALID_PARAMS", "params.fixture must be an object");
  return *it;
}

Controller::Existing Controller::ExistingProduct(
    const std::string& product_id) {
  for (ProductRow& row : ProductStore::List(txn_, {"", true})) {
    if (row.product_id != product_id) continue;
    const auto& allowed = row.allowed_principal_ids;
    const bool visible =
        row.is_active &&
        (allowed.empty() || std::find(allowed.begin(), allowed.end(),
                                      call_.principal_id) != allowed.end());
    if (!visible) return {.hidden = true};
    return {.row = std::move(row)};
  }
  return {};
}

Outcome Controller::Hidden() {
  return Refuse("FORBIDDEN", "this product id is in use and cannot be seeded");
}

// A stored product as AdCP JSON (proto field names).
json Controller::ProductJson(const ProductRow& row) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string text;
  (void)google::protobuf::util::MessageToJsonString(ProductToProto(row), &text,
                                                    options);
  return json::parse(text);
}

json Controller::PlaceholderPricing() const {
  return {{"pricing_option_id", "default"},
          {"pricing_model", "cpm"},
          {"currency", "USD"},
          {"fixed_price", 10}};
}

// Validates `product` as the catalogue does and stores it, keeping the
// audience and state of the product it replaces.
Outcome Controller::StoreProduct(const json& product,
                                 const ProductRow* replaced) {
  pb::ProductDefinition definition;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;  // AdCP fields this seller ignores
  if (!google::protobuf::util::JsonStringToMessage(
           json{{"product", product}}.dump(), &definition, options)
           .ok())
    return Refuse("INVALID_PARAMS",
                  "params.fixture does not have the shape of a product");
  if (replaced != nullptr) {
    for (const std::string& id : replaced->allowed_principal_ids)
      definition.add_allowed_principal_ids(id);
    definition.set_is_active(replaced->is_active);
  }
  auto row = ProductFromDefinition(definition, *call_.formats, *call_.tenant,
                                   call_.publisher_base_domain);
  if (!row.ok())
    return Refuse("INVALID_PARAMS", std::string(row.status().message()));
  ProductStore::Upsert(txn_, *row);
  return std::nullopt;
}

json Controller::WithAgentUrls(json format_ids) const {
  if (!format_ids.is_array()) return format_ids;
  for (json& id : format_ids)
    if (id.is_object() && !id.contains("agent_url"))
      id["agent_url"] = call_.formats->agent_url();
  return format_ids;
}

// A product from a sparse fixture over the stored product (or a baseline):
// name and description default from the id, formats to this seller's
// creative agent, pricing to a placeholder "default" option until
// seed_pricing_option adds real ones.
Outcome Controller::SeedProduct() {
  auto product_id = StringParam(params_, "product_id");
  if (!product_id) return MissingParam("product_id");
  auto fixture = Fixture();
  if (auto* refusal = std::get_if<Refusal>(&fixture)) return *refusal;
  json product;
  const Existing existing = ExistingProduct(*product_id);
  if (existing.hidden) return Hidden();
  if (existing.row) {
    product = ProductJson(*existing.row);
  } else {
    product = {{"name", absl::StrCat("Sandbox product ", *product_id)},
               {"description",
                absl::StrCat("Fixture ", *product_id,
                             " seeded by the compliance test controller")},
               {"delivery_type", "non_guaranteed"},
               {"channels", {"display"}},
               {"format_ids", {{{"id", "display_300x250"}}}},
               {"pricing_options", {PlaceholderPricing()}}};
  }
  for (const auto& [key, value] : std::get<json>(fixture).items())
    product[key] = value;
  product["product_id"] = *product_id;
  product["format_ids"] = WithAgentUrls(product["format_ids"]);
  if (auto refusal =
          StoreProduct(product, existing.row ? &*existing.row : nullptr))
    return refusal;
  response_->set_message("Fixture seeded");
  return std::nullopt;
}

Outcome Controller::SeedPricingOption() {
  auto product_id = StringParam(params_, "product_id");
  if (!product_id) return MissingParam("product_id");
  auto option_id = StringParam(params_, "pricing_option_id");
  if (!option_id) return MissingParam("pricing_option_id");
  auto fixture = Fixture();
  if (auto* refusal = std::get_if<Refusal>(&fixture)) return *refusal;
  const Existing found = ExistingProduct(*product_id);
  if (found.hidden) return Hidden();
  if (!found.row)
    return Refuse("NOT_FOUND", absl::StrCat("no product '", *product_id,
                                            "' (seed_product first)"));
  const ProductRow* existing = &*found.row;
  json option = {{"pricing_model", "cpm"}, {"currency", "USD"}};
  for (const auto& [key, value] : std::get<json>(fixture).items())
    option[key] = value;
  option["pricing_option_id"] = *option_id;
  json options = json::array();
  for (const json& stored : existing->pricing_options) {
    if (stored.value("pricing_option_id", "") == *option_id) continue;
    // The placeholder goes once a real option is seeded.
    if (stored.value("pricing_option_id", "") == "default" &&
        stored == PlaceholderPricing())
      continue;
    options.push_back(stored);
  }
  options.push_back(option);
  json product = ProductJson(*existing);
  product["pricing_options"] = std::move(options);
  if (auto refusal = StoreProduct(product, existing)) return refusal;
  response_->set_message("Fixture seeded");
  return std::nullopt;
}

Outcome Controller::SeedCreative() {
  auto creative_id = StringParam(params_, "creative_id");
  if (!creative_id) return MissingParam("creative_id");
  if (!ValidateId("params.creative_id", *creative_id).ok())
    return Refuse("INVALID_PARAMS",
                  "params.creative_id must be 1-255 printable characters");
  auto fixture_or = Fixture();
  if (auto* refusal = std::get_if<Refusal>(&fixture_or)) return *refusal;
  const json& fixture = std::get<json>(fixture_or);
  CreativeRow row;
  if (auto existing =
          CreativeStore::Find(txn_, call_.principal_id, *creative_id)) {
    row = *std::move(existing);
  } else {
    row.principal_id = call_.principal_id;
    row.creative_id = *creative_id;
    row.name = *creative_id;
    row.format_agent_url = call_.formats->agent_url();
    row.format_id = "display_300x250";
    row.status = "approved";
  }
  if (fixture.contains("name")) {
    if (!fixture["name"].is_string() ||
        fixture["name"].get<std::string>().empty() ||
        fixture["name"].get<std::string>().size() > 255)
      return Refuse("INVALID_PARAMS",
                    "params.fixture.name must be 1-255 characters");
    row.name = fixture["name"];
  }
  if (fixture.contains("status")) {
    if (!fixture["status"].is_string() ||
        !CreativeMoves().count(fixture["status"].get<std::string>()))
      return Refuse("INVALID_PARAMS",
                    absl::StrCat("params.fixture.status must be one of ",
                                 JoinedNames(KeysOf(CreativeMoves()))));
    row.status = fixture["status"];
  }
  if (fixture.contains("format_id")) {
    const json& format = fixture["format_id"];
    if (!format.is_object() || !format.contains("id") ||
        !format["id"].is_string() ||
        (format.contains("agent_url") && !format["agent_url"].is_string()))
      return Refuse("INVALID_PARAMS",
                    "params.fixture.format_id must be {agent_url?, id}");
    row.format_id = format["id"];
    row.format_agent_url =
        format.value("agent_url", call_.formats->agent_url());
  }
  if (fixture.contains("assets")) {
    if (!fixture["assets"].is_object())
      return Refuse("INVALID_PARAMS",
                    "params.fixture.assets must be an object");
    row.assets = fixture["assets"];
  }
  CreativeStore::Upsert(txn_, row);
  response_->set_message("Fixture seeded");
  return std::nullopt;
}

}  // namespace adcp::media_buy::comply
