// Where calls to URLs that others chose (buyers' webhook URLs) may go. The
// guard runs on every address the client is about to connect to, after DNS
// (ClientOptions::admit_address), so a name that resolves, or re-resolves,
// to an internal address is refused as the address itself would be: no DNS
// rebinding. Refused, each naming its rule:
//   loopback (127.0.0.0/8, ::1), unspecified (0.0.0.0/8, ::), private
//   (10/8, 172.16/12, 192.168/16, fc00::/7), shared (100.64/10), link-local
//   and cloud metadata (169.254/16, fe80::/10), multicast (224/4, ff00::/8),
//   reserved or documentation ranges (192.0.0/24, 192.0.2/24, 198.18/15,
//   198.51.100/24, 203.0.113/24, 240/4, 2001:db8::/32, 100::/64), and IPv6
//   forms of IPv4 (::ffff:a.b.c.d, 64:ff9b::a.b.c.d) by the IPv4 inside.
// A deployment's allow-list (CIDRs) admits ranges it names, e.g. a test
// receiver on 127.0.0.1.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace adcp::http {

struct Cidr {
  std::array<uint8_t, 16> address{};  // IPv4 as ::ffff:a.b.c.d
  int prefix_bits = 0;                // of the 128
};

// "10.0.0.0/8", "::1/128", "127.0.0.1" (a single address).
absl::StatusOr<Cidr> ParseCidr(std::string_view text);
// A comma-separated list (an environment variable's value); "" is empty.
absl::StatusOr<std::vector<Cidr>> ParseCidrList(std::string_view text);

class OutboundGuard {
 public:
  explicit OutboundGuard(std::vector<Cidr> allowed = {})
      : allowed_(std::move(allowed)) {}

  // OK for a public address or one the allow-list names; PERMISSION_DENIED
  // naming the address and its rule otherwise.
  absl::Status Admit(const sockaddr* address) const;

  // The rule a 16-byte address (IPv4 mapped) falls under, or "" when it is
  // public.
  static std::string RuleOf(const std::array<uint8_t, 16>& address);

 private:
  const std::vector<Cidr> allowed_;
};

}  // namespace adcp::http
