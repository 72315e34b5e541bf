#include "services/media-buy/adapters/gam/xml_node.h"

#include <algorithm>
#include <cstdlib>
#include <functional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

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

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  absl::StatusOr<XmlNode> Document() {
    SkipMisc();
    if (!Peek('<')) return Error("no root element");
    XmlNode root;
    if (absl::Status s = Element(root, 0); !s.ok()) return s;
    SkipMisc();
    if (pos_ != text_.size()) return Error("content after the root element");
    return root;
  }

 private:
  absl::Status Error(const char* what) const {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed XML at offset ", pos_, ": ", what));
  }

  bool Peek(char c) const { return pos_ < text_.size() && text_[pos_] == c; }
  bool Starts(std::string_view s) const {
    return text_.substr(pos_, s.size()) == s;
  }
  void SkipSpace() {
    while (pos_ < text_.size() && absl::ascii_isspace(text_[pos_])) ++pos_;
  }
  bool SkipPast(std::string_view end) {
    const size_t found = text_.find(end, pos_);
    if (found == std::string_view::npos) return false;
    pos_ = found + end.size();
    return true;
  }
  // Declarations, processing instructions, comments, whitespace.
  void SkipMisc() {
    while (true) {
      SkipSpace();
      if (Starts("<?")) {
        if (!SkipPast("?>")) return;
      } else if (Starts("<!--")) {
        if (!SkipPast("-->")) return;
      } else {
        return;
      }
    }
  }

  std::string Name() {
    const size_t start = pos_;
    while (pos_ < text_.size() &&
           (absl::ascii_isalnum(text_[pos_]) || text_[pos_] == ':' ||
            text_[pos_] == '_' || text_[pos_] == '-' || text_[pos_] == '.'))
      ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }

  absl::Status Unescape(std::string_view raw, std::string& out) {
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '&') {
        out += raw[i];
        continue;
      }
      const size_t semi = raw.find(';', i);
      if (semi == std::string_view::npos) return Error("unterminated entity");
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
          return Error("bad character reference");
        AppendUtf8(static_cast<uint32_t>(code), out);
      } else {
        return Error("unknown entity");
      }
      i = semi;
    }
    return absl::OkStatus();
  }

  static void AppendUtf8(uint32_t code, std::string& out) {
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

  absl::Status Element(XmlNode& node, int depth) {
    if (depth > 100) return Error("nested too deeply");
    ++pos_;  // '<'
    node.name = Name();
    if (node.name.empty()) return Error("element without a name");
    while (true) {
      SkipSpace();
      if (Starts("/>")) {
        pos_ += 2;
        return absl::OkStatus();
      }
      if (Peek('>')) {
        ++pos_;
        break;
      }
      std::string key = Name();
      if (key.empty()) return Error("bad attribute");
      SkipSpace();
      if (!Peek('=')) return Error("attribute without a value");
      ++pos_;
      SkipSpace();
      if (!Peek('"') && !Peek('\'')) return Error("unquoted attribute");
      const char quote = text_[pos_++];
      const size_t end = text_.find(quote, pos_);
      if (end == std::string_view::npos) return Error("unterminated attribute");
      std::string value;
      if (absl::Status s = Unescape(text_.substr(pos_, end - pos_), value);
          !s.ok())
        return s;
      pos_ = end + 1;
      node.attributes.emplace_back(std::move(key), std::move(value));
    }
    while (true) {
      if (pos_ >= text_.size()) return Error("unterminated element");
      if (Starts("</")) {
        pos_ += 2;
        if (Name() != node.name) return Error("mismatched end tag");
        SkipSpace();
        if (!Peek('>')) return Error("bad end tag");
        ++pos_;
        return absl::OkStatus();
      }
      if (Starts("<!--")) {
        if (!SkipPast("-->")) return Error("unterminated comment");
      } else if (Starts("<![CDATA[")) {
        pos_ += 9;
        const size_t end = text_.find("]]>", pos_);
        if (end == std::string_view::npos) return Error("unterminated CDATA");
        node.text += text_.substr(pos_, end - pos_);
        pos_ = end + 3;
      } else if (Starts("<?")) {
        if (!SkipPast("?>")) return Error("unterminated instruction");
      } else if (Peek('<')) {
        XmlNode child;
        if (absl::Status s = Element(child, depth + 1); !s.ok()) return s;
        node.children.push_back(std::move(child));
      } else {
        const size_t end = text_.find('<', pos_);
        if (end == std::string_view::npos) return Error("unterminated element");
        if (absl::Status s =
                Unescape(text_.substr(pos_, end - pos_), node.text);
            !s.ok())
          return s;
        pos_ = end;
      }
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

absl::StatusOr<XmlNode> ParseXml(std::string_view document) {
  absl::StatusOr<XmlNode> root = Parser(document).Document();
  if (!root.ok()) return root;
  // Whitespace between child elements is layout, not content.
  std::function<void(XmlNode&)> trim = [&](XmlNode& node) {
    if (!node.children.empty() &&
        std::all_of(node.text.begin(), node.text.end(), absl::ascii_isspace))
      node.text.clear();
    for (XmlNode& child : node.children) trim(child);
  };
  trim(*root);
  return root;
}

}  // namespace adcp::media_buy
