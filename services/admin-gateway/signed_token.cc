#include "services/admin-gateway/signed_token.h"

#include <openssl/crypto.h>

#include "absl/strings/escaping.h"

namespace adcp::admin_gateway {

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

SignedToken::SignedToken(std::string key, std::string purpose,
                         Encoding encoding, size_t max_token_bytes)
    : key_(std::move(key)),
      purpose_(std::move(purpose)),
      encoding_(encoding),
      max_token_bytes_(max_token_bytes) {}

std::string SignedToken::Mac(std::string_view payload) const {
  std::string data = purpose_;
  data.append(payload);
  return HmacSha256Hex(key_, data);
}

std::string SignedToken::Sign(std::string_view payload) const {
  const std::string encoded = encoding_ == Encoding::kPlain
                                  ? std::string(payload)
                                  : absl::WebSafeBase64Escape(absl::string_view(
                                        payload.data(), payload.size()));
  return encoded + "." + Mac(payload);
}

std::optional<std::string> SignedToken::Open(std::string_view token) const {
  // The signature is hex, so the last '.' ends the payload (a plain payload
  // may hold dots of its own).
  const size_t dot = token.rfind('.');
  if (token.size() > max_token_bytes_ || dot == std::string_view::npos)
    return std::nullopt;
  const std::string_view encoded = token.substr(0, dot);
  std::string payload;
  if (encoding_ == Encoding::kPlain) {
    payload = std::string(encoded);
  } else if (!absl::WebSafeBase64Unescape(
                 absl::string_view(encoded.data(), encoded.size()), &payload)) {
    return std::nullopt;
  }
  if (!ConstantTimeEquals(Mac(payload), token.substr(dot + 1)))
    return std::nullopt;
  return payload;
}

}  // namespace adcp::admin_gateway
