// absl::Status helpers used inside the code. The converters to and from
// grpc::Status are in libs/grpc/grpc_status.h.
#pragma once

#include <exception>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Debian's Abseil (20220623) has no status macros; these are ours.
#define ADCP_STATUS_CONCAT_INNER(a, b) a##b
#define ADCP_STATUS_CONCAT(a, b) ADCP_STATUS_CONCAT_INNER(a, b)

// Returns from the enclosing function when `expr` is not OK.
#define RETURN_IF_ERROR(expr)                                     \
  do {                                                            \
    if (::absl::Status adcp_status_ = (expr); !adcp_status_.ok()) \
      return adcp_status_;                                        \
  } while (false)

// `ASSIGN_OR_RETURN(auto x, FnReturningStatusOr());`
#define ASSIGN_OR_RETURN(lhs, expr)                                        \
  ADCP_ASSIGN_OR_RETURN_IMPL(ADCP_STATUS_CONCAT(adcp_statusor_, __LINE__), \
                             lhs, expr)
#define ADCP_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return std::move(tmp).status();   \
  lhs = *std::move(tmp)
