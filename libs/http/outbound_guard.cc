#include "libs/http/outbound_guard.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace adcp::http {
namespace {

using Bytes = std::array<uint8_t, 16>;

Bytes Mapped(const in_addr& v4) {
  Bytes out{};
  out[10] = out[11] = 0xff;
  std::memcpy(out.data() + 12, &v4, 4);
  return out;
}

bool InPrefix(const Bytes& address, const Bytes& network, int bits) {
  for (int i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    const uint8_t mask =
        bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((address[i] & mask) != (network[i] & mask)) return false;
  }
  return true;
}

struct Range {
  const char* cidr;
  const char* rule;
};

// IPv4 ranges as mapped IPv6 (::ffff:0:0/96 + the IPv4 prefix).
constexpr Range kV4[] = {
    {"0.0.0.0/8", "unspecified"},
    {"10.0.0.0/8", "private"},
    {"100.64.0.0/10", "shared address space"},
    {"127.0.0.0/8", "loopback"},
    {"169.254.0.0/16", "link-local (cloud metadata)"},
    {"172.16.0.0/12", "private"},
    {"192.0.0.0/24", "reserved"},
    {"192.0.2.0/24", "documentation"},
    {"192.168.0.0/16", "private"},
    {"198.18.0.0/15", "benchmarking"},
    {"198.51.100.0/24", "documentation"},
    {"203.0.113.0/24", "documentation"},
    {"224.0.0.0/4", "multicast"},
    {"240.0.0.0/4", "reserved"},
};
constexpr Range kV6[] = {
    {"::/128", "unspecified"},
    {"::1/128", "loopback"},
    {"100::/64", "discard"},
    {"2001:db8::/32", "documentation"},
    {"fc00::/7", "private (unique local)"},
    {"fe80::/10", "link-local"},
    {"ff00::/8", "multicast"},
};

}  // namespace

absl::StatusOr<Cidr> ParseCidr(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  const size_t slash = text.find('/');
  const std::string host(text.substr(0, slash));
  Cidr out;
  in_addr v4{};
  in6_addr v6{};
  int max_bits = 128;
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    out.address = Mapped(v4);
    max_bits = 32;
  } else if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    std::memcpy(out.address.data(), &v6, 16);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("'", std::string(text), "': not an IPv4 or IPv6 address"));
  }
  int bits = max_bits;
  if (slash != std::string_view::npos &&
      (!absl::SimpleAtoi(std::string(text.substr(slash + 1)), &bits) ||
       bits < 0 || bits > max_bits)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", std::string(text), "': prefix length 0-", max_bits));
  }
  out.prefix_bits = max_bits == 32 ? 96 + bits : bits;
  return out;
}

absl::StatusOr<std::vector<Cidr>> ParseCidrList(std::string_view text) {
  std::vector<Cidr> out;
  for (absl::string_view part :
       absl::StrSplit(absl::string_view(text.data(), text.size()), ',',
                      absl::SkipWhitespace())) {
    absl::StatusOr<Cidr> cidr =
        ParseCidr(std::string_view(part.data(), part.size()));
    if (!cidr.ok()) return cidr.status();
    out.push_back(*cidr);
  }
  return out;
}

std::string OutboundGuard::RuleOf(const Bytes& address) {
  static const std::vector<std::pair<Cidr, std::string>> ranges = [] {
    std::vector<std::pair<Cidr, std::string>> out;
    for (const Range& range : kV4)
      out.emplace_back(*ParseCidr(range.cidr), range.rule);
    for (const Range& range : kV6)
      out.emplace_back(*ParseCidr(range.cidr), range.rule);
    return out;
  }();
  Bytes effective = address;
  // NAT64 (64:ff9b::/96) carries an IPv4 address as mapped does.
  static const Cidr nat64 = *ParseCidr("64:ff9b::/96");
  if (InPrefix(address, nat64.address, nat64.prefix_bits)) {
    effective = Bytes{};
    effective[10] = effective[11] = 0xff;
    std::memcpy(effective.data() + 12, address.data() + 12, 4);
  }
  for (const auto& [cidr, rule] : ranges) {
    if (InPrefix(effective, cidr.address, cidr.prefix_bits)) return rule;
  }
  return "";
}

absl::Status OutboundGuard::Admit(const sockaddr* address) const {
  Bytes bytes{};
  char text[INET6_ADDRSTRLEN] = "";
  if (address->sa_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(address);
    bytes = Mapped(v4->sin_addr);
    inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
  } else if (address->sa_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(address);
    std::memcpy(bytes.data(), &v6->sin6_addr, 16);
    inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
  } else {
    return absl::PermissionDeniedError("outbound address: not IPv4 or IPv6");
  }
  for (const Cidr& cidr : allowed_) {
    if (InPrefix(bytes, cidr.address, cidr.prefix_bits))
      return absl::OkStatus();
  }
  const std::string rule = RuleOf(bytes);
  if (rule.empty()) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat("outbound address ", text, " is ", rule, ": refused"));
}

}  // namespace adcp::http
