#include "libs/httpsig/structured_fields.h"

#include <cmath>
#include <cstdio>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace adcp::httpsig {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLcAlpha(char c) { return c >= 'a' && c <= 'z'; }
bool IsAlpha(char c) { return IsLcAlpha(c) || (c >= 'A' && c <= 'Z'); }
// RFC 9110 tchar.
bool IsTchar(char c) {
  if (IsAlpha(c) || IsDigit(c)) return true;
  for (char t : std::string_view("!#$%&'*+-.^_`|~")) {
    if (c == t) return true;
  }
  return false;
}
// Both base64 alphabets (see DecodeBinary) and padding.
bool IsBase64Char(char c) {
  return IsAlpha(c) || IsDigit(c) || c == '+' || c == '/' || c == '=' ||
         c == '-' || c == '_';
}

absl::Status Malformed(std::string_view what, size_t at) {
  return absl::InvalidArgumentError(absl::StrCat(
      "structured field: ", absl::string_view(what.data(), what.size()),
      " at offset ", at));
}

// One pass over a field value; each method follows the algorithm of
// RFC 8941 section 4.2 of the same name.
class Parser {
 public:
  Parser(std::string_view input, const FieldLimits& limits)
      : in_(input), limits_(limits) {}

  absl::Status Begin() {
    if (in_.size() > limits_.max_bytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "structured field: longer than ", limits_.max_bytes, " bytes"));
    }
    SkipSp();
    return absl::OkStatus();
  }
  absl::Status End() {
    SkipSp();
    if (!AtEnd()) return Malformed("unexpected character", pos_);
    return absl::OkStatus();
  }

  absl::StatusOr<Dictionary> Dict() {
    Dictionary out;
    while (!AtEnd()) {
      absl::StatusOr<std::string> key = Key();
      if (!key.ok()) return key.status();
      for (const auto& [existing, unused] : out) {
        if (existing == *key) return Malformed("duplicate key", pos_);
      }
      Member member;
      if (Peek() == '=') {
        ++pos_;
        absl::StatusOr<Member> value = ItemOrInnerList();
        if (!value.ok()) return value.status();
        member = *std::move(value);
      } else {
        member.item.value = BareItem::Boolean(true);
        absl::StatusOr<Parameters> params = Params();
        if (!params.ok()) return params.status();
        member.item.params = *std::move(params);
      }
      out.emplace_back(*std::move(key), std::move(member));
      if (out.size() > limits_.max_members)
        return Malformed("too many members", pos_);
      absl::Status next = NextMember();
      if (!next.ok()) return next;
    }
    return out;
  }

  absl::StatusOr<List> ListOf() {
    List out;
    while (!AtEnd()) {
      absl::StatusOr<Member> member = ItemOrInnerList();
      if (!member.ok()) return member.status();
      out.push_back(*std::move(member));
      if (out.size() > limits_.max_members)
        return Malformed("too many members", pos_);
      absl::Status next = NextMember();
      if (!next.ok()) return next;
    }
    return out;
  }

  absl::StatusOr<Item> ItemWithParams() {
    absl::StatusOr<BareItem> value = Bare();
    if (!value.ok()) return value.status();
    absl::StatusOr<Parameters> params = Params();
    if (!params.ok()) return params.status();
    return Item{*std::move(value), *std::move(params)};
  }

 private:
  bool AtEnd() const { return pos_ >= in_.size(); }
  char Peek() const { return AtEnd() ? '\0' : in_[pos_]; }
  void SkipSp() {
    while (Peek() == ' ') ++pos_;
  }
  void SkipOws() {
    while (Peek() == ' ' || Peek() == '\t') ++pos_;
  }

  // After a member: end of input, or a comma and another member.
  absl::Status NextMember() {
    SkipOws();
    if (AtEnd()) return absl::OkStatus();
    if (Peek() != ',') return Malformed("expected ','", pos_);
    ++pos_;
    SkipOws();
    if (AtEnd()) return Malformed("trailing ','", pos_);
    return absl::OkStatus();
  }

  absl::StatusOr<Member> ItemOrInnerList() {
    Member member;
    if (Peek() != '(') {
      absl::StatusOr<Item> item = ItemWithParams();
      if (!item.ok()) return item.status();
      member.item = *std::move(item);
      return member;
    }
    member.is_inner_list = true;
    ++pos_;
    while (true) {
      SkipSp();
      if (AtEnd()) return Malformed("unterminated inner list", pos_);
      if (Peek() == ')') {
        ++pos_;
        absl::StatusOr<Parameters> params = Params();
        if (!params.ok()) return params.status();
        member.inner.params = *std::move(params);
        return member;
      }
      absl::StatusOr<Item> item = ItemWithParams();
      if (!item.ok()) return item.status();
      member.inner.items.push_back(*std::move(item));
      if (member.inner.items.size() > limits_.max_inner_items) {
        return Malformed("too many inner list items", pos_);
      }
      if (Peek() != ' ' && Peek() != ')') {
        return Malformed("expected ' ' or ')' in inner list", pos_);
      }
    }
  }

  absl::StatusOr<Parameters> Params() {
    Parameters out;
    while (Peek() == ';') {
      ++pos_;
      SkipSp();
      absl::StatusOr<std::string> key = Key();
      if (!key.ok()) return key.status();
      for (const auto& [existing, unused] : out) {
        if (existing == *key) return Malformed("duplicate parameter", pos_);
      }
      BareItem value = BareItem::Boolean(true);
      if (Peek() == '=') {
        ++pos_;
        absl::StatusOr<BareItem> parsed = Bare();
        if (!parsed.ok()) return parsed.status();
        value = *std::move(parsed);
      }
      out.emplace_back(*std::move(key), std::move(value));
      if (out.size() > limits_.max_params)
        return Malformed("too many parameters", pos_);
    }
    return out;
  }

  absl::StatusOr<std::string> Key() {
    const size_t start = pos_;
    if (!IsLcAlpha(Peek()) && Peek() != '*')
      return Malformed("expected a key", pos_);
    while (!AtEnd()) {
      const char c = Peek();
      if (!IsLcAlpha(c) && !IsDigit(c) && c != '_' && c != '-' && c != '.' &&
          c != '*') {
        break;
      }
      ++pos_;
    }
    return std::string(in_.substr(start, pos_ - start));
  }

  absl::StatusOr<BareItem> Bare() {
    const char c = Peek();
    if (c == '-' || IsDigit(c)) return Number();
    if (c == '"') return String();
    if (IsAlpha(c) || c == '*') return Token();
    if (c == ':') return Bytes();
    if (c == '?') return Boolean();
    return Malformed("expected an item", pos_);
  }

  absl::StatusOr<BareItem> Number() {
    const size_t start = pos_;
    bool negative = false;
    if (Peek() == '-') {
      negative = true;
      ++pos_;
    }
    if (!IsDigit(Peek())) return Malformed("expected a digit", pos_);
    std::string digits;
    bool decimal = false;
    size_t fraction_digits = 0;
    while (!AtEnd()) {
      const char c = Peek();
      if (IsDigit(c)) {
        digits.push_back(c);
        if (decimal) ++fraction_digits;
      } else if (c == '.' && !decimal) {
        if (digits.size() > 12) return Malformed("decimal too long", pos_);
        digits.push_back(c);
        decimal = true;
      } else {
        break;
      }
      ++pos_;
      if (!decimal && digits.size() > 15)
        return Malformed("integer too long", start);
      if (decimal && fraction_digits > 3)
        return Malformed("decimal too long", start);
    }
    BareItem item;
    if (!decimal) {
      item.type = BareItem::Type::kInteger;
      item.integer = std::stoll(digits) * (negative ? -1 : 1);
      return item;
    }
    if (fraction_digits == 0)
      return Malformed("decimal without fraction", pos_);
    item.type = BareItem::Type::kDecimal;
    item.decimal = std::stod(digits) * (negative ? -1 : 1);
    return item;
  }

  absl::StatusOr<BareItem> String() {
    ++pos_;  // the opening quote
    std::string out;
    while (!AtEnd()) {
      const char c = in_[pos_++];
      if (c == '\\') {
        if (AtEnd()) return Malformed("unterminated string", pos_);
        const char escaped = in_[pos_++];
        if (escaped != '"' && escaped != '\\') {
          return Malformed("invalid escape in string", pos_ - 1);
        }
        out.push_back(escaped);
      } else if (c == '"') {
        return BareItem::String(std::move(out));
      } else if (c < 0x20 || c > 0x7e) {
        return Malformed("invalid character in string", pos_ - 1);
      } else {
        out.push_back(c);
      }
    }
    return Malformed("unterminated string", pos_);
  }

  absl::StatusOr<BareItem> Token() {
    const size_t start = pos_;
    while (!AtEnd() && (IsTchar(Peek()) || Peek() == ':' || Peek() == '/')) {
      ++pos_;
    }
    return BareItem::Token(std::string(in_.substr(start, pos_ - start)));
  }

  absl::StatusOr<BareItem> Bytes() {
    const size_t start = ++pos_;
    while (!AtEnd() && Peek() != ':') {
      if (!IsBase64Char(Peek()))
        return Malformed("invalid byte sequence", pos_);
      ++pos_;
    }
    if (AtEnd()) return Malformed("unterminated byte sequence", pos_);
    BareItem item;
    item.type = BareItem::Type::kByteSequence;
    item.text = std::string(in_.substr(start, pos_ - start));
    ++pos_;  // the closing colon
    return item;
  }

  absl::StatusOr<BareItem> Boolean() {
    ++pos_;
    if (Peek() != '0' && Peek() != '1')
      return Malformed("invalid boolean", pos_);
    return BareItem::Boolean(in_[pos_++] == '1');
  }

  const std::string_view in_;
  const FieldLimits& limits_;
  size_t pos_ = 0;
};

template <typename Result, typename Parse>
absl::StatusOr<Result> ParseWhole(std::string_view field,
                                  const FieldLimits& limits, Parse parse) {
  Parser parser(field, limits);
  absl::Status begun = parser.Begin();
  if (!begun.ok()) return begun;
  absl::StatusOr<Result> result = parse(parser);
  if (!result.ok()) return result.status();
  absl::Status ended = parser.End();
  if (!ended.ok()) return ended;
  return result;
}

}  // namespace

BareItem BareItem::Integer(int64_t value) {
  BareItem item;
  item.type = Type::kInteger;
  item.integer = value;
  return item;
}
BareItem BareItem::String(std::string value) {
  BareItem item;
  item.type = Type::kString;
  item.text = std::move(value);
  return item;
}
BareItem BareItem::Token(std::string value) {
  BareItem item;
  item.type = Type::kToken;
  item.text = std::move(value);
  return item;
}
BareItem BareItem::Boolean(bool value) {
  BareItem item;
  item.type = Type::kBoolean;
  item.integer = value ? 1 : 0;
  return item;
}

absl::StatusOr<Dictionary> ParseDictionary(std::string_view field,
                                           const FieldLimits& limits) {
  return ParseWhole<Dictionary>(field, limits,
                                [](Parser& p) { return p.Dict(); });
}
absl::StatusOr<List> ParseList(std::string_view field,
                               const FieldLimits& limits) {
  return ParseWhole<List>(field, limits, [](Parser& p) { return p.ListOf(); });
}
absl::StatusOr<Item> ParseItem(std::string_view field,
                               const FieldLimits& limits) {
  return ParseWhole<Item>(field, limits,
                          [](Parser& p) { return p.ItemWithParams(); });
}

const BareItem* FindParam(const Parameters& params, std::string_view key) {
  for (const auto& [name, value] : params) {
    if (name == key) return &value;
  }
  return nullptr;
}

const Member* FindMember(const Dictionary& dictionary, std::string_view key) {
  for (const auto& [name, member] : dictionary) {
    if (name == key) return &member;
  }
  return nullptr;
}

std::string SerializeBareItem(const BareItem& item) {
  switch (item.type) {
    case BareItem::Type::kInteger:
      return std::to_string(item.integer);
    case BareItem::Type::kDecimal: {
      char buffer[40];
      std::snprintf(buffer, sizeof buffer, "%.3f", item.decimal);
      std::string out(buffer);
      while (out.size() > 1 && out.back() == '0' &&
             out[out.size() - 2] != '.') {
        out.pop_back();
      }
      return out;
    }
    case BareItem::Type::kString: {
      std::string out = "\"";
      for (char c : item.text) {
        if (c == '"' || c == '\\') out.push_back('\\');
        out.push_back(c);
      }
      out.push_back('"');
      return out;
    }
    case BareItem::Type::kToken:
      return item.text;
    case BareItem::Type::kByteSequence:
      return absl::StrCat(":", item.text, ":");
    case BareItem::Type::kBoolean:
      return item.integer ? "?1" : "?0";
  }
  return "";
}

std::string SerializeParams(const Parameters& params) {
  std::string out;
  for (const auto& [key, value] : params) {
    absl::StrAppend(&out, ";", key);
    if (value.type == BareItem::Type::kBoolean && value.integer == 1) continue;
    absl::StrAppend(&out, "=", SerializeBareItem(value));
  }
  return out;
}

std::string SerializeInnerList(const InnerList& list) {
  std::string out = "(";
  for (size_t i = 0; i < list.items.size(); ++i) {
    if (i > 0) out.push_back(' ');
    absl::StrAppend(&out, SerializeBareItem(list.items[i].value),
                    SerializeParams(list.items[i].params));
  }
  absl::StrAppend(&out, ")", SerializeParams(list.params));
  return out;
}

absl::StatusOr<std::string> DecodeBinary(std::string_view text) {
  const bool standard = text.find_first_of("+/=") != std::string_view::npos;
  const bool url_safe = text.find_first_of("-_") != std::string_view::npos;
  if (standard && url_safe) {
    return absl::InvalidArgumentError(
        "byte sequence mixes the base64 and base64url alphabets");
  }
  std::string normalized(text);
  while (!normalized.empty() && normalized.back() == '=') normalized.pop_back();
  if (normalized.find('=') != std::string::npos) {
    return absl::InvalidArgumentError("byte sequence: '=' inside the value");
  }
  for (char& c : normalized) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  std::string bytes;
  if (!absl::WebSafeBase64Unescape(normalized, &bytes)) {
    return absl::InvalidArgumentError("byte sequence: not base64");
  }
  return bytes;
}

std::string EncodeBinary(std::string_view bytes) {
  return absl::WebSafeBase64Escape(
      absl::string_view(bytes.data(), bytes.size()));
}

}  // namespace adcp::httpsig
