#include "libs/httpsig/jwk.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace adcp::httpsig {
namespace {

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
  void operator()(BIGNUM* p) const { BN_clear_free(p); }
};
template <typename T>
using Owned = std::unique_ptr<T, Free>;

absl::StatusOr<std::string> Base64Url(std::string_view text,
                                      std::string_view member, size_t length) {
  std::string bytes;
  if (text.find('=') != std::string_view::npos ||
      !absl::WebSafeBase64Unescape(std::string(text), &bytes) ||
      bytes.size() != length) {
    return absl::InvalidArgumentError(
        absl::StrCat("jwk.", std::string(member), ": not ", length,
                     " bytes of unpadded base64url"));
  }
  return bytes;
}

// The key as OpenSSL holds it; `d` (base64url) makes it a private key.
absl::StatusOr<Owned<EVP_PKEY>> LoadKey(const Jwk& key, std::string_view d) {
  if (!key.Consistent()) {
    return absl::InvalidArgumentError("jwk: kty, crv and alg do not match");
  }
  if (key.kty == "OKP") {
    absl::StatusOr<std::string> raw =
        d.empty() ? Base64Url(key.x, "x", 32) : Base64Url(d, "d", 32);
    if (!raw.ok()) return raw.status();
    const auto* bytes = reinterpret_cast<const unsigned char*>(raw->data());
    EVP_PKEY* pkey = d.empty() ? EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519,
                                                             nullptr, bytes, 32)
                               : EVP_PKEY_new_raw_private_key(
                                     EVP_PKEY_ED25519, nullptr, bytes, 32);
    if (pkey == nullptr)
      return absl::InvalidArgumentError("jwk: not an Ed25519 key");
    return Owned<EVP_PKEY>(pkey);
  }
  absl::StatusOr<std::string> x = Base64Url(key.x, "x", 32);
  if (!x.ok()) return x.status();
  absl::StatusOr<std::string> y = Base64Url(key.y, "y", 32);
  if (!y.ok()) return y.status();
  const std::string point = absl::StrCat("\x04", *x, *y);
  Owned<OSSL_PARAM_BLD> build(OSSL_PARAM_BLD_new());
  OSSL_PARAM_BLD_push_utf8_string(build.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                  "prime256v1", 0);
  OSSL_PARAM_BLD_push_octet_string(build.get(), OSSL_PKEY_PARAM_PUB_KEY,
                                   point.data(), point.size());
  Owned<BIGNUM> scalar;
  if (!d.empty()) {
    absl::StatusOr<std::string> raw = Base64Url(d, "d", 32);
    if (!raw.ok()) return raw.status();
    scalar.reset(BN_bin2bn(reinterpret_cast<const unsigned char*>(raw->data()),
                           32, nullptr));
    OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_PRIV_KEY, scalar.get());
  }
  Owned<OSSL_PARAM> params(OSSL_PARAM_BLD_to_param(build.get()));
  Owned<EVP_PKEY_CTX> context(
      EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* pkey = nullptr;
  if (params == nullptr || context == nullptr ||
      EVP_PKEY_fromdata_init(context.get()) != 1 ||
      EVP_PKEY_fromdata(context.get(), &pkey,
                        d.empty() ? EVP_PKEY_PUBLIC_KEY : EVP_PKEY_KEYPAIR,
                        params.get()) != 1) {
    return absl::InvalidArgumentError("jwk: not a P-256 point");
  }
  return Owned<EVP_PKEY>(pkey);
}

std::string StringMember(const nlohmann::json& jwk, const char* name) {
  const auto found = jwk.find(name);
  return found != jwk.end() && found->is_string() ? found->get<std::string>()
                                                  : std::string();
}

}  // namespace

absl::StatusOr<Jwk> Jwk::FromJson(const nlohmann::json& jwk) {
  if (!jwk.is_object()) return absl::InvalidArgumentError("jwk: not an object");
  for (const char* name :
       {"kid", "kty", "crv", "alg", "use", "adcp_use", "x", "y"}) {
    const auto found = jwk.find(name);
    if (found != jwk.end() && !found->is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat("jwk.", name, ": not a string"));
    }
  }
  Jwk key;
  key.kid = StringMember(jwk, "kid");
  key.kty = StringMember(jwk, "kty");
  key.crv = StringMember(jwk, "crv");
  key.alg = StringMember(jwk, "alg");
  key.use = StringMember(jwk, "use");
  key.adcp_use = StringMember(jwk, "adcp_use");
  key.x = StringMember(jwk, "x");
  key.y = StringMember(jwk, "y");
  if (const auto ops = jwk.find("key_ops"); ops != jwk.end()) {
    if (!ops->is_array())
      return absl::InvalidArgumentError("jwk.key_ops: not an array");
    for (const nlohmann::json& op : *ops) {
      if (!op.is_string()) {
        return absl::InvalidArgumentError(
            "jwk.key_ops: not an array of strings");
      }
      key.key_ops.push_back(op.get<std::string>());
    }
  }
  return key;
}

std::string Jwk::SignatureAlgorithm() const {
  if (alg == "EdDSA") return "ed25519";
  if (alg == "ES256") return "ecdsa-p256-sha256";
  return "";
}

bool Jwk::Consistent() const {
  return (kty == "OKP" && crv == "Ed25519" && alg == "EdDSA") ||
         (kty == "EC" && crv == "P-256" && alg == "ES256");
}

absl::Status VerifySignature(const Jwk& key, std::string_view algorithm,
                             std::string_view base,
                             std::string_view signature) {
  if (algorithm != key.SignatureAlgorithm()) {
    return absl::InvalidArgumentError("the key is not for this algorithm");
  }
  absl::StatusOr<Owned<EVP_PKEY>> pkey = LoadKey(key, "");
  if (!pkey.ok()) return pkey.status();
  std::string encoded(signature);
  const EVP_MD* digest = nullptr;
  if (key.kty == "EC") {
    // r||s to the DER form OpenSSL verifies.
    if (signature.size() != 64)
      return absl::PermissionDeniedError("bad signature");
    Owned<ECDSA_SIG> sig(ECDSA_SIG_new());
    const auto* raw = reinterpret_cast<const unsigned char*>(signature.data());
    ECDSA_SIG_set0(sig.get(), BN_bin2bn(raw, 32, nullptr),
                   BN_bin2bn(raw + 32, 32, nullptr));
    unsigned char* der = nullptr;
    const int length = i2d_ECDSA_SIG(sig.get(), &der);
    if (length <= 0) return absl::PermissionDeniedError("bad signature");
    encoded.assign(reinterpret_cast<char*>(der), length);
    OPENSSL_free(der);
    digest = EVP_sha256();
  }
  Owned<EVP_MD_CTX> context(EVP_MD_CTX_new());
  if (EVP_DigestVerifyInit(context.get(), nullptr, digest, nullptr,
                           pkey->get()) != 1 ||
      EVP_DigestVerify(
          context.get(), reinterpret_cast<const unsigned char*>(encoded.data()),
          encoded.size(), reinterpret_cast<const unsigned char*>(base.data()),
          base.size()) != 1) {
    return absl::PermissionDeniedError("the signature does not verify");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Sign(const Jwk& key, std::string_view d,
                                 std::string_view algorithm,
                                 std::string_view base) {
  if (algorithm != key.SignatureAlgorithm() || d.empty()) {
    return absl::InvalidArgumentError(
        "the key cannot sign with this algorithm");
  }
  absl::StatusOr<Owned<EVP_PKEY>> pkey = LoadKey(key, d);
  if (!pkey.ok()) return pkey.status();
  const EVP_MD* digest = key.kty == "EC" ? EVP_sha256() : nullptr;
  Owned<EVP_MD_CTX> context(EVP_MD_CTX_new());
  size_t length = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(base.data());
  if (EVP_DigestSignInit(context.get(), nullptr, digest, nullptr,
                         pkey->get()) != 1 ||
      EVP_DigestSign(context.get(), nullptr, &length, data, base.size()) != 1) {
    return absl::InternalError("signing failed");
  }
  std::string out(length, '\0');
  if (EVP_DigestSign(context.get(),
                     reinterpret_cast<unsigned char*>(out.data()), &length,
                     data, base.size()) != 1) {
    return absl::InternalError("signing failed");
  }
  out.resize(length);
  if (key.kty != "EC") return out;
  // DER to r||s.
  const auto* der = reinterpret_cast<const unsigned char*>(out.data());
  Owned<ECDSA_SIG> sig(
      d2i_ECDSA_SIG(nullptr, &der, static_cast<long>(out.size())));
  if (sig == nullptr) return absl::InternalError("signing failed");
  std::string rs(64, '\0');
  auto* target = reinterpret_cast<unsigned char*>(rs.data());
  BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), target, 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), target + 32, 32);
  return rs;
}

}  // namespace adcp::httpsig
