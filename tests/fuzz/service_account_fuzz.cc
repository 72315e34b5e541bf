// ParseServiceAccountKey (services/media-buy/service_account.h): the JSON
// key file of a Google service account, read from the deployment's secret
// store. Properties: nothing throws; a failure is INVALID_ARGUMENT that
// never echoes the key; an accepted key has the fields the file gave
// (client_email and private_key non-empty strings). Then SignJwt with it:
// INVALID_ARGUMENT for anything but an RSA key in PEM, else a JWT whose
// header holds the key id.
#include <string>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "services/media-buy/adapters/gam/service_account.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input = adcp_fuzz::AsText(data, size);
  const absl::StatusOr<adcp::media_buy::ServiceAccountKey> key =
      adcp::media_buy::ParseServiceAccountKey(input);
  const nlohmann::json document =
      nlohmann::json::parse(input, nullptr, /*allow_exceptions=*/false);
  if (!key.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(key.status()), key.status().ToString());
    if (document.is_object() && document.contains("private_key") &&
        document["private_key"].is_string()) {
      const std::string secret = document["private_key"].get<std::string>();
      FUZZ_CHECK(secret.size() < 8 ||
                     key.status().message().find(secret) == std::string::npos,
                 "the error echoes the private key");
    }
    return 0;
  }
  FUZZ_CHECK(document.is_object(), "a key accepted from what is not an object");
  FUZZ_CHECK(!key->client_email.empty() && !key->private_key.empty(),
             "an accepted key without client_email or private_key");
  FUZZ_CHECK(document["client_email"] == key->client_email &&
                 document["private_key"] == key->private_key,
             "the key's fields differ from the file's");

  const absl::StatusOr<std::string> jwt = adcp::media_buy::SignJwt(
      *key, {{"iss", key->client_email}, {"aud", key->token_uri}});
  if (!jwt.ok()) {
    FUZZ_CHECK(
        absl::IsInvalidArgument(jwt.status()) || absl::IsInternal(jwt.status()),
        jwt.status().ToString());
    return 0;
  }
  const std::vector<std::string> parts = absl::StrSplit(*jwt, '.');
  FUZZ_CHECK(parts.size() == 3, *jwt);
  std::string header_text;
  FUZZ_CHECK(absl::WebSafeBase64Unescape(parts[0], &header_text), parts[0]);
  nlohmann::json header =
      nlohmann::json::parse(header_text, nullptr, /*allow_exceptions=*/false);
  FUZZ_CHECK(header.is_object() && header["alg"] == "RS256", header_text);
  if (!key->private_key_id.empty())
    FUZZ_CHECK(header["kid"] == key->private_key_id, header_text);
  return 0;
}
