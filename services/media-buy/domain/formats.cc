#include "services/media-buy/domain/formats.h"

#include <google/protobuf/util/json_util.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace adcp::media_buy {
namespace {

nlohmann::json ImageAsset(int width, int height) {
  return {{"item_type", "individual"},
          {"asset_id", "banner_image"},
          {"asset_type", "image"},
          {"required", true},
          {"requirements",
           {{"min_width", width},
            {"max_width", width},
            {"min_height", height},
            {"max_height", height},
            {"formats", {"jpg", "png", "gif"}},
            {"max_file_size_kb", 150}}}};
}

nlohmann::json ClickUrl() {
  return {{"item_type", "individual"},
          {"asset_id", "click_url"},
          {"asset_type", "url"},
          {"required", true}};
}

nlohmann::json VideoAsset(int seconds) {
  return {{"item_type", "individual"},
          {"asset_id", "video_file"},
          {"asset_type", "video"},
          {"required", true},
          {"requirements",
           {{"min_duration_ms", seconds * 1000},
            {"max_duration_ms", seconds * 1000},
            {"containers", {"mp4"}}}}};
}

pb::Format MakeFormat(const std::string& agent_url, const std::string& id,
                      const std::string& name, const nlohmann::json& renders,
                      const nlohmann::json& assets) {
  nlohmann::json format = {
      {"format_id", {{"agent_url", agent_url}, {"id", id}}},
      {"name", name},
      {"renders", renders},
      {"assets", assets}};
  pb::Format out;
  // The literals above are ours; a parse failure is a programming error
  // caught by the catalogue's test.
  (void)google::protobuf::util::JsonStringToMessage(format.dump(), &out);
  return out;
}

pb::Format Display(const std::string& agent_url, int width, int height,
                   const std::string& name) {
  return MakeFormat(agent_url, absl::StrCat("display_", width, "x", height),
                    absl::StrCat(name, " ", width, "x", height),
                    {{{"role", "primary"},
                      {"dimensions", {{"width", width}, {"height", height}}}}},
                    {ImageAsset(width, height), ClickUrl()});
}

pb::Format Video(const std::string& agent_url, int seconds) {
  return MakeFormat(agent_url, absl::StrCat("video_", seconds, "s"),
                    absl::StrCat("Video ", seconds, "s (16:9)"),
                    {{{"role", "primary"},
                      {"dimensions", {{"width", 1920}, {"height", 1080}}}}},
                    {VideoAsset(seconds), ClickUrl()});
}

}  // namespace

FormatCatalog::FormatCatalog(std::string agent_url)
    : agent_url_(std::move(agent_url)) {
  formats_ = {
      Display(agent_url_, 300, 250, "Medium Rectangle"),
      Display(agent_url_, 728, 90, "Leaderboard"),
      Display(agent_url_, 320, 50, "Mobile Banner"),
      Display(agent_url_, 160, 600, "Wide Skyscraper"),
      Display(agent_url_, 970, 250, "Billboard"),
      Video(agent_url_, 15),
      Video(agent_url_, 30),
  };
}

const pb::Format* FormatCatalog::Find(const pb::FormatId& id) const {
  for (const pb::Format& format : formats_) {
    if (format.format_id().id() == id.id() &&
        format.format_id().agent_url() == id.agent_url()) {
      return &format;
    }
  }
  return nullptr;
}

pb::FormatId FormatCatalog::Id(const std::string& id) const {
  pb::FormatId out;
  out.set_agent_url(agent_url_);
  out.set_id(id);
  return out;
}

}  // namespace adcp::media_buy
