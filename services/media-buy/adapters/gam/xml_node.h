// A small XML element tree for the Ad Manager SOAP API: built with escaping,
// serialized, and parsed back from responses (elements, attributes, text,
// CDATA, comments, the five named entities and character references; no
// DTDs). Namespace prefixes are kept in names; lookups match local names.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace adcp::media_buy {

struct XmlNode {
  std::string name;
  std::vector<std::pair<std::string, std::string>> attributes;
  std::string text;  // character data directly inside, unescaped
  std::vector<XmlNode> children;

  XmlNode() = default;
  explicit XmlNode(std::string element_name, std::string element_text = "")
      : name(std::move(element_name)), text(std::move(element_text)) {}

  // Appends a child and returns it.
  XmlNode& Add(std::string child_name, std::string child_text = "");
  XmlNode& Add(XmlNode child);
  XmlNode& Attr(std::string key, std::string value);

  // The first descendant (depth first, this node excluded) whose local name
  // is `local_name`; nullptr when none.
  const XmlNode* Find(std::string_view local_name) const;
  XmlNode* Find(std::string_view local_name);
  // Every descendant so named, in document order (not below a match).
  std::vector<const XmlNode*> FindAll(std::string_view local_name) const;
  // The first direct child so named; nullptr when none.
  const XmlNode* Child(std::string_view local_name) const;
  XmlNode* Child(std::string_view local_name);
  // The text of the first direct child so named; empty when none.
  std::string ChildText(std::string_view local_name) const;

  std::string Serialize() const;
};

std::string_view LocalName(std::string_view name);
std::string XmlEscape(std::string_view text);

// The document's root element (parsed by pugixml); INVALID_ARGUMENT
// "malformed XML ..." when it is not well formed, has an unknown entity, a
// DTD or a NUL, is larger than 32 MiB or nests more than 100 elements below
// the root.
absl::StatusOr<XmlNode> ParseXml(std::string_view document);

}  // namespace adcp::media_buy
