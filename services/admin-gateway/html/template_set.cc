#include "services/admin-gateway/html/template_set.h"

#include <ctemplate/template.h>
#include <ctemplate/template_cache.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/base/log.h"

namespace adcp::admin_gateway::html {

namespace {
constexpr char kAutoEscape[] = R"({{%AUTOESCAPE context="HTML"}})";
}  // namespace

TemplateSet::TemplateSet(std::unique_ptr<ctemplate::TemplateCache> cache)
    : cache_(std::move(cache)) {}

TemplateSet::~TemplateSet() = default;

absl::StatusOr<std::unique_ptr<TemplateSet>> TemplateSet::Load(
    std::span<const TemplateSource> sources) {
  auto cache = std::make_unique<ctemplate::TemplateCache>();
  for (const TemplateSource& source : sources) {
    const std::string name(source.name);
    if (!source.text.starts_with(kAutoEscape)) {
      return absl::InvalidArgumentError(
          absl::StrCat("template ", name, ": does not begin with ", kAutoEscape,
                       " (values would not be escaped)"));
    }
    if (cache->StringToTemplateCache(
            name,
            ctemplate::TemplateString(source.text.data(), source.text.size()),
            ctemplate::STRIP_WHITESPACE) == false) {
      return absl::InvalidArgumentError(absl::StrCat(
          "template ", name, ": does not parse, or its name is taken"));
    }
  }
  // No template is ever looked for on disk.
  cache->Freeze();
  return std::unique_ptr<TemplateSet>(new TemplateSet(std::move(cache)));
}

std::string TemplateSet::Render(const std::string& name,
                                const Dictionary& dictionary) const {
  std::string out;
  if (!cache_->ExpandNoLoad(name, ctemplate::STRIP_WHITESPACE, &dictionary,
                            nullptr, &out)) {
    log::Error("template expansion failed (a missing template or include)",
               {{"template", name}});
  }
  return out;
}

Dictionary* Include(Dictionary& parent, const std::string& marker,
                    const std::string& name) {
  Dictionary* include = parent.AddIncludeDictionary(marker);
  include->SetFilename(name);
  return include;
}

}  // namespace adcp::admin_gateway::html
