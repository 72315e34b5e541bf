// What the ad-server adapter tests and bench/adapter_http_bench.cc place
// against a fake ad server: the buy they book and the Kevel tenant they book
// it for. Test-only.
#pragma once

#include <string>

#include "services/media-buy/adapters/adapter.h"

namespace adcp::media_buy::testing {

// Media buy mb_1 of principal buyer_a in `tenant_id`, in USD, for January
// 2026 (2026-01-01 to 2026-02-01 UTC); no packages.
AdapterBuy JanuaryBuy(const std::string& tenant_id);

// The Kevel adapter's context for tenant localnews ("Local News") against
// `base_url`: principal buyer_a mapped to advertiser 42; network 789,
// priority 7, ad type 5; the API key in the secret `key_secret`; report
// polls 1 ms apart.
AdapterContext KevelContext(const std::string& base_url,
                            const std::string& key_secret, Clock clock);

// The Google Ad Manager adapter's context for tenant nytimes ("The New York
// Times") against `base_url` (its token endpoint at base_url/token):
// principal buyer_a mapped to company 555; network 123456, trafficker 777,
// ad unit 2001, sizes 300x250 and 728x90; the service account key in the
// secret `key_secret`; report polls 1 ms apart.
AdapterContext GamContext(const std::string& base_url,
                          const std::string& key_secret, Clock clock);

}  // namespace adcp::media_buy::testing
