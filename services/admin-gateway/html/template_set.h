// HTML pages from ctemplate templates that escape every value by default.
//
// A TemplateSet holds templates parsed once from text compiled into the
// binary (adcp_embed_templates in embed_templates.cmake turns a folder of
// .tpl files into a TemplateSource list), so a deployed binary reads no
// template files. Every template must begin with the pragma
//   {{%AUTOESCAPE context="HTML"}}
// (Load refuses one without it). Under it ctemplate parses the markup and
// escapes each variable for the place it stands in: HTML text and quoted
// attribute values are HTML-escaped (& < > " '), a URL attribute that starts
// with a variable is also checked (anything but http(s) or a relative URL
// becomes "#"), and a value inside <style> is cleansed to CSS-safe
// characters. A value reaches the page unescaped only where the template
// says so ({{X:none}}); a modifier a template names must itself be safe for
// its place, e.g. {{X:pre_escape}} in a <textarea> (escapes like :h but
// keeps newlines, which :h turns into spaces).
//
// Dictionaries are ctemplate's: SetValue for {{X}}, ShowSection or
// AddSectionDictionary (once per repetition) for {{#S}}...{{/S}}, and
// Include() for {{>I}}. A section dictionary sees its parent's values; an
// include dictionary does not.
#pragma once

// ctemplate's str_ref.h calls strlen without including <cstring>.
// clang-format off
#include <cstring>
#include <ctemplate/template_dictionary.h>
// clang-format on

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace ctemplate {
class TemplateCache;
}

namespace adcp::admin_gateway::html {

using Dictionary = ctemplate::TemplateDictionary;

// One template: its name (its file name, e.g. "frame.tpl") and its text.
struct TemplateSource {
  std::string_view name;
  std::string_view text;
};

class TemplateSet {
 public:
  // Parses every source. Fails on a template without the AUTOESCAPE pragma,
  // one ctemplate cannot parse, or a name given twice.
  static absl::StatusOr<std::unique_ptr<TemplateSet>> Load(
      std::span<const TemplateSource> sources);
  ~TemplateSet();

  // Expands template `name` with `dictionary`. Each template line's leading
  // and trailing whitespace and its newline are left out (ctemplate's
  // STRIP_WHITESPACE), so templates are indented freely and a space that
  // matters stays inside a line; values are emitted as they are. A name or
  // include the set does not hold is a programming error: logged, and the
  // page comes out without it. Thread-safe.
  std::string Render(const std::string& name,
                     const Dictionary& dictionary) const;

 private:
  explicit TemplateSet(std::unique_ptr<ctemplate::TemplateCache> cache);
  std::unique_ptr<ctemplate::TemplateCache> cache_;
};

// The dictionary of `parent`'s include {{>marker}}, expanded from template
// `name` of the same set.
Dictionary* Include(Dictionary& parent, const std::string& marker,
                    const std::string& name);

}  // namespace adcp::admin_gateway::html
