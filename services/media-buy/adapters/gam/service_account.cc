#include "services/media-buy/adapters/gam/service_account.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "libs/json/json_limits.h"

namespace adcp::media_buy {

absl::StatusOr<ServiceAccountKey> ParseServiceAccountKey(
    std::string_view text) {
  // Within the JSON limits (a key file is a few KiB, one level deep).
  absl::StatusOr<nlohmann::json> parsed = ParseJsonBounded(
      text, "service account key",
      JsonLimits{.max_bytes = 64 << 10, .max_depth = 8, .max_values = 1000});
  if (!parsed.ok() || !parsed->is_object())
    return absl::InvalidArgumentError("the service account key is not JSON");
  const nlohmann::json& key = *parsed;
  ServiceAccountKey out;
  for (auto [field, into] : {std::pair{"client_email", &out.client_email},
                             std::pair{"private_key", &out.private_key}}) {
    if (!key.contains(field) || !key[field].is_string() ||
        key[field].get<std::string>().empty())
      return absl::InvalidArgumentError(
          absl::StrCat("the service account key has no ", field));
    *into = key[field].get<std::string>();
  }
  // Optional; when present, strings (a number here threw and ended the
  // process: the fuzzer's find).
  for (auto [field, into, fallback] :
       {std::tuple{"private_key_id", &out.private_key_id, ""},
        std::tuple{"token_uri", &out.token_uri, kGoogleTokenUrl}}) {
    auto it = key.find(field);
    if (it == key.end() || it->is_null()) {
      *into = fallback;
    } else if (it->is_string()) {
      *into = it->get<std::string>();
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "the service account key's ", field, " is not a string"));
    }
  }
  return out;
}

std::string Base64Url(std::string_view bytes) {
  std::string out;
  absl::WebSafeBase64Escape(absl::string_view(bytes.data(), bytes.size()),
                            &out);  // no padding
  return out;
}

absl::StatusOr<std::string> SignJwt(const ServiceAccountKey& key,
                                    const nlohmann::json& claims) {
  nlohmann::json header = {{"alg", "RS256"}, {"typ", "JWT"}};
  if (!key.private_key_id.empty()) header["kid"] = key.private_key_id;
  const std::string input =
      absl::StrCat(Base64Url(header.dump()), ".", Base64Url(claims.dump()));

  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(key.private_key.data(),
                      static_cast<int>(key.private_key.size())),
      BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(
      bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)
          : nullptr,
      EVP_PKEY_free);
  if (!pkey || EVP_PKEY_base_id(pkey.get()) != EVP_PKEY_RSA)
    return absl::InvalidArgumentError(
        "the service account's private_key is not an RSA key in PEM");
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                              EVP_MD_CTX_free);
  size_t length = 0;
  if (!ctx ||
      EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr,
                         pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length,
                     reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) != 1)
    return absl::InternalError("RS256 signing failed");
  std::string signature(length, '\0');
  if (EVP_DigestSign(
          ctx.get(), reinterpret_cast<unsigned char*>(signature.data()),
          &length, reinterpret_cast<const unsigned char*>(input.data()),
          input.size()) != 1)
    return absl::InternalError("RS256 signing failed");
  signature.resize(length);
  return absl::StrCat(input, ".", Base64Url(signature));
}

absl::StatusOr<std::string> ServiceAccountAssertion(
    const ServiceAccountKey& key, const std::string& scope,
    const std::string& audience, absl::Time now) {
  const int64_t iat = absl::ToUnixSeconds(now);
  return SignJwt(key, {{"iss", key.client_email},
                       {"scope", scope},
                       {"aud", audience},
                       {"iat", iat},
                       {"exp", iat + 3600}});
}

std::string AccessTokenCache::Get(const std::string& account,
                                  absl::Time now) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(account);
  if (it == entries_.end() || now >= it->second.expires - absl::Minutes(1))
    return "";
  return it->second.token;
}

void AccessTokenCache::Put(const std::string& account, std::string token,
                           absl::Time expires) {
  std::lock_guard<std::mutex> lock(mu_);
  entries_[account] = Entry{std::move(token), expires};
}

}  // namespace adcp::media_buy
