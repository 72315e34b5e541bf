#include "services/media-buy/domain/validation.h"

#include <algorithm>
#include <cmath>
#include <regex>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/base/status.h"

namespace adcp::media_buy {

namespace pb = ::adcp::media_buy::v1;

absl::Status ValidateCreativeUrl(std::string_view field, std::string_view url,
                                 bool allow_http) {
  const std::string rule =
      allow_http ? "must be an absolute https or http URL"
                 : "must be an absolute https URL (http only in sandbox "
                   "tenants)";
  if (url.empty())
    return InvalidField(field, absl::StrCat(rule, ", not empty"));
  if (url.size() > kMaxCreativeUrlLength)
    return InvalidField(
        field,
        absl::StrCat("must be at most ", kMaxCreativeUrlLength, " characters"));
  // Browsers drop tabs and newlines inside a scheme ("java\tscript:"):
  // nothing at or below a space, nor DEL, is accepted anywhere.
  if (std::any_of(url.begin(), url.end(), [](char c) {
        return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f;
      }))
    return InvalidField(field,
                        absl::StrCat(rule,
                                     "; spaces and control characters must be "
                                     "percent-encoded"));
  const size_t colon = url.find(':');
  std::string scheme =
      colon == std::string_view::npos ? "" : std::string(url.substr(0, colon));
  const bool scheme_ok =
      !scheme.empty() && scheme.size() <= 32 &&
      absl::ascii_isalpha(scheme[0]) &&
      std::all_of(scheme.begin(), scheme.end(), [](char c) {
        return absl::ascii_isalnum(c) || c == '+' || c == '-' || c == '.';
      });
  if (!scheme_ok)
    return InvalidField(field, absl::StrCat(rule, "; this has no scheme"));
  absl::AsciiStrToLower(&scheme);
  if (scheme != "https" && !(allow_http && scheme == "http"))
    return InvalidField(field, absl::StrCat(rule, ", not ", scheme, ":"));
  const std::string_view rest = url.substr(colon + 1);
  if (rest.substr(0, 2) != "//" || rest.size() < 3 || rest[2] == '/' ||
      rest[2] == '?' || rest[2] == '#')
    return InvalidField(field, absl::StrCat(rule, " with a host"));
  return absl::OkStatus();
}

namespace {

bool EndsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool IsUrlKey(const std::string& key) {
  return key == "url" || key == "href" || EndsWith(key, "_url") ||
         EndsWith(key, "url_template");
}

absl::Status CheckUrlsIn(const std::string& at, const nlohmann::json& value,
                         bool allow_http, int depth) {
  if (depth > kMaxAssetDepth)
    return InvalidField(
        at, absl::StrCat("assets nest at most ", kMaxAssetDepth, " levels"));
  if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i)
      RETURN_IF_ERROR(CheckUrlsIn(absl::StrCat(at, "[", i, "]"), value[i],
                                  allow_http, depth + 1));
    return absl::OkStatus();
  }
  if (!value.is_object()) return absl::OkStatus();
  for (const auto& [key, member] : value.items()) {
    const std::string field = absl::StrCat(at, ".", key);
    if (IsUrlKey(key)) {
      if (!member.is_string())
        return InvalidField(field, "must be a URL string");
      RETURN_IF_ERROR(
          ValidateCreativeUrl(field, member.get<std::string>(), allow_http));
    } else if (EndsWith(key, "_urls") && member.is_array()) {
      for (size_t i = 0; i < member.size(); ++i) {
        const std::string item = absl::StrCat(field, "[", i, "]");
        if (!member[i].is_string())
          return InvalidField(item, "must be a URL string");
        RETURN_IF_ERROR(ValidateCreativeUrl(item, member[i].get<std::string>(),
                                            allow_http));
      }
    } else {
      RETURN_IF_ERROR(CheckUrlsIn(field, member, allow_http, depth + 1));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateCreativeUrls(std::string_view field,
                                  const nlohmann::json& assets,
                                  bool allow_http) {
  return CheckUrlsIn(std::string(field), assets, allow_http, 0);
}

absl::Status ValidateIdempotencyKey(const std::string& key) {
  static const std::regex pattern("^[A-Za-z0-9_.:-]{16,255}$");
  if (key.empty()) {
    return InvalidField(
        "idempotency_key",
        "is required (16-255 characters of A-Z a-z 0-9 _ . : -)");
  }
  if (!std::regex_match(key, pattern)) {
    return InvalidField("idempotency_key",
                        "must be 16-255 characters of A-Z a-z 0-9 _ . : -");
  }
  return absl::OkStatus();
}

absl::Status ValidateId(std::string_view field, const std::string& value) {
  if (value.empty()) return InvalidField(field, "is required");
  if (value.size() > 255)
    return InvalidField(field, "must be at most 255 characters");
  for (unsigned char c : value) {
    if (c < 0x21 || c == 0x7f)
      return InvalidField(field,
                          "must not contain spaces or control characters");
  }
  return absl::OkStatus();
}

absl::Status ValidateFormatId(std::string_view field, const pb::FormatId& id) {
  static const std::regex pattern("^[a-zA-Z0-9_-]+$");
  if (id.agent_url().empty())
    return InvalidField(absl::StrCat(std::string(field), ".agent_url"),
                        "is required");
  if (id.id().empty())
    return InvalidField(absl::StrCat(std::string(field), ".id"), "is required");
  if (!std::regex_match(id.id(), pattern))
    return InvalidField(absl::StrCat(std::string(field), ".id"),
                        "must contain only letters, digits, '_' and '-'");
  return absl::OkStatus();
}

absl::Status ValidateDomain(std::string_view field, const std::string& domain) {
  if (domain.empty()) return InvalidField(field, "is required");
  if (domain.size() > 253 ||
      !std::all_of(domain.begin(), domain.end(),
                   [](char c) {
                     return absl::ascii_isalnum(c) || c == '-' || c == '.';
                   }) ||
      domain.front() == '.' || domain.back() == '.' ||
      domain.find('.') == std::string::npos) {
    return InvalidField(field, "must be a domain name such as example.com");
  }
  return absl::OkStatus();
}

absl::Status ValidateImpressions(std::string_view field, double impressions) {
  if (!std::isfinite(impressions) || impressions < 1 || impressions > 1e15 ||
      impressions != std::floor(impressions))
    return InvalidField(field, "must be a whole number from 1 to 10^15");
  return absl::OkStatus();
}

absl::Status ValidatePacing(std::string_view field, const std::string& pacing) {
  if (pacing.empty() || pacing == "even" || pacing == "asap" ||
      pacing == "front_loaded")
    return absl::OkStatus();
  return InvalidField(field, "must be one of even, asap, front_loaded");
}

}  // namespace adcp::media_buy
