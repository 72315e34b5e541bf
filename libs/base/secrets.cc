#include "libs/base/secrets.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstdlib>

#include "absl/strings/escaping.h"

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
