// Hashing, comparing and generating secrets (OpenSSL), in one place.
#pragma once

#include <string>
#include <string_view>

namespace adcp {

// SHA-256 of `text` (32 raw bytes).
std::string Sha256(std::string_view text);

// HMAC-SHA256 of `data` under `key`, hex-encoded (64 characters).
std::string HmacSha256Hex(std::string_view key, std::string_view data);

// Constant-time equality of two secrets of any lengths (compares digests).
bool SecretsEqual(std::string_view a, std::string_view b);

// `count` bytes from OpenSSL's CSPRNG. Aborts if it fails: there is no safe
// fallback for a secret.
std::string RandomBytes(int count);

// RandomBytes(count), hex-encoded (2 * count characters).
std::string RandomHex(int count);

// A password's scrypt hash with a fresh random salt, encoded as
// "scrypt$<N>$<r>$<p>$<salt hex>$<hash hex>" (N=2^15, r=8, p=1: ~32 MiB and
// tens of milliseconds per attempt). "" if OpenSSL fails.
std::string HashPassword(std::string_view password);

// Whether `password` matches `encoded` (HashPassword's format), compared in
// constant time. False for a malformed encoding.
bool PasswordMatches(std::string_view password, std::string_view encoded);

}  // namespace adcp
