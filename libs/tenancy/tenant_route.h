// Where an HTTP request names its tenant: the Host header (a subdomain of a
// base domain, or a registered virtual host) or a /tenants/{subdomain} path
// prefix. Pure functions over untrusted text: the edges and the tenant cache
// both use them, so the rule lives in one place.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace adcp {

// Longest Host header looked at (a DNS name is at most 253 octets; a port
// and brackets fit too).
inline constexpr size_t kMaxHostBytes = 300;

struct HostTenant {
  enum class Kind { kNone, kSubdomain, kVirtualHost };
  Kind kind = Kind::kNone;
  std::string name;  // the subdomain, or the lowercased virtual host
};

// The tenant a Host header names. Lowercases, drops a port and a trailing
// dot. A host of a base domain names the subdomain of its first label (only
// one label below the base); any other host is a candidate virtual host. An
// empty, oversized, or non-hostname value (anything but a-z, 0-9, '-', '.',
// and a port) names none.
HostTenant TenantOfHost(std::string_view host,
                        const std::vector<std::string>& base_domains);

// Whether Host `host` may address the tenant with `subdomain` and
// `virtual_host` (either may be ""): a host that names that tenant, or a
// bare base domain or an IPv4 address (the /tenants/{subdomain} form, for
// hosts without wildcard DNS). A malformed host, or one naming another
// tenant or any other authority, may not: what a signed request's
// @authority and @target-uri are checked against.
bool HostAddressesTenant(std::string_view host,
                         const std::vector<std::string>& base_domains,
                         std::string_view subdomain,
                         std::string_view virtual_host);

struct PathTenant {
  std::string subdomain;
  std::string rest;  // the path after the prefix; "/" when none
};

// The path of `target` (the query dropped), split by a /tenants/{subdomain}
// prefix; nullopt when it has none or the subdomain is not a DNS label.
std::optional<PathTenant> TenantOfPath(std::string_view target);

// The path of `target` without its query.
std::string_view PathOf(std::string_view target);

}  // namespace adcp
