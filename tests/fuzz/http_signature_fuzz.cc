// RFC 9421 request signatures under AdCP's profile (libs/httpsig): the
// input's first line is a Signature-Input, the second a Signature, the
// third a URL, the rest a body. Properties:
//  - a dictionary that parses serializes (inner lists) into text that
//    parses again to the same serialization;
//  - a URL that canonicalizes is printable ASCII and canonical: its
//    canonical form is itself;
//  - the verifier answers every request with an AdCP error code or an
//    acceptance, never a crash, and accepts nothing it cannot verify.
#include <string>

#include "libs/httpsig/key_vault.h"
#include "libs/httpsig/request_verifier.h"
#include "libs/httpsig/structured_fields.h"
#include "libs/httpsig/target_uri.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using namespace adcp::httpsig;

class NoKeys : public KeyDirectory {
 public:
  std::optional<Jwk> Find(std::string_view keyid) const override {
    // A key made at start-up whose private half is dropped at once: no
    // input can carry a signature it verifies.
    static const Jwk fresh =
        GenerateSigningKey("fuzz", "request-signing").public_key;
    Jwk key = fresh;
    key.kid = std::string(keyid);
    return key;
  }
  bool Revoked(std::string_view keyid) const override {
    return keyid == "revoked";
  }
};

std::string_view NextLine(std::string_view& rest) {
  const size_t end = rest.find('\n');
  const std::string_view line = rest.substr(0, end);
  rest =
      end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  return line;
}

void CheckDictionary(std::string_view field) {
  absl::StatusOr<Dictionary> parsed = ParseDictionary(field);
  if (!parsed.ok()) return;
  for (const auto& [key, member] : *parsed) {
    if (!member.is_inner_list) continue;
    const std::string once = SerializeInnerList(member.inner);
    absl::StatusOr<List> again = ParseList(once);
    FUZZ_CHECK(again.ok() && again->size() == 1 && (*again)[0].is_inner_list &&
                   SerializeInnerList((*again)[0].inner) == once,
               once);
  }
}

void CheckUrl(std::string_view url) {
  absl::StatusOr<CanonicalUrl> canonical =
      CanonicalizeUrl(url, HostForm::kWire);
  if (!canonical.ok()) return;
  for (char c : canonical->target_uri) {
    FUZZ_CHECK(c > 0x20 && c < 0x7f, canonical->target_uri);
  }
  absl::StatusOr<CanonicalUrl> again =
      CanonicalizeUrl(canonical->target_uri, HostForm::kWire);
  FUZZ_CHECK(again.ok() && again->target_uri == canonical->target_uri &&
                 again->authority == canonical->authority,
             canonical->target_uri);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view rest = adcp_fuzz::AsText(data, size);
  const std::string_view input = NextLine(rest);
  const std::string_view signature = NextLine(rest);
  const std::string_view url = NextLine(rest);
  CheckDictionary(input);
  CheckDictionary(signature);
  CheckUrl(url);
  HttpMessage message;
  message.method = "POST";
  message.url = std::string(url);
  message.body = std::string(rest);
  message.headers = {{"Content-Type", "application/json"},
                     {"Signature-Input", std::string(input)},
                     {"Signature", std::string(signature)}};
  NoKeys keys;
  MemoryReplayCache replays(4);
  const VerifyResult result =
      VerifyRequest(message, "create_media_buy", false, RequestSigningPolicy{},
                    keys, replays, absl::FromUnixSeconds(1776520800));
  // Signature headers are present: only a verified signature is accepted,
  // and nobody holds the key.
  FUZZ_CHECK(!result.ok(), std::string(input));
  FUZZ_CHECK(result.error_code.starts_with("request_"), result.error_code);
  return 0;
}
