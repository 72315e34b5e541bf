#include "libs/httpsig/key_vault.h"

#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "libs/httpsig/request_verifier.h"

namespace adcp::httpsig {
namespace {

std::string Kek(char fill) {
  return absl::WebSafeBase64Escape(std::string(32, fill));
}

TEST(KeyVaultTest, SealsAndOpensWithinItsContextOnly) {
  absl::StatusOr<KeyVault> vault =
      KeyVault::Parse(absl::StrCat("k1:", Kek('a')));
  ASSERT_TRUE(vault.ok()) << vault.status();
  absl::StatusOr<std::string> sealed =
      vault->Seal("private-scalar", "acme|key-1");
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->find("private-scalar"), std::string::npos);
  EXPECT_TRUE(sealed->starts_with("v1.k1."));
  EXPECT_EQ(*vault->Open(*sealed, "acme|key-1"), "private-scalar");
  EXPECT_EQ(vault->Open(*sealed, "other|key-1").status().code(),
            absl::StatusCode::kPermissionDenied);
  // Two seals of one secret differ (fresh data key and nonces).
  EXPECT_NE(*vault->Seal("private-scalar", "acme|key-1"), *sealed);
  // Any altered byte fails.
  std::string altered = *sealed;
  altered[altered.size() - 3] = altered[altered.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(vault->Open(altered, "acme|key-1").ok());
  EXPECT_EQ(vault->Open("not sealed", "acme|key-1").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(KeyVaultTest, KeyEncryptionKeysRotate) {
  const KeyVault old_vault = *KeyVault::Parse(absl::StrCat("k1:", Kek('a')));
  const std::string sealed = *old_vault.Seal("secret", "t|k");
  // k2 seals from now on; k1 still opens what it sealed.
  const KeyVault rotated =
      *KeyVault::Parse(absl::StrCat("k2:", Kek('b'), ",k1:", Kek('a')));
  EXPECT_EQ(*rotated.Open(sealed, "t|k"), "secret");
  EXPECT_TRUE(rotated.Seal("secret", "t|k")->starts_with("v1.k2."));
  // Without k1, the old seal names the missing KEK.
  const KeyVault retired = *KeyVault::Parse(absl::StrCat("k2:", Kek('b')));
  EXPECT_EQ(retired.Open(sealed, "t|k").status().code(),
            absl::StatusCode::kNotFound);
  // Another key under the same id does not open it.
  const KeyVault impostor = *KeyVault::Parse(absl::StrCat("k1:", Kek('c')));
  EXPECT_EQ(impostor.Open(sealed, "t|k").status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(KeyVaultTest, ResealMovesASecretToTheSealingKek) {
  const KeyVault old_vault = *KeyVault::Parse(absl::StrCat("k1:", Kek('a')));
  const std::string sealed = *old_vault.Seal("secret", "t|k");
  const KeyVault rotated =
      *KeyVault::Parse(absl::StrCat("k2:", Kek('b'), ",k1:", Kek('a')));
  EXPECT_EQ(rotated.sealing_kek(), "k2");
  const absl::StatusOr<std::string> resealed = rotated.Reseal(sealed, "t|k");
  ASSERT_TRUE(resealed.ok()) << resealed.status();
  EXPECT_TRUE(resealed->starts_with("v1.k2."));
  // It opens once k1 is dropped, in its context only.
  const KeyVault retired = *KeyVault::Parse(absl::StrCat("k2:", Kek('b')));
  EXPECT_EQ(*retired.Open(*resealed, "t|k"), "secret");
  EXPECT_FALSE(retired.Open(*resealed, "t|other").ok());
  // Already under the sealing KEK: unchanged. In another context: refused.
  EXPECT_EQ(*rotated.Reseal(*resealed, "t|k"), *resealed);
  EXPECT_EQ(rotated.Reseal(sealed, "t|other").status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(KeyVaultTest, RefusesBadKeyEncryptionKeys) {
  for (const std::string& bad :
       {std::string(""), std::string("k1"), absl::StrCat(":", Kek('a')),
        std::string("k1:short"), absl::StrCat("k.1:", Kek('a'))}) {
    EXPECT_FALSE(KeyVault::Parse(bad).ok()) << bad;
  }
}

TEST(KeyVaultTest, GeneratedKeysSignWebhooksThatVerify) {
  const SigningKeyPair pair =
      GenerateSigningKey("acme-2026-12", "webhook-signing");
  EXPECT_TRUE(pair.public_key.Consistent());
  const nlohmann::json published = PublicJwk(pair.public_key);
  EXPECT_FALSE(published.contains("d"));
  EXPECT_EQ(published["adcp_use"], "webhook-signing");
  HttpMessage message{.method = "POST",
                      .url = "https://buyer.example.com/hook",
                      .headers = {{"Content-Type", "application/json"}},
                      .body = "{}"};
  const absl::Time now = absl::Now();
  ASSERT_TRUE(SignMessage(message, kWebhookSigning, pair.public_key, pair.d,
                          "Z2VuZXJhdGVkLWtleS10ZXN0", now)
                  .ok());
  class OneKey : public KeyDirectory {
   public:
    explicit OneKey(Jwk key) : key_(std::move(key)) {}
    std::optional<Jwk> Find(std::string_view kid) const override {
      if (kid == key_.kid) return key_;
      return std::nullopt;
    }
    bool Revoked(std::string_view) const override { return false; }

   private:
    Jwk key_;
  };
  MemoryReplayCache replays;
  EXPECT_TRUE(
      VerifyWebhook(message, OneKey(*Jwk::FromJson(published)), replays, now)
          .ok());
}

}  // namespace
}  // namespace adcp::httpsig
