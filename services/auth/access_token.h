// Principal access tokens: 256 random bits, shown once, stored as SHA-256.
#pragma once

#include <string>

namespace adcp::auth {

struct IssuedToken {
  std::string
      token;  // "adcp_" + 43 base64url characters; give to the user once
  std::string hash_hex;  // lowercase hex SHA-256 of token; what is stored
  std::string prefix;    // first 12 characters; safe to display
};

IssuedToken IssueToken();

// Lowercase hex SHA-256 of `token`.
std::string TokenHashHex(const std::string& token);

}  // namespace adcp::auth
