#include "services/auth/access_token.h"

#include "absl/strings/escaping.h"
#include "libs/base/secrets.h"

namespace adcp::auth {

IssuedToken IssueToken() {
  const std::string random = RandomBytes(32);
  std::string encoded;
  absl::WebSafeBase64Escape(random, &encoded);
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
