#include "libs/tenancy/tenant_route.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "libs/base/identifiers.h"

namespace adcp {
namespace {

bool IsHostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.';
}

// The host of a Host header: lowercased, without its port and trailing dot;
// nullopt when it is empty, oversized or not a hostname.
std::optional<std::string> NormalHost(std::string_view raw_host) {
  if (raw_host.empty() || raw_host.size() > kMaxHostBytes) return std::nullopt;
  std::string host = absl::AsciiStrToLower(std::string(raw_host));
  if (const size_t colon = host.rfind(':'); colon != std::string::npos) {
    // host:port; a port is 1-5 digits. IPv6 literals name no tenant.
    const std::string_view port = std::string_view(host).substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string_view::npos)
      return std::nullopt;
    host.resize(colon);
  }
  if (!host.empty() && host.back() == '.') host.pop_back();
  // Empty labels ("x..y", ".x") name nothing.
  if (host.empty() || host.front() == '.' || host.back() == '.' ||
      host.find("..") != std::string::npos)
    return std::nullopt;
  for (char c : host) {
    if (!IsHostChar(c)) return std::nullopt;
  }
  return host;
}

}  // namespace

HostTenant TenantOfHost(std::string_view raw_host,
                        const std::vector<std::string>& base_domains) {
  HostTenant none;
  std::optional<std::string> host = NormalHost(raw_host);
  if (!host) return none;
  for (const std::string& base : base_domains) {
    if (*host == base) return none;  // the bare base domain is no tenant
    if (host->size() > base.size() + 1 && absl::EndsWith(*host, base) &&
        (*host)[host->size() - base.size() - 1] == '.') {
      std::string label = host->substr(0, host->size() - base.size() - 1);
      if (!IsDnsLabel(label)) return none;
      return {HostTenant::Kind::kSubdomain, std::move(label)};
    }
  }
  return {HostTenant::Kind::kVirtualHost, *std::move(host)};
}

bool HostAddressesTenant(std::string_view raw_host,
                         const std::vector<std::string>& base_domains,
                         std::string_view subdomain,
                         std::string_view virtual_host) {
  const std::optional<std::string> host = NormalHost(raw_host);
  if (!host) return false;
  for (const std::string& base : base_domains)
    if (*host == base) return true;
  // An IPv4 address names no tenant, as a base domain does: the edge
  // reached by its address (127.0.0.1:8080 under ./dev up), the tenant in
  // the signed /tenants/{subdomain} path.
  if (host->find_first_not_of("0123456789.") == std::string::npos &&
      std::count(host->begin(), host->end(), '.') == 3)
    return true;
  const HostTenant named = TenantOfHost(*host, base_domains);
  switch (named.kind) {
    case HostTenant::Kind::kSubdomain:
      return !subdomain.empty() && named.name == subdomain;
    case HostTenant::Kind::kVirtualHost:
      return !virtual_host.empty() &&
             named.name == absl::AsciiStrToLower(std::string(virtual_host));
    case HostTenant::Kind::kNone:
      break;
  }
  return false;
}

std::string_view PathOf(std::string_view target) {
  return target.substr(0, target.find('?'));
}

std::optional<PathTenant> TenantOfPath(std::string_view target) {
  constexpr std::string_view kPrefix = "/tenants/";
  const std::string_view path = PathOf(target);
  if (!absl::StartsWith(absl::string_view(path.data(), path.size()),
                        absl::string_view(kPrefix.data(), kPrefix.size())))
    return std::nullopt;
  const size_t end = path.find('/', kPrefix.size());
  PathTenant route;
  route.subdomain = std::string(path.substr(
      kPrefix.size(), end == std::string_view::npos ? std::string_view::npos
                                                    : end - kPrefix.size()));
  if (!IsDnsLabel(route.subdomain)) return std::nullopt;
  route.rest =
      end == std::string_view::npos ? "/" : std::string(path.substr(end));
  return route;
}

}  // namespace adcp
