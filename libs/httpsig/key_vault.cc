#include "libs/httpsig/key_vault.h"

#include <openssl/evp.h>

#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/base/secrets.h"
#include "libs/base/status.h"
#include "libs/httpsig/structured_fields.h"

namespace adcp::httpsig {
namespace {

constexpr size_t kKeyBytes = 32, kNonceBytes = 12, kTagBytes = 16;

bool UnB64(std::string_view text, std::string* out) {
  return absl::WebSafeBase64Unescape(
      absl::string_view(text.data(), text.size()), out);
}

struct CipherFree {
  void operator()(EVP_CIPHER_CTX* p) const { EVP_CIPHER_CTX_free(p); }
};

// AES-256-GCM: nonce || ciphertext || tag.
std::string Encrypt(std::string_view key, std::string_view plain,
                    std::string_view aad) {
  const std::string nonce = RandomBytes(kNonceBytes);
  std::unique_ptr<EVP_CIPHER_CTX, CipherFree> ctx(EVP_CIPHER_CTX_new());
  std::string out(plain.size(), '\0');
  int length = 0;
  unsigned char tag[kTagBytes];
  EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr,
                     reinterpret_cast<const unsigned char*>(key.data()),
                     reinterpret_cast<const unsigned char*>(nonce.data()));
  EVP_EncryptUpdate(ctx.get(), nullptr, &length,
                    reinterpret_cast<const unsigned char*>(aad.data()),
                    static_cast<int>(aad.size()));
  EVP_EncryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()),
                    &length,
                    reinterpret_cast<const unsigned char*>(plain.data()),
                    static_cast<int>(plain.size()));
  EVP_EncryptFinal_ex(ctx.get(), nullptr, &length);
  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, tag);
  return absl::StrCat(nonce, out,
                      std::string(reinterpret_cast<char*>(tag), kTagBytes));
}

absl::StatusOr<std::string> Decrypt(std::string_view key,
                                    std::string_view sealed,
                                    std::string_view aad) {
  if (sealed.size() < kNonceBytes + kTagBytes) {
    return absl::InvalidArgumentError("sealed key: too short");
  }
  const std::string_view nonce = sealed.substr(0, kNonceBytes);
  const std::string_view body =
      sealed.substr(kNonceBytes, sealed.size() - kNonceBytes - kTagBytes);
  std::string tag(sealed.substr(sealed.size() - kTagBytes));
  std::unique_ptr<EVP_CIPHER_CTX, CipherFree> ctx(EVP_CIPHER_CTX_new());
  std::string out(body.size(), '\0');
  int length = 0;
  EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr,
                     reinterpret_cast<const unsigned char*>(key.data()),
                     reinterpret_cast<const unsigned char*>(nonce.data()));
  EVP_DecryptUpdate(ctx.get(), nullptr, &length,
                    reinterpret_cast<const unsigned char*>(aad.data()),
                    static_cast<int>(aad.size()));
  EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()),
                    &length,
                    reinterpret_cast<const unsigned char*>(body.data()),
                    static_cast<int>(body.size()));
  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data());
  if (EVP_DecryptFinal_ex(ctx.get(), nullptr, &length) != 1) {
    return absl::PermissionDeniedError("sealed key: does not open");
  }
  return out;
}

}  // namespace

absl::StatusOr<KeyVault> KeyVault::Parse(std::string_view keks) {
  KeyVault vault;
  for (absl::string_view entry :
       absl::StrSplit(absl::string_view(keks.data(), keks.size()), ',',
                      absl::SkipWhitespace())) {
    const size_t colon = entry.find(':');
    Kek kek;
    if (colon == absl::string_view::npos || colon == 0 ||
        !UnB64(std::string_view(entry.data() + colon + 1,
                                entry.size() - colon - 1),
               &kek.key) ||
        kek.key.size() != kKeyBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("key-encryption keys: entry ", vault.keks_.size() + 1,
                       " is not id:<32 bytes in base64url>"));
    }
    kek.id = std::string(entry.substr(0, colon));
    if (kek.id.find('.') != std::string::npos) {
      return absl::InvalidArgumentError("key-encryption keys: an id holds '.'");
    }
    vault.keks_.push_back(std::move(kek));
  }
  if (vault.keks_.empty()) {
    return absl::InvalidArgumentError("key-encryption keys: none given");
  }
  return vault;
}

// v1.<kek id>.<wrapped data key>.<sealed secret>, base64url parts.
absl::StatusOr<std::string> KeyVault::Seal(std::string_view secret,
                                           std::string_view context) const {
  const Kek& kek = keks_.front();
  const std::string data_key = RandomBytes(kKeyBytes);
  const std::string aad = absl::StrCat("adcp-key|", std::string(context));
  return absl::StrCat("v1.", kek.id, ".",
                      EncodeBinary(Encrypt(kek.key, data_key, aad)), ".",
                      EncodeBinary(Encrypt(data_key, secret, aad)));
}

absl::StatusOr<std::string> KeyVault::Open(std::string_view sealed,
                                           std::string_view context) const {
  std::vector<std::string> parts =
      absl::StrSplit(absl::string_view(sealed.data(), sealed.size()), '.');
  std::string wrapped, body;
  if (parts.size() != 4 || parts[0] != "v1" || !UnB64(parts[2], &wrapped) ||
      !UnB64(parts[3], &body)) {
    return absl::InvalidArgumentError(
        "sealed key: not v1.<kek>.<key>.<secret>");
  }
  const std::string aad = absl::StrCat("adcp-key|", std::string(context));
  for (const Kek& kek : keks_) {
    if (kek.id != parts[1]) continue;
    absl::StatusOr<std::string> data_key = Decrypt(kek.key, wrapped, aad);
    if (!data_key.ok()) return data_key.status();
    return Decrypt(*data_key, body, aad);
  }
  return absl::NotFoundError(absl::StrCat("sealed key: key-encryption key '",
                                          parts[1], "' is not configured"));
}

absl::StatusOr<std::string> KeyVault::Reseal(std::string_view sealed,
                                             std::string_view context) const {
  ASSIGN_OR_RETURN(std::string secret, Open(sealed, context));
  const std::string current = absl::StrCat("v1.", sealing_kek(), ".");
  if (absl::StartsWith(absl::string_view(sealed.data(), sealed.size()),
                       current)) {
    OPENSSL_cleanse(secret.data(), secret.size());
    return std::string(sealed);
  }
  absl::StatusOr<std::string> resealed = Seal(secret, context);
  OPENSSL_cleanse(secret.data(), secret.size());
  return resealed;
}

SigningKeyPair GenerateSigningKey(std::string kid, std::string purpose) {
  EVP_PKEY* pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  unsigned char pub[32], priv[32];
  size_t pub_length = sizeof pub, priv_length = sizeof priv;
  EVP_PKEY_get_raw_public_key(pkey, pub, &pub_length);
  EVP_PKEY_get_raw_private_key(pkey, priv, &priv_length);
  EVP_PKEY_free(pkey);
  SigningKeyPair pair;
  pair.public_key.kid = std::move(kid);
  pair.public_key.kty = "OKP";
  pair.public_key.crv = "Ed25519";
  pair.public_key.alg = "EdDSA";
  pair.public_key.use = "sig";
  pair.public_key.key_ops = {"verify"};
  pair.public_key.adcp_use = std::move(purpose);
  pair.public_key.x =
      EncodeBinary(std::string_view(reinterpret_cast<char*>(pub), pub_length));
  pair.d = EncodeBinary(
      std::string_view(reinterpret_cast<char*>(priv), priv_length));
  OPENSSL_cleanse(priv, sizeof priv);
  return pair;
}

nlohmann::json PublicJwk(const Jwk& key) {
  nlohmann::json jwk = {{"kid", key.kid},           {"kty", key.kty},
                        {"crv", key.crv},           {"alg", key.alg},
                        {"use", key.use},           {"key_ops", key.key_ops},
                        {"adcp_use", key.adcp_use}, {"x", key.x}};
  if (!key.y.empty()) jwk["y"] = key.y;
  return jwk;
}

}  // namespace adcp::httpsig
