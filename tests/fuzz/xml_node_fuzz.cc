// ParseXml (Ad Manager SOAP responses, services/media-buy/xml_node.h) and
// the tree walks the adapter uses on its result. Properties:
//  - a failure is INVALID_ARGUMENT "malformed XML ...";
//  - the tree: named elements, no layout-only text beside child elements,
//    depth within the parser's limit;
//  - Serialize() parses back to the same tree, except that XmlEscape drops
//    control characters other than tab, CR and LF (XML 1.0 cannot hold
//    them; &#1; in a response reads as U+0001 and is not written back);
//  - Find is FindAll's first match; FindAll and Child return only nodes of
//    the name asked for.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "services/media-buy/adapters/gam/xml_node.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using adcp::media_buy::LocalName;
using adcp::media_buy::ParseXml;
using adcp::media_buy::XmlNode;

bool AllSpace(const std::string& text) {
  return std::all_of(text.begin(), text.end(), absl::ascii_isspace);
}

void CheckTree(const XmlNode& node, int depth) {
  FUZZ_CHECK(depth <= 101, "a tree deeper than the parser allows");
  FUZZ_CHECK(!node.name.empty(), "an element without a name");
  FUZZ_CHECK(
      node.children.empty() || node.text.empty() || !AllSpace(node.text),
      "layout whitespace kept beside child elements in <" + node.name + ">");
  for (const XmlNode& child : node.children) CheckTree(child, depth + 1);
}

std::string DropControls(const std::string& text) {
  std::string out;
  for (char c : text)
    if (static_cast<unsigned char>(c) >= 0x20 || c == '\t' || c == '\n' ||
        c == '\r')
      out += c;
  return out;
}

// The tree Serialize() can express.
XmlNode Expressible(const XmlNode& node) {
  XmlNode out(node.name, DropControls(node.text));
  for (const auto& [key, value] : node.attributes)
    out.Attr(key, DropControls(value));
  for (const XmlNode& child : node.children) out.Add(Expressible(child));
  if (!out.children.empty() && AllSpace(out.text)) out.text.clear();
  return out;
}

bool Same(const XmlNode& a, const XmlNode& b) {
  if (a.name != b.name || a.text != b.text || a.attributes != b.attributes ||
      a.children.size() != b.children.size())
    return false;
  for (size_t i = 0; i < a.children.size(); ++i)
    if (!Same(a.children[i], b.children[i])) return false;
  return true;
}

void CheckLookups(const XmlNode& root, std::string_view name) {
  const std::vector<const XmlNode*> all = root.FindAll(name);
  const XmlNode* first = root.Find(name);
  FUZZ_CHECK(all.empty() ? first == nullptr : first == all.front(),
             "Find is not FindAll's first match for " + std::string(name));
  for (const XmlNode* found : all)
    FUZZ_CHECK(LocalName(found->name) == name, found->name);
  if (const XmlNode* child = root.Child(name)) {
    FUZZ_CHECK(LocalName(child->name) == name, child->name);
    FUZZ_CHECK(root.ChildText(name) == child->text, child->name);
  } else {
    FUZZ_CHECK(root.ChildText(name).empty(), std::string(name));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input = adcp_fuzz::AsText(data, size);
  absl::StatusOr<XmlNode> root = ParseXml(input);
  if (!root.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(root.status()) &&
                   absl::StartsWith(root.status().message(), "malformed XML"),
               root.status().ToString());
    return 0;
  }
  CheckTree(*root, 0);

  const std::string written = root->Serialize();
  const absl::StatusOr<XmlNode> again = ParseXml(written);
  FUZZ_CHECK(again.ok(), "Serialize() wrote what ParseXml refuses (" +
                             again.status().ToString() + "): " + written);
  FUZZ_CHECK(Same(*again, Expressible(*root)),
             "Serialize() and ParseXml do not round trip: " + written);
  // After one round (which drops what XML cannot say) it is a fixpoint.
  const std::string rewritten = again->Serialize();
  const absl::StatusOr<XmlNode> third = ParseXml(rewritten);
  FUZZ_CHECK(
      third.ok() && Same(*third, *again) && third->Serialize() == rewritten,
      "Serialize() and ParseXml are not a fixpoint: " + rewritten);

  // What the Ad Manager adapter looks up, and names from the document.
  for (std::string_view name :
       {"Envelope", "Body", "Fault", "faultstring", "rval", "id", "networkCode",
        "ApiExceptionFault", "errors", "reason"})
    CheckLookups(*root, name);
  CheckLookups(*root, LocalName(root->name));
  for (const XmlNode& child : root->children)
    CheckLookups(*root, LocalName(child.name));
  return 0;
}
