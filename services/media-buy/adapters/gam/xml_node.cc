#include "services/media-buy/adapters/gam/xml_node.h"

#include <algorithm>
#include <cstdlib>
#include <pugixml.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/base/status.h"

namespace adcp::media_buy {

XmlNode& XmlNode::Add(std::string child_name, std::string child_text) {
  return Add(XmlNode(std::move(child_name), std::move(child_text)));
}

XmlNode& XmlNode::Add(XmlNode child) {
  children.push_back(std::move(child));
  return children.back();
}

XmlNode& XmlNode::Attr(std::string key, std::string value) {
  attributes.emplace_back(std::move(key), std::move(value));
  return *this;
}

std::string_view LocalName(std::string_view name) {
  const size_t colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

const XmlNode* XmlNode::Find(std::string_view local_name) const {
  for (const XmlNode& child : children) {
    if (LocalName(child.name) == local_name) return &child;
    if (const XmlNode* found = child.Find(local_name)) return found;
  }
  return nullptr;
}

XmlNode* XmlNode::Find(std::string_view local_name) {
  return const_cast<XmlNode*>(std::as_const(*this).Find(local_name));
}

std::vector<const XmlNode*> XmlNode::FindAll(
    std::string_view local_name) const {
  std::vector<const XmlNode*> out;
  for (const XmlNode& child : children) {
    if (LocalName(child.name) == local_name) {
      out.push_back(&child);
    } else {
      for (const XmlNode* found : child.FindAll(local_name))
        out.push_back(found);
    }
  }
  return out;
}

const XmlNode* XmlNode::Child(std::string_view local_name) const {
  for (const XmlNode& child : children)
    if (LocalName(child.name) == local_name) return &child;
  return nullptr;
}

XmlNode* XmlNode::Child(std::string_view local_name) {
  return const_cast<XmlNode*>(std::as_const(*this).Child(local_name));
}

std::string XmlNode::ChildText(std::string_view local_name) const {
  const XmlNode* child = Child(local_name);
  return child ? child->text : "";
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // Control characters other than tab and newlines are not XML.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' &&
            c != '\r')
          continue;
        out += c;
    }
  }
  return out;
}

std::string XmlNode::Serialize() const {
  std::string out = absl::StrCat("<", name);
  for (const auto& [key, value] : attributes)
    absl::StrAppend(&out, " ", key, "=\"", XmlEscape(value), "\"");
  if (text.empty() && children.empty()) return out + "/>";
  out += ">";
  out += XmlEscape(text);
  for (const XmlNode& child : children) out += child.Serialize();
  absl::StrAppend(&out, "</", name, ">");
  return out;
}

namespace {

// The parser's limits on an untrusted document.
constexpr size_t kMaxXmlBytes = 32 << 20;  // the transport's response cap
constexpr int kMaxXmlDepth = 100;          // below the root element

absl::Status Malformed(ptrdiff_t offset, const char* what) {
  return absl::InvalidArgumentError(
      absl::StrCat("malformed XML at offset ", offset, ": ", what));
}

void AppendUtf8(uint32_t code, std::string& out) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
}

// Decodes the five named entities and character references of `raw`
// (pugixml leaves an unknown entity as it is; here it is an error).
absl::Status Unescape(std::string_view raw, ptrdiff_t offset,
                      std::string& out) {
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '&') {
      out += raw[i];
      continue;
    }
    const size_t semi = raw.find(';', i);
    if (semi == std::string_view::npos)
      return Malformed(offset, "unterminated entity");
    const std::string_view entity = raw.substr(i + 1, semi - i - 1);
    if (entity == "lt") {
      out += '<';
    } else if (entity == "gt") {
      out += '>';
    } else if (entity == "amp") {
      out += '&';
    } else if (entity == "quot") {
      out += '"';
    } else if (entity == "apos") {
      out += '\'';
    } else if (entity.size() > 1 && entity[0] == '#') {
      const bool hex = entity[1] == 'x';
      const std::string digits(entity.substr(hex ? 2 : 1));
      char* end = nullptr;
      const unsigned long code =
          std::strtoul(digits.c_str(), &end, hex ? 16 : 10);
      if (digits.empty() || *end != '\0' || code > 0x10FFFF)
        return Malformed(offset, "bad character reference");
      AppendUtf8(static_cast<uint32_t>(code), out);
    } else {
      return Malformed(offset, "unknown entity");
    }
    i = semi;
  }
  return absl::OkStatus();
}

// The root of a fragment: exactly one element, beside it only layout
// whitespace (declarations, instructions and comments are not kept).
absl::StatusOr<pugi::xml_node> RootElement(const pugi::xml_document& doc) {
  pugi::xml_node root;
  for (pugi::xml_node node : doc.children()) {
    const ptrdiff_t offset = node.offset_debug();
    switch (node.type()) {
      case pugi::node_element:
        if (root) return Malformed(offset, "content after the root element");
        root = node;
        break;
      case pugi::node_pcdata: {
        const std::string_view text = node.value();
        if (!std::all_of(text.begin(), text.end(), absl::ascii_isspace))
          return Malformed(offset, "text outside the root element");
        break;
      }
      case pugi::node_doctype:
        return Malformed(offset, "document type declarations are refused");
      default:
        return Malformed(offset, "content outside the root element");
    }
  }
  if (!root) return Malformed(0, "no root element");
  return root;
}

// Copies `from`'s name, attributes and text into `to`, and appends an empty
// XmlNode to `to.children` per child element.
absl::Status CopyElement(pugi::xml_node from, XmlNode& to) {
  to.name = from.name();
  const ptrdiff_t offset = from.offset_debug();
  for (pugi::xml_attribute attribute : from.attributes()) {
    std::string value;
    RETURN_IF_ERROR(Unescape(attribute.value(), offset, value));
    to.attributes.emplace_back(attribute.name(), std::move(value));
  }
  for (pugi::xml_node child : from.children()) {
    switch (child.type()) {
      case pugi::node_element:
        to.children.emplace_back();
        break;
      case pugi::node_pcdata:
        RETURN_IF_ERROR(Unescape(child.value(), child.offset_debug(), to.text));
        break;
      case pugi::node_cdata:
        to.text += child.value();
        break;
      default:
        break;
    }
  }
  // Whitespace between child elements is layout, not content.
  if (!to.children.empty() &&
      std::all_of(to.text.begin(), to.text.end(), absl::ascii_isspace))
    to.text.clear();
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<XmlNode> ParseXml(std::string_view document) {
  if (document.size() > kMaxXmlBytes)
    return Malformed(kMaxXmlBytes, "document too large");
  // pugixml reads a NUL as the end of the buffer.
  if (const size_t nul = document.find('\0'); nul != std::string_view::npos)
    return Malformed(nul, "NUL character");
  // A fragment, so that text beside the root element is seen and refused;
  // entities are decoded by Unescape, which refuses unknown ones. No end of
  // line or attribute whitespace normalisation: values are kept as sent.
  pugi::xml_document doc;
  const pugi::xml_parse_result parsed =
      doc.load_buffer(document.data(), document.size(),
                      pugi::parse_cdata | pugi::parse_ws_pcdata |
                          pugi::parse_doctype | pugi::parse_fragment,
                      pugi::encoding_utf8);
  if (!parsed) return Malformed(parsed.offset, parsed.description());
  ASSIGN_OR_RETURN(pugi::xml_node root_element, RootElement(doc));

  // Depth first with an explicit stack: the depth is bounded before a deep
  // tree is built (and XmlNode's own recursion stays shallow).
  struct Pending {
    pugi::xml_node from;
    XmlNode* to;
    int depth;
  };
  XmlNode root;
  std::vector<Pending> stack = {{root_element, &root, 0}};
  while (!stack.empty()) {
    const Pending next = stack.back();
    stack.pop_back();
    if (next.depth > kMaxXmlDepth)
      return Malformed(next.from.offset_debug(), "nested too deeply");
    RETURN_IF_ERROR(CopyElement(next.from, *next.to));
    // next.to->children is complete: pointers into it stay valid.
    size_t index = 0;
    for (pugi::xml_node child : next.from.children()) {
      if (child.type() != pugi::node_element) continue;
      stack.push_back({child, &next.to->children[index++], next.depth + 1});
    }
  }
  return root;
}

}  // namespace adcp::media_buy
