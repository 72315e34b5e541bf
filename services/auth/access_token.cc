#include "access_token.h"

#include <openssl/rand.h>

#include <cstdlib>

#include "absl/strings/escaping.h"
#include "adcp/common/guard.h"

namespace adcp::auth {

IssuedToken IssueToken() {
  unsigned char random[32];
  if (RAND_bytes(random, sizeof(random)) != 1) {
    // No CSPRNG output means no safe token; never fall back to anything weaker.
    std::abort();
  }
  std::string encoded;
  absl::WebSafeBase64Escape(
      absl::string_view(reinterpret_cast<const char*>(random), sizeof(random)),
      &encoded);
  IssuedToken issued;
  issued.token = "adcp_" + encoded;
  issued.hash_hex = TokenHashHex(issued.token);
  issued.prefix = issued.token.substr(0, 12);
  return issued;
}

std::string TokenHashHex(const std::string& token) {
  return absl::BytesToHexString(Sha256(token));
}

}  // namespace adcp::auth
