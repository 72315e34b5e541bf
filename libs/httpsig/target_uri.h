// AdCP's URL canonicalization (docs: reference/url-canonicalization): the
// `@target-uri` and `@authority` that request and webhook signatures cover,
// and the form in which two URLs are compared as identifiers.
//
//  1. lowercase the scheme (http and https only);
//  2. lowercase the host; IDN U-labels to A-labels (UTS-46 nontransitional)
//     where allowed, raw non-ASCII refused otherwise; IPv6 literals keep
//     their brackets with lowercase hex, zone identifiers are refused;
//  3. strip userinfo; an authority without a host is refused;
//  4. strip the default port (443 for https, 80 for http);
//  5. percent-encoding: hex uppercased, unreserved characters decoded
//     (before 6, as RFC 3986 6.2.2 orders them: "%2E" is a dot);
//  6. remove_dot_segments (RFC 3986 5.2.4), consecutive slashes kept; an
//     empty path is "/";
//  7. the query otherwise byte for byte ("?" alone is kept);
//  8. the fragment stripped.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace adcp::httpsig {

struct CanonicalUrl {
  std::string target_uri;  // scheme://authority/path[?query]
  std::string authority;   // host[:port]
};

enum class HostForm {
  // A URL received on the wire (a verifier's request): a non-ASCII host is
  // refused, never converted.
  kWire,
  // A URL a signer or a registry holds: U-labels become A-labels.
  kConvertIdn,
};

// The authority of an absolute URL as written (between "://" and the first
// of "/?#"); empty when there is no "://".
std::string_view UrlAuthority(std::string_view url);

// INVALID_ARGUMENT naming the rule for a URL that cannot be canonicalized.
absl::StatusOr<CanonicalUrl> CanonicalizeUrl(std::string_view url,
                                             HostForm host_form);

// An authority (a Host header's value) canonicalized as step 2-4 do, for
// `scheme`; wire form.
absl::StatusOr<std::string> CanonicalizeAuthority(std::string_view scheme,
                                                  std::string_view authority);

}  // namespace adcp::httpsig
