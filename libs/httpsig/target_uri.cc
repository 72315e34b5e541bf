#include "libs/httpsig/target_uri.h"

#include <idn2.h>

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace adcp::httpsig {
namespace {

constexpr size_t kMaxUrlBytes = 8192;

absl::Status Refused(std::string_view rule) {
  return absl::InvalidArgumentError(absl::StrCat("url: ", std::string(rule)));
}

bool IsHex(char c) {
  return absl::ascii_isxdigit(static_cast<unsigned char>(c));
}
bool IsUnreserved(unsigned char c) {
  return absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

// RFC 3986 section 5.2.4, on a path that starts with "/". Empty segments
// (consecutive slashes) are kept.
std::string RemoveDotSegments(std::string_view input) {
  std::string out;
  auto drop_last_segment = [&out] {
    const size_t slash = out.rfind('/');
    out.erase(slash == std::string::npos ? 0 : slash);
  };
  while (!input.empty()) {
    if (input.starts_with("../")) {
      input.remove_prefix(3);
    } else if (input.starts_with("./")) {
      input.remove_prefix(2);
    } else if (input.starts_with("/./")) {
      input.remove_prefix(2);
    } else if (input == "/.") {
      input = "/";
    } else if (input.starts_with("/../")) {
      input.remove_prefix(3);
      drop_last_segment();
    } else if (input == "/..") {
      input = "/";
      drop_last_segment();
    } else if (input == "." || input == "..") {
      input = {};
    } else {
      const size_t next = input.find('/', input.front() == '/' ? 1 : 0);
      const size_t length =
          next == std::string_view::npos ? input.size() : next;
      out.append(input.substr(0, length));
      input.remove_prefix(length);
    }
  }
  return out;
}

// Step 6: %xx with uppercase hex, unreserved characters decoded.
absl::StatusOr<std::string> NormalizePercent(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c <= 0x20 || c >= 0x7f)
      return Refused("a character that must be percent-encoded");
    if (c != '%') {
      out.push_back(static_cast<char>(c));
      continue;
    }
    if (i + 2 >= text.size() || !IsHex(text[i + 1]) || !IsHex(text[i + 2])) {
      return Refused("'%' not followed by two hex digits");
    }
    const int value =
        std::strtol(std::string(text.substr(i + 1, 2)).c_str(), nullptr, 16);
    if (IsUnreserved(static_cast<unsigned char>(value))) {
      out.push_back(static_cast<char>(value));
    } else {
      absl::StrAppend(
          &out, "%", absl::AsciiStrToUpper(std::string(text.substr(i + 1, 2))));
    }
    i += 2;
  }
  return out;
}

absl::StatusOr<std::string> CanonicalHost(std::string_view host,
                                          HostForm host_form) {
  if (host.empty()) return Refused("the authority has no host");
  if (host.front() == '[') {
    if (host.back() != ']')
      return Refused("an IPv6 literal without its closing ']'");
    const std::string_view inner = host.substr(1, host.size() - 2);
    if (inner.find('%') != std::string_view::npos) {
      return Refused("an IPv6 zone identifier");
    }
    if (inner.empty()) return Refused("an empty IPv6 literal");
    for (char c : inner) {
      if (!IsHex(c) && c != ':' && c != '.')
        return Refused("an invalid IPv6 literal");
    }
    return absl::AsciiStrToLower(std::string(host));
  }
  bool ascii = true;
  for (char c : host) {
    if (static_cast<unsigned char>(c) >= 0x80) ascii = false;
  }
  std::string lowered;
  if (ascii) {
    lowered = absl::AsciiStrToLower(std::string(host));
  } else {
    if (host_form == HostForm::kWire) {
      return Refused("a non-ASCII host (send the A-label form)");
    }
    char* converted = nullptr;
    const int rc = idn2_to_ascii_8z(
        std::string(host).c_str(), &converted,
        IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT | IDN2_USE_STD3_ASCII_RULES);
    if (rc != IDN2_OK) return Refused("a host that is not a valid IDN");
    lowered = absl::AsciiStrToLower(converted);
    idn2_free(converted);
  }
  for (char c : lowered) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' &&
        c != '.' && c != '_') {
      return Refused("an invalid character in the host");
    }
  }
  return lowered;
}

absl::StatusOr<std::string> Authority(std::string_view scheme,
                                      std::string_view authority,
                                      HostForm host_form) {
  const size_t at = authority.rfind('@');
  if (at != std::string_view::npos) authority.remove_prefix(at + 1);
  std::string_view host = authority, port;
  if (authority.starts_with("[")) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return Refused("an IPv6 literal without its closing ']'");
    }
    host = authority.substr(0, close + 1);
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(":")) {
      return Refused("characters after an IPv6 literal");
    }
    if (!rest.empty()) port = rest.substr(1);
  } else {
    const size_t colon = authority.find(':');
    if (colon != std::string_view::npos) {
      if (authority.find(':', colon + 1) != std::string_view::npos) {
        return Refused("an IPv6 address outside brackets");
      }
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
    }
  }
  absl::StatusOr<std::string> canonical = CanonicalHost(host, host_form);
  if (!canonical.ok()) return canonical.status();
  if (port.size() > 5) return Refused("an invalid port");
  for (char c : port) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return Refused("an invalid port");
    }
  }
  if (!port.empty() && std::atoi(std::string(port).c_str()) > 65535) {
    return Refused("an invalid port");
  }
  const bool default_port = (scheme == "https" && port == "443") ||
                            (scheme == "http" && port == "80");
  if (port.empty() || default_port) return *canonical;
  return absl::StrCat(*canonical, ":", std::string(port));
}

}  // namespace

std::string_view UrlAuthority(std::string_view url) {
  const size_t separator = url.find("://");
  if (separator == std::string_view::npos) return {};
  const std::string_view rest = url.substr(separator + 3);
  return rest.substr(0, rest.find_first_of("/?#"));
}

absl::StatusOr<CanonicalUrl> CanonicalizeUrl(std::string_view url,
                                             HostForm host_form) {
  if (url.size() > kMaxUrlBytes) return Refused("longer than 8192 bytes");
  const size_t separator = url.find("://");
  if (separator == std::string_view::npos)
    return Refused("not an absolute URL");
  const std::string scheme =
      absl::AsciiStrToLower(std::string(url.substr(0, separator)));
  if (scheme != "http" && scheme != "https")
    return Refused("a scheme other than http(s)");
  std::string_view rest = url.substr(separator + 3);
  const size_t fragment = rest.find('#');
  if (fragment != std::string_view::npos) rest = rest.substr(0, fragment);
  const std::string_view authority = UrlAuthority(url);
  rest.remove_prefix(authority.size());
  const size_t query_start = rest.find('?');
  std::string_view path = rest.substr(0, query_start);
  absl::StatusOr<std::string> canonical_authority =
      Authority(scheme, authority, host_form);
  if (!canonical_authority.ok()) return canonical_authority.status();
  // Percent-encoding first (RFC 3986 6.2.2.2 before 6.2.2.3): a decoded
  // "%2E" is a dot segment like any other, and the result is canonical
  // again when canonicalized again.
  absl::StatusOr<std::string> canonical_path =
      NormalizePercent(path.empty() ? "/" : path);
  if (!canonical_path.ok()) return canonical_path.status();
  *canonical_path = RemoveDotSegments(*canonical_path);
  CanonicalUrl out;
  out.authority = *canonical_authority;
  out.target_uri = absl::StrCat(scheme, "://", out.authority, *canonical_path);
  if (query_start != std::string_view::npos) {
    absl::StatusOr<std::string> query =
        NormalizePercent(rest.substr(query_start + 1));
    if (!query.ok()) return query.status();
    absl::StrAppend(&out.target_uri, "?", *query);
  }
  return out;
}

absl::StatusOr<std::string> CanonicalizeAuthority(std::string_view scheme,
                                                  std::string_view authority) {
  if (authority.size() > 1024)
    return Refused("an authority longer than 1024 bytes");
  if (authority.find('@') != std::string_view::npos) {
    return Refused("userinfo in a Host header");
  }
  return Authority(absl::AsciiStrToLower(std::string(scheme)), authority,
                   HostForm::kWire);
}

}  // namespace adcp::httpsig
