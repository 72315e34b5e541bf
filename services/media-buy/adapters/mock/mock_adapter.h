// The built-in mock ad server: accepts every buy, names its orders after the
// buy, and simulates delivery deterministically from the flight dates, the
// pacing and the injected clock, so tests and demos see realistic, repeatable
// numbers.
#pragma once

#include <memory>

#include "services/media-buy/adapters/adapter.h"

namespace adcp::media_buy {

inline constexpr char kMockAdapterName[] = "mock";

// The fraction of a package's budget the mock has spent `f` of the way
// through its flight (0 <= f <= 1) for a pacing (even, asap, front_loaded).
double MockSpendCurve(const std::string& pacing, double f);

AdapterFactory MockAdapterFactory();

}  // namespace adcp::media_buy
