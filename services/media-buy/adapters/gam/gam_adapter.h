// The Google Ad Manager adapter: the Ad Manager SOAP API, authenticated as a
// service account (OAuth 2.0 JWT bearer flow, RS256).
//
// A media buy becomes an Order (advertiser: the principal's
// platform_mappings.google_ad_manager.company_id, else the tenant's
// company_id; trafficker: trafficker_id), one LineItem per package (its type
// from the delivery type and pricing model: guaranteed CPM/vCPM/CPC/CPCV ->
// STANDARD, guaranteed flat rate -> SPONSORSHIP at CPD, non-guaranteed
// CPM/CPC -> PRICE_PRIORITY), Creatives (ImageRedirectCreative for images,
// ThirdPartyCreative for HTML) and LineItemCreativeAssociations. The order
// is approved once its line items exist (approve_orders, default true).
// Pause/resume are PauseLineItems/ResumeLineItems actions; date, budget and
// goal changes update the line items read back from Ad Manager; delivery
// comes from a ReportService job by line item.
//
// Config (adapters.google_ad_manager over the base config): network_code,
// company_id, trafficker_id, service_account_key_secret (the deployment
// secret holding the JSON key), ad_unit_ids (targeted ad units),
// creative_sizes (["300x250"]), api_version (v202511), endpoint
// (https://ads.google.com), token_url (the key's token_uri), time_zone
// (America/New_York), approve_orders, timeout_seconds,
// report_poll_attempts (30), report_poll_interval_ms (2000).
#pragma once

#include "services/media-buy/adapters/adapter_toolkit.h"

namespace adcp::media_buy {

inline constexpr char kGamAdapterName[] = "google_ad_manager";
inline constexpr char kGamDefaultApiVersion[] = "v202511";

AdapterFactory GamAdapterFactory(AdapterDeps deps);

}  // namespace adcp::media_buy
