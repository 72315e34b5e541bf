// Host-header and /tenants/{subdomain} path tenant resolution
// (libs/tenancy/tenant_route.h). The whole input is
// tried as a Host header and as a request target. Properties:
//  - a subdomain is a DNS label, and the host (lowercased, port and
//    trailing dot dropped) is exactly that label, a dot and a base domain;
//  - a virtual host is nonempty, of a-z 0-9 '-' '.', at most kMaxHostBytes,
//    and, unless it has an empty label, no base domain nor a subdomain of
//    one, and resolves to itself again;
//  - whatever names a tenant is safe as gRPC metadata (printable ASCII);
//  - a path tenant is a DNS label, and prefix + label + rest rebuilds the
//    path (the query dropped); PathOf drops exactly the query.
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "libs/base/identifiers.h"
#include "libs/tenancy/tenant_route.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

const std::vector<std::string> kBaseDomains = {"sales-agent.example.com",
                                               "localhost", "example.org"};

bool HostChars(std::string_view text) {
  for (char c : text)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '.'))
      return false;
  return true;
}

bool Printable(std::string_view text) {
  for (char c : text)
    if (c < 0x20 || c > 0x7E) return false;
  return true;
}

void CheckHost(std::string_view raw) {
  const adcp::HostTenant tenant = adcp::TenantOfHost(raw, kBaseDomains);
  const std::string shown(raw);
  switch (tenant.kind) {
    case adcp::HostTenant::Kind::kNone:
      FUZZ_CHECK(tenant.name.empty(), "no tenant, but a name: " + tenant.name);
      return;
    case adcp::HostTenant::Kind::kSubdomain: {
      FUZZ_CHECK(adcp::IsDnsLabel(tenant.name), tenant.name);
      FUZZ_CHECK(raw.size() <= adcp::kMaxHostBytes, shown);
      std::string host(raw);
      absl::AsciiStrToLower(&host);
      if (const size_t colon = host.rfind(':'); colon != std::string::npos)
        host.resize(colon);
      if (!host.empty() && host.back() == '.') host.pop_back();
      bool matched = false;
      for (const std::string& base : kBaseDomains)
        matched = matched || host == tenant.name + "." + base;
      FUZZ_CHECK(matched, "subdomain " + tenant.name + " from host " + shown);
      const adcp::HostTenant again =
          adcp::TenantOfHost(tenant.name + ".localhost", kBaseDomains);
      FUZZ_CHECK(again.kind == tenant.kind && again.name == tenant.name,
                 tenant.name);
      break;
    }
    case adcp::HostTenant::Kind::kVirtualHost: {
      FUZZ_CHECK(!tenant.name.empty() &&
                     tenant.name.size() <= adcp::kMaxHostBytes &&
                     HostChars(tenant.name),
                 "virtual host " + tenant.name + " from " + shown);
      // Empty labels ("a..b", "x.." -> "x.") are let through as candidates
      // (they match no registered host); the rest must be fixpoints.
      if (tenant.name.front() == '.' || tenant.name.back() == '.' ||
          tenant.name.find("..") != std::string::npos)
        break;
      for (const std::string& base : kBaseDomains) {
        FUZZ_CHECK(tenant.name != base, "a base domain as a virtual host");
        FUZZ_CHECK(
            !absl::EndsWith(tenant.name, "." + base),
            "a base domain's subdomain as a virtual host: " + tenant.name);
      }
      const adcp::HostTenant again =
          adcp::TenantOfHost(tenant.name, kBaseDomains);
      FUZZ_CHECK(again.kind == tenant.kind && again.name == tenant.name,
                 "a virtual host does not resolve to itself: " + tenant.name);
      break;
    }
  }
  FUZZ_CHECK(Printable(tenant.name), "unprintable tenant name from " + shown);
}

void CheckPath(std::string_view target) {
  const std::string_view path = adcp::PathOf(target);
  FUZZ_CHECK(path.find('?') == std::string_view::npos, std::string(path));
  FUZZ_CHECK(target.substr(0, path.size()) == path &&
                 (path.size() == target.size() || target[path.size()] == '?'),
             "PathOf is not the target up to its query");
  const std::optional<adcp::PathTenant> tenant = adcp::TenantOfPath(target);
  if (!tenant) return;
  FUZZ_CHECK(adcp::IsDnsLabel(tenant->subdomain), tenant->subdomain);
  FUZZ_CHECK(absl::StartsWith(tenant->rest, "/"), tenant->rest);
  const std::string prefix = "/tenants/" + tenant->subdomain;
  const std::string rebuilt = prefix + tenant->rest;
  FUZZ_CHECK(path == rebuilt || (tenant->rest == "/" && path == prefix),
             "path " + std::string(path) + " split as " + tenant->subdomain +
                 " + " + tenant->rest);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input = adcp_fuzz::AsText(data, size);
  CheckHost(input);
  CheckPath(input);
  return 0;
}
