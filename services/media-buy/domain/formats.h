// The creative formats this deployment accepts: the standard display and
// video formats, identified by the creative agent that defines them.
#pragma once

#include <string>
#include <vector>

#include "adcp/media_buy/v1/media_buy.pb.h"

namespace adcp::media_buy {

namespace pb = ::adcp::media_buy::v1;

// Default agent_url of the standard formats (MEDIA_BUY_FORMAT_AGENT_URL).
inline constexpr char kStandardFormatAgent[] =
    "https://creative.adcontextprotocol.org";

class FormatCatalog {
 public:
  explicit FormatCatalog(std::string agent_url = kStandardFormatAgent);

  const std::string& agent_url() const { return agent_url_; }
  const std::vector<pb::Format>& formats() const { return formats_; }
  // Null for a format this deployment does not know (by agent_url + id).
  const pb::Format* Find(const pb::FormatId& id) const;
  pb::FormatId Id(const std::string& id) const;

 private:
  std::string agent_url_;
  std::vector<pb::Format> formats_;
};

}  // namespace adcp::media_buy
