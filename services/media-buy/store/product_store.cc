#include "services/media-buy/store/product_store.h"

#include "services/media-buy/store/internal/columns.h"

namespace adcp::media_buy {

namespace {

using store_internal::Json;
using store_internal::RowsOf;
using store_internal::Strings;

#define PRODUCT_COLUMNS                                                      \
  "product_id, name, description, delivery_type, to_jsonb(channels)::text, " \
  "format_ids::text, publisher_properties::text, pricing_options::text, "    \
  "COALESCE(to_jsonb(allowed_principal_ids), 'null')::text, is_active, "     \
  "reporting_capabilities::text"

ProductRow ProductOf(const pqxx::row& row) {
  ProductRow product;
  product.product_id = row[0].as<std::string>();
  product.name = row[1].as<std::string>();
  product.description = row[2].as<std::string>();
  product.delivery_type = row[3].as<std::string>();
  product.channels = Strings(row[4]);
  product.format_ids = Json(row[5]);
  product.publisher_properties = Json(row[6]);
  product.pricing_options = Json(row[7]);
  product.allowed_principal_ids = Strings(row[8]);
  {
    const nlohmann::json allowed = Json(row[8]);
    product.visible_to_none = allowed.is_array() && allowed.empty();
  }
  product.is_active = row[9].as<bool>();
  product.reporting_capabilities = Json(row[10]);
  return product;
}

}  // namespace

PgPool::Statements ProductStore::Statements() {
  return {
      {"mb_products",
       "SELECT " PRODUCT_COLUMNS " FROM products WHERE tenant_id = $1 "
       "AND ($3 OR (is_active AND (allowed_principal_ids IS NULL "
       "OR $2 = ANY (allowed_principal_ids)))) ORDER BY product_id"},
      {"mb_product_upsert",
       "INSERT INTO products (tenant_id, product_id, name, description, "
       "delivery_type, channels, format_ids, publisher_properties, "
       "pricing_options, allowed_principal_ids, is_active, "
       "reporting_capabilities) "
       "VALUES ($1, $2, $3, $4, $5, " TEXT_ARRAY(
           6) ", $7::jsonb, $8::jsonb, "
              "$9::jsonb, CASE WHEN $10::jsonb = '[]'::jsonb THEN NULL "
              "ELSE " TEXT_ARRAY(
                  10) " END, $11, $12::jsonb) "
                      "ON CONFLICT (tenant_id, product_id) DO UPDATE SET name "
                      "= "
                      "EXCLUDED.name, description = EXCLUDED.description, "
                      "delivery_type = "
                      "EXCLUDED.delivery_type, channels = EXCLUDED.channels, "
                      "format_ids = "
                      "EXCLUDED.format_ids, publisher_properties = "
                      "EXCLUDED.publisher_properties, pricing_options = "
                      "EXCLUDED.pricing_options, allowed_principal_ids = "
                      "EXCLUDED.allowed_principal_ids, is_active = "
                      "EXCLUDED.is_active, "
                      "reporting_capabilities = "
                      "EXCLUDED.reporting_capabilities, "
                      "updated_at = now()"},
  };
}

std::vector<ProductRow> ProductStore::List(TenantTxn& txn,
                                           const Reader& reader) {
  return RowsOf(txn.Exec("mb_products", reader.principal_id, reader.is_admin),
                &ProductOf);
}

void ProductStore::Upsert(TenantTxn& txn, const ProductRow& product) {
  txn.Exec0("mb_product_upsert", product.product_id, product.name,
            product.description, product.delivery_type,
            nlohmann::json(product.channels).dump(), product.format_ids.dump(),
            product.publisher_properties.dump(), product.pricing_options.dump(),
            nlohmann::json(product.allowed_principal_ids).dump(),
            product.is_active, product.reporting_capabilities.dump());
}

}  // namespace adcp::media_buy
