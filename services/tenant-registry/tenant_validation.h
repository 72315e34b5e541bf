// Field rules of the tenant registry's requests. Every error is
// INVALID_ARGUMENT naming the field and the rule it breaks.
#pragma once

#include <string_view>

#include "absl/status/status.h"

namespace adcp::tenant_registry {

// A lowercase DNS label (1-63 of a-z, 0-9, '-', no leading or trailing '-')
// that is not a reserved name (www, admin, api, ...).
absl::Status ValidateTenantId(std::string_view field, std::string_view value);
// The same rules; a subdomain becomes the first label of the tenant's host.
absl::Status ValidateSubdomain(std::string_view field, std::string_view value);
// A lowercase host name of two or more labels, 253 characters at most.
absl::Status ValidateVirtualHost(std::string_view field,
                                 std::string_view value);
// Not blank, 255 bytes at most, no control characters.
absl::Status ValidateName(std::string_view field, std::string_view value);
// standard, premium or enterprise.
absl::Status ValidateBillingPlan(std::string_view field,
                                 std::string_view value);
// 255 bytes at most, no control characters (empty allowed: clears it).
absl::Status ValidateBillingContact(std::string_view field,
                                    std::string_view value);

bool IsReservedName(std::string_view label);

}  // namespace adcp::tenant_registry
