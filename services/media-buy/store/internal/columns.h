// Private to store/: the SQL fragments and the column conversions the
// repositories share. Amounts travel as exact decimal strings, times as
// microseconds since the epoch.
#pragma once

#include <cstdint>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "services/media-buy/domain/money.h"

// A timestamptz column as microseconds since the epoch (bigint).
#define EPOCH_US(col) "(extract(epoch FROM " col ") * 1000000)::bigint"
// Parameter $n (microseconds since the epoch) as a timestamptz.
#define FROM_US(n) "to_timestamp($" #n "::double precision / 1000000)"
// Parameter $n (a JSON array of strings) as text[].
#define TEXT_ARRAY(n) "ARRAY(SELECT jsonb_array_elements_text($" #n "::jsonb))"

namespace adcp::media_buy::store_internal {

inline absl::Time TimeOf(const pqxx::field& field) {
  return absl::FromUnixMicros(field.as<int64_t>());
}

inline int64_t Us(absl::Time time) { return absl::ToUnixMicros(time); }

inline Micros MicrosOf(const pqxx::field& field) {
  return MicrosFromDecimal(field.as<std::string>()).value_or(0);
}

inline std::optional<Micros> OptionalMicros(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return MicrosOf(field);
}

inline std::optional<std::string> OptionalDecimal(
    const std::optional<Micros>& value) {
  if (!value) return std::nullopt;
  return DecimalFromMicros(*value);
}

inline std::optional<std::string> NullIfEmpty(const std::string& value) {
  if (value.empty()) return std::nullopt;
  return value;
}

// Every row of `result`, decoded.
template <typename Row>
std::vector<Row> RowsOf(const pqxx::result& result,
                        Row (*decode)(const pqxx::row&)) {
  std::vector<Row> rows;
  rows.reserve(result.size());
  for (const auto& row : result) rows.push_back(decode(row));
  return rows;
}

// The first row of `result`, decoded; nullopt when there is none.
template <typename Row>
std::optional<Row> FirstRowOf(const pqxx::result& result,
                              Row (*decode)(const pqxx::row&)) {
  if (result.empty()) return std::nullopt;
  return decode(result[0]);
}

inline nlohmann::json Json(const pqxx::field& field) {
  return nlohmann::json::parse(field.as<std::string>());
}

inline std::vector<std::string> Strings(const pqxx::field& field) {
  nlohmann::json array = Json(field);
  if (!array.is_array()) return {};
  return array.get<std::vector<std::string>>();
}

}  // namespace adcp::media_buy::store_internal
