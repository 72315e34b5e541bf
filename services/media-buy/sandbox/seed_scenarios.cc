// The controller's fixtures: products (from a sparse fixture over the stored
// product or a baseline), their pricing options, creatives and media buys,
// validated as the catalogue and the tasks would.
#include <google/protobuf/util/json_util.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "services/media-buy/domain/money.h"
#include "services/media-buy/domain/product_view.h"
#include "services/media-buy/domain/validation.h"
#include "services/media-buy/domain/wire_values.h"
#include "services/media-buy/sandbox/comply_scenarios.h"
#include "services/media-buy/store/buy_store.h"
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

// The buy of a seed_media_buy fixture: its AdCP status (forced, as
// force_media_buy_status forces it), currency, budget and flight, each from
// the fixture or a default (active, USD, 1000, now for 30 days).
std::variant<BuyRow, Refusal> Controller::FixtureBuy(
    const std::string& media_buy_id, const json& fixture) {
  BuyRow buy;
  buy.media_buy_id = media_buy_id;
  buy.principal_id = call_.principal_id;
  buy.adapter = "mock";  // a fixture: no ad server has it
  const json budget = fixture.value("budget", json::object());
  const std::string status = fixture.value("status", "active");
  if (!BuyStates().count(status))
    return *Refuse("INVALID_PARAMS",
                   absl::StrCat("params.fixture.status must be one of ",
                                JoinedNames(BuyStates())));
  buy.forced_status = status;
  buy.status =
      status == "paused" || status == "canceled" || status == "rejected"
          ? status
          : "active";
  buy.currency = fixture.value("currency", budget.value("currency", "USD"));
  if (buy.currency.size() != 3 ||
      !std::all_of(buy.currency.begin(), buy.currency.end(),
                   [](char c) { return c >= 'A' && c <= 'Z'; }))
    return *Refuse("INVALID_PARAMS",
                   "params.fixture.currency must be an ISO 4217 code");
  const json total =
      budget.value("total", fixture.value("total_budget", json(1000)));
  auto micros = total.is_number()
                    ? MicrosFromNumber("total", total.get<double>())
                    : absl::InvalidArgumentError("not a number");
  if (!micros.ok() || *micros <= 0)
    return *Refuse("INVALID_PARAMS",
                   "params.fixture.budget.total must be a positive number");
  buy.total_budget = *micros;
  const json flight = fixture.value("flight", json::object());
  buy.start_time = call_.now;
  buy.end_time = call_.now + absl::Hours(24 * 30);
  for (auto [key, time] :
       {std::pair{"start", &buy.start_time}, std::pair{"end", &buy.end_time}}) {
    const json value =
        flight.value(key, fixture.value(absl::StrCat(key, "_time"), json()));
    if (value.is_null()) continue;
    auto parsed = value.is_string() ? ParseTime(key, value.get<std::string>())
                                    : absl::InvalidArgumentError("not a time");
    if (!parsed.ok())
      return *Refuse("INVALID_PARAMS",
                     absl::StrCat("params.fixture.flight.", key,
                                  " must be an RFC 3339 time"));
    *time = *parsed;
  }
  if (buy.start_time >= buy.end_time)
    return *Refuse("INVALID_PARAMS",
                   "params.fixture's flight must end after it starts");
  return buy;
}

// The one package of a seeded buy: its whole budget on the fixture's
// product_id, or else the first product the caller sees, at that product's
// first pricing option.
std::variant<PackageRow, Refusal> Controller::FixturePackage(
    const BuyRow& buy, const json& fixture) {
  const std::string wanted = fixture.value("product_id", "");
  std::optional<ProductRow> product;
  if (!wanted.empty()) {
    Existing found = ExistingProduct(wanted);
    if (found.hidden) return *Hidden();
    product = std::move(found.row);
  } else {
    for (ProductRow& row :
         ProductStore::List(txn_, {call_.principal_id, false}))
      if (row.is_active && row.pricing_options.is_array() &&
          !row.pricing_options.empty()) {
        product = std::move(row);
        break;
      }
  }
  if (!product || !product->pricing_options.is_array() ||
      product->pricing_options.empty())
    return *Refuse("NOT_FOUND",
                   "a seeded media buy needs a product with a pricing option "
                   "(seed_product first)");
  const json& option = product->pricing_options[0];
  PackageRow package;
  package.package_id = absl::StrCat(buy.media_buy_id, "_pkg_1");
  package.media_buy_id = buy.media_buy_id;
  package.product_id = product->product_id;
  package.pricing_option_id = option.value("pricing_option_id", "");
  package.pricing_model = option.value("pricing_model", "cpm");
  package.budget = buy.total_budget;
  package.format_ids = product->format_ids;
  return package;
}

// A media buy of the caller's under the given id; one the caller already
// has gets the fixture's status, budget and flight (its packages, order and
// currency stay). An id another buyer holds is refused.
Outcome Controller::SeedMediaBuy() {
  auto media_buy_id = StringParam(params_, "media_buy_id");
  if (!media_buy_id) return MissingParam("media_buy_id");
  if (!ValidateId("params.media_buy_id", *media_buy_id).ok() ||
      media_buy_id->size() > 90)
    return Refuse("INVALID_PARAMS",
                  "params.media_buy_id must be 1-90 printable characters");
  auto fixture = Fixture();
  if (auto* refusal = std::get_if<Refusal>(&fixture)) return *refusal;
  auto buy = FixtureBuy(*media_buy_id, std::get<json>(fixture));
  if (auto* refusal = std::get_if<Refusal>(&buy)) return *refusal;
  BuyRow& row = std::get<BuyRow>(buy);
  auto existing = BuyStore::Find(txn_, *media_buy_id, {"", true}, true);
  if (existing && existing->principal_id != call_.principal_id)
    return Refuse("FORBIDDEN",
                  "this media buy id is in use and cannot be seeded");
  if (!existing) {
    auto package = FixturePackage(row, std::get<json>(fixture));
    if (auto* refusal = std::get_if<Refusal>(&package)) return *refusal;
    row.packages.push_back(std::get<PackageRow>(package));
  }
  if (existing) {
    if (existing->currency != row.currency)
      return Refuse("INVALID_PARAMS",
                    absl::StrCat("media buy '", *media_buy_id, "' is in ",
                                 existing->currency, "; a seed keeps it"));
    row.revision = existing->revision + 1;
    row.order_id = existing->order_id;
    row.adapter_state = existing->adapter_state;
    BuyStore::Update(txn_, row);
  } else {
    BuyStore::Insert(txn_, row);
  }
  BuyStore::ForceStatus(txn_, *media_buy_id, row.forced_status, "");
  response_->set_message("Fixture seeded");
  return std::nullopt;
}

}  // namespace adcp::media_buy::comply
