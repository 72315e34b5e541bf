// Google Ad Manager's SOAP values, without I/O: fault classification, PQL
// literals, the XML shapes of dates, money and statements, the rval of an
// answer, the CSV_DUMP delivery report, and the answers of a dry run.
#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/media-buy/adapters/adapter.h"
#include "services/media-buy/adapters/gam/xml_node.h"
#include "services/media-buy/adapters/http_transport.h"

namespace adcp::media_buy::gam_soap {

// A numeric Ad Manager id (at most 20 digits).
bool IsGamId(const std::string& id);
// The fault's text, for the logs.
std::string SoapFaultDetail(const HttpResponse& response);
// Whether the fault refuses the request (not an outage): not retried, not
// counted against the breaker.
bool SoapFaultIsRefusal(const HttpResponse& response);
// A PQL string literal.
std::string PqlString(const std::string& text);

// Ad Manager's DateTime and Date in `zone` (the network's time zone).
XmlNode DateTime(const std::string& name, absl::Time time, absl::TimeZone zone,
                 const std::string& zone_name);
XmlNode Date(const std::string& name, absl::Time time, absl::TimeZone zone);
XmlNode Money(const std::string& name, Micros amount,
              const std::string& currency);
XmlNode Statement(const std::string& query);

// rval's id; rval's child `field`, or rval's own text when `field` is empty.
std::string FirstRvalId(const XmlNode& answer);
std::string RvalText(const XmlNode& answer, const std::string& field);

// Delivery by line item id, from a CSV_DUMP report.
absl::StatusOr<std::map<std::string, PackageDeliveryReport>> ParseReport(
    const std::string& csv);

// What Ad Manager would plausibly answer `envelope`, without calling it;
// `dry_run_ids` numbers the ids it makes up.
XmlNode DryRunAnswer(const XmlNode& envelope, int& dry_run_ids);

}  // namespace adcp::media_buy::gam_soap
