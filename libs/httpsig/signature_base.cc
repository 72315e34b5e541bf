#include "libs/httpsig/signature_base.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/httpsig/target_uri.h"

namespace adcp::httpsig {
namespace {

// Fields whose value is one value, never a list: a second field line, or a
// comma outside a quoted string, makes them ambiguous.
bool IsSingletonField(std::string_view name) {
  return name == "content-type" || name == "content-length" ||
         name == "authorization" || name == "host";
}

bool HasTopLevelComma(std::string_view value) {
  bool quoted = false;
  for (size_t i = 0; i < value.size(); ++i) {
    if (quoted && value[i] == '\\') {
      ++i;
    } else if (value[i] == '"') {
      quoted = !quoted;
    } else if (!quoted && value[i] == ',') {
      return true;
    }
  }
  return false;
}

bool HasNonAscii(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return true;
  }
  return false;
}

BaseError UrlError(const HttpMessage& message, const absl::Status& status) {
  // A U-label on the wire is a malformed request, as the profile's vector
  // for it says; every other refusal is a malformed target URI.
  if (HasNonAscii(UrlAuthority(message.url))) {
    return {"signature_header_malformed", std::string(status.message())};
  }
  return {"target_uri_malformed", std::string(status.message())};
}

}  // namespace

std::vector<std::string> HttpMessage::FieldLines(std::string_view name) const {
  std::vector<std::string> lines;
  for (const auto& [field, value] : headers) {
    if (absl::EqualsIgnoreCase(field,
                               absl::string_view(name.data(), name.size()))) {
      lines.emplace_back(absl::StripAsciiWhitespace(value));
    }
  }
  return lines;
}

std::variant<std::string, BaseError> ComponentValue(
    const HttpMessage& message, std::string_view component) {
  if (component == "@method") return absl::AsciiStrToUpper(message.method);
  if (component == "@target-uri" || component == "@authority") {
    absl::StatusOr<CanonicalUrl> url =
        CanonicalizeUrl(message.url, HostForm::kWire);
    if (!url.ok()) return UrlError(message, url.status());
    if (component == "@target-uri") return url->target_uri;
    // A Host header, when the message has one, must name the same
    // authority as the URL (no replay to another virtual host).
    const std::vector<std::string> hosts = message.FieldLines("host");
    if (hosts.size() > 1) {
      return BaseError{"target_uri_malformed", "more than one Host"};
    }
    if (hosts.size() == 1) {
      const std::string scheme = message.url.substr(0, message.url.find("://"));
      absl::StatusOr<std::string> host =
          CanonicalizeAuthority(scheme, hosts[0]);
      if (!host.ok() || *host != url->authority) {
        return BaseError{"target_uri_malformed",
                         "the Host header does not match @target-uri"};
      }
    }
    return url->authority;
  }
  if (component.starts_with("@")) {
    return BaseError{"signature_components_unexpected",
                     absl::StrCat("derived component ", std::string(component),
                                  " is not in the AdCP profile")};
  }
  const std::vector<std::string> lines = message.FieldLines(component);
  if (lines.empty()) {
    return BaseError{
        "signature_components_incomplete",
        absl::StrCat("covered field ", std::string(component), " is absent")};
  }
  if (IsSingletonField(component) &&
      (lines.size() > 1 || HasTopLevelComma(lines[0]))) {
    return BaseError{"signature_header_malformed",
                     absl::StrCat("covered field ", std::string(component),
                                  " holds more than one value")};
  }
  return absl::StrJoin(lines, ", ");
}

std::variant<std::string, BaseError> SignatureBase(const HttpMessage& message,
                                                   const InnerList& covered) {
  std::string base;
  for (const Item& component : covered.items) {
    const BareItem& name = component.value;
    if (!name.is_string() || !component.params.empty() ||
        name.text != absl::AsciiStrToLower(name.text)) {
      return BaseError{"signature_header_malformed",
                       "a component identifier that is not a lowercase "
                       "string without parameters"};
    }
    std::variant<std::string, BaseError> value =
        ComponentValue(message, name.text);
    if (auto* error = std::get_if<BaseError>(&value)) return *error;
    absl::StrAppend(&base, "\"", name.text,
                    "\": ", std::get<std::string>(value), "\n");
  }
  absl::StrAppend(&base,
                  "\"@signature-params\": ", SerializeInnerList(covered));
  return base;
}

}  // namespace adcp::httpsig
