#include "libs/base/secrets.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstdlib>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace adcp {

std::string Sha256(std::string_view text) {
  // Fetched once: EVP_sha256() makes OpenSSL 3 look the implementation up
  // in its provider tables on every digest (every call's token check).
  static EVP_MD* const kSha256 = [] {
    EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (md == nullptr) std::abort();
    return md;
  }();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &length, kSha256, nullptr) !=
      1)
    std::abort();
  return std::string(reinterpret_cast<const char*>(digest), length);
}

std::string HmacSha256Hex(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(),
           out, &length) == nullptr)
    std::abort();
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<char*>(out), length));
}

bool SecretsEqual(std::string_view a, std::string_view b) {
  const std::string da = Sha256(a);
  const std::string db = Sha256(b);
  return CRYPTO_memcmp(da.data(), db.data(), da.size()) == 0;
}

std::string RandomBytes(int count) {
  std::string bytes(count, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), count) != 1)
    std::abort();
  return bytes;
}

std::string RandomHex(int count) {
  return absl::BytesToHexString(RandomBytes(count));
}

}  // namespace adcp

namespace adcp {
namespace {

// Work factors this build accepts when verifying: what HashPassword writes
// up to four times that, so that a stored hash cannot make a sign-in cost
// more memory than the server planned for.
constexpr uint64_t kScryptN = 1 << 15, kScryptR = 8, kScryptP = 1;

std::string Scrypt(std::string_view password, std::string_view salt, uint64_t n,
                   uint64_t r, uint64_t p) {
  unsigned char out[32];
  if (EVP_PBE_scrypt(password.data(), password.size(),
                     reinterpret_cast<const unsigned char*>(salt.data()),
                     salt.size(), n, r, p, 256ull << 20, out,
                     sizeof(out)) != 1) {
    return "";
  }
  return std::string(reinterpret_cast<char*>(out), sizeof(out));
}

}  // namespace

std::string HashPassword(std::string_view password) {
  const std::string salt = RandomBytes(16);
  const std::string hash = Scrypt(password, salt, kScryptN, kScryptR, kScryptP);
  if (hash.empty()) return "";
  return absl::StrCat("scrypt$", kScryptN, "$", kScryptR, "$", kScryptP, "$",
                      absl::BytesToHexString(salt), "$",
                      absl::BytesToHexString(hash));
}

bool PasswordMatches(std::string_view password, std::string_view encoded) {
  const std::vector<absl::string_view> parts =
      absl::StrSplit(absl::string_view(encoded.data(), encoded.size()), '$');
  uint64_t n = 0, r = 0, p = 0;
  if (parts.size() != 6 || parts[0] != "scrypt" ||
      !absl::SimpleAtoi(parts[1], &n) || !absl::SimpleAtoi(parts[2], &r) ||
      !absl::SimpleAtoi(parts[3], &p) || n > 4 * kScryptN || r > 4 * kScryptR ||
      p > 4 * kScryptP || parts[4].size() != 32 || parts[5].size() != 64) {
    return false;
  }
  const std::string salt = absl::HexStringToBytes(parts[4]);
  const std::string expected = absl::HexStringToBytes(parts[5]);
  const std::string actual = Scrypt(password, salt, n, r, p);
  return actual.size() == expected.size() &&
         CRYPTO_memcmp(actual.data(), expected.data(), actual.size()) == 0;
}

}  // namespace adcp
