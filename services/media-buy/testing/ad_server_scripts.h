// How the fake ad servers answer: a Google Ad Manager and a Kevel that create
// what they are asked to (the adapter tests' fixtures and the standalone
// adcp-fake-ad-servers of ./dev chaos share them). Test-only.
#pragma once

#include <string>

#include "services/media-buy/testing/fake_ad_server.h"

namespace adcp::media_buy::testing {

inline constexpr char kFakeGamAccessToken[] =
    "ya29.test-access-token-never-logged";

// A JSON answer (Kevel).
FakeAnswer JsonAnswer(const std::string& body, int status = 200);

// A SOAP envelope around `inner` (Ad Manager v202511).
FakeAnswer SoapAnswer(const std::string& inner);

// The local name of the SOAP call a request body carries ("createOrders"),
// empty when the body is no SOAP call.
std::string SoapMethod(const std::string& body);

// A Kevel that creates everything it is asked to, numbering ids from 100.
FakeAnswer HappyKevel(const RecordedRequest& request);

// An Ad Manager that creates what it is asked to, numbering from 900; it
// answers the token endpoint (/token) and the report download (/report.csv).
FakeAnswer HappyGam(const RecordedRequest& request);

}  // namespace adcp::media_buy::testing
