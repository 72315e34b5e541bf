// The Kevel adapter: Kevel's Management API (REST/JSON, X-Adzerk-ApiKey).
//
// A media buy becomes a campaign of the principal's advertiser
// (platform_mappings.kevel.advertiser_id, else found by title or created),
// one flight per package (dates, rate type and price from the pricing model,
// an impressions goal or a lifetime revenue goal, the budget as lifetime
// revenue cap), creatives of the advertiser and ads mapping them to flights.
// Pause/resume and changes are read-modify-write PUTs of the campaign and
// flights (Kevel overwrites omitted fields); delivery comes from a queued
// report grouped by flight. The campaign is created inactive and activated
// once every flight exists, so a buy that failed halfway never serves.
//
// Config (adapters.kevel over the base config): network_id, api_key_secret
// (the deployment secret holding the API key), priority_id (flights),
// ad_type_id (creatives), base_url (https://api.kevel.co),
// timeout_seconds, report_poll_attempts (30), report_poll_interval_ms
// (1000).
#pragma once

#include "services/media-buy/adapters/adapter_toolkit.h"

namespace adcp::media_buy {

inline constexpr char kKevelAdapterName[] = "kevel";

AdapterFactory KevelAdapterFactory(AdapterDeps deps);

}  // namespace adcp::media_buy
