// The one writer of gRPC metadata (libs/tenancy/
// metadata.h): a value gRPC would refuse must never get through, since gRPC
// aborts the process on it. Input: up to eight '\0'-separated fields, the
// ForwardedCall's values in declaration order. Properties:
//  - IsSafeMetadataValue is exactly "1-4096 bytes of 0x20-0x7E";
//    IsBearerToken and IsClientAddress accept only such values (the bearer
//    token with its "Bearer " prefix too) and follow their grammars;
//  - ForwardTenant either adds every nonempty field under its key, each
//    value safe and each key a legal lowercase gRPC key, keeping entries
//    already there, or refuses with INVALID_ARGUMENT naming a key and adds
//    nothing.
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "libs/tenancy/metadata.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

bool SafeOracle(std::string_view value) {
  if (value.empty() || value.size() > adcp::kMaxMetadataValueBytes)
    return false;
  for (char c : value)
    if (c < 0x20 || c > 0x7E) return false;
  return true;
}

bool TokenOracle(std::string_view token) {
  if (token.empty() || token.size() > adcp::kMaxBearerTokenBytes) return false;
  size_t end = token.find_last_not_of('=');
  if (end == std::string_view::npos) return false;  // only '='
  for (size_t i = 0; i <= end; ++i) {
    const char c = token[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
                    c == '_' || c == '~' || c == '+' || c == '/';
    if (!ok) return false;
  }
  return true;
}

bool LegalKey(const std::string& key) {
  if (key.empty() || absl::EndsWith(key, "-bin")) return false;
  for (char c : key)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_' || c == '.'))
      return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input = adcp_fuzz::AsText(data, size);
  std::vector<std::string_view> parts = adcp_fuzz::Split(input, '\0', 8);
  parts.resize(8);

  for (std::string_view part : parts) {
    FUZZ_CHECK(adcp::IsSafeMetadataValue(part) == SafeOracle(part),
               "IsSafeMetadataValue disagrees on " + std::string(part));
    FUZZ_CHECK(adcp::IsBearerToken(part) == TokenOracle(part),
               "IsBearerToken disagrees on " + std::string(part));
    if (adcp::IsBearerToken(part))
      FUZZ_CHECK(SafeOracle("Bearer " + std::string(part)), std::string(part));
    if (adcp::IsClientAddress(part))
      FUZZ_CHECK(
          SafeOracle(part) && part.size() <= adcp::kMaxClientAddressBytes,
          std::string(part));
  }

  const adcp::ForwardedCall call{
      .internal_token = parts[0],
      .tenant_id = parts[1],
      .principal_id = parts[2],
      .bearer_token = parts[3],
      .system_token = parts[4],
      .tenant_host = parts[5],
      .client_address = parts[6],
      .request_id = parts[7],
  };
  std::multimap<std::string, std::string> metadata = {
      {"x-request-id", "already-there"}};
  const auto before = metadata;
  const absl::Status status = adcp::ForwardTenant(&metadata, call);
  if (!status.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(status), status.ToString());
    FUZZ_CHECK(metadata == before, "a refused call added metadata");
    FUZZ_CHECK(absl::StrContains(status.message(), "x-") ||
                   absl::StartsWith(status.message(), "authorization"),
               "the refusal names no key: " + status.ToString());
    return 0;
  }
  for (const auto& [key, value] : metadata) {
    FUZZ_CHECK(LegalKey(key), "illegal metadata key " + key);
    FUZZ_CHECK(SafeOracle(value), "unsafe value under " + key + ": " + value);
  }
  FUZZ_CHECK(metadata.find("x-request-id")->second == "already-there",
             "an entry already there was replaced");
  size_t nonempty = 0;
  for (std::string_view part : parts) nonempty += !part.empty();
  const size_t added = metadata.size() - before.size();
  FUZZ_CHECK(added == nonempty - (parts[7].empty() ? 0 : 1),
             "not every field was added once");
  if (!parts[3].empty())
    FUZZ_CHECK(metadata.count("authorization") == 1 &&
                   metadata.find("authorization")->second ==
                       "Bearer " + std::string(parts[3]),
               "the bearer token");
  if (!parts[1].empty())
    FUZZ_CHECK(metadata.find("x-tenant-id")->second == parts[1], "tenant id");
  return 0;
}
