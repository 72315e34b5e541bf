// Structured Field Values for HTTP (RFC 8941): the parser and serializer
// that request signing (RFC 9421) and digests (RFC 9530) read their headers
// with. Strict: anything the grammar does not allow is an error, and so are
// duplicate dictionary keys and duplicate parameters (RFC 8941 lets a parser
// keep the last one; AdCP's signing profile requires a refusal, since two
// parsers that disagree on which one counts are an attack). Bounded: the
// caller's limits cap members, inner-list items and parameters, and nothing
// recurses (an inner list holds items only).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace adcp::httpsig {

struct BareItem {
  enum class Type {
    kInteger,
    kDecimal,
    kString,
    kToken,
    kByteSequence,
    kBoolean
  };
  Type type = Type::kBoolean;
  int64_t integer = 0;  // kInteger; kBoolean: 0 or 1
  double decimal = 0;   // kDecimal
  // kString: the unescaped string; kToken: the token; kByteSequence: the
  // text between the colons, as sent (decode with DecodeBinary).
  std::string text;

  static BareItem Integer(int64_t value);
  static BareItem String(std::string value);
  static BareItem Token(std::string value);
  static BareItem Boolean(bool value);
  bool is_string() const { return type == Type::kString; }
  bool is_integer() const { return type == Type::kInteger; }
};

using Parameters = std::vector<std::pair<std::string, BareItem>>;

struct Item {
  BareItem value;
  Parameters params;
};

struct InnerList {
  std::vector<Item> items;
  Parameters params;
};

// A member of a list or dictionary: an item or an inner list.
struct Member {
  bool is_inner_list = false;
  Item item;        // when !is_inner_list
  InnerList inner;  // when is_inner_list
};

using Dictionary = std::vector<std::pair<std::string, Member>>;
using List = std::vector<Member>;

struct FieldLimits {
  size_t max_bytes = 8192;
  size_t max_members = 64;
  size_t max_inner_items = 64;
  size_t max_params = 32;
};

// Parses a whole field value (several field lines joined with ", ").
absl::StatusOr<Dictionary> ParseDictionary(std::string_view field,
                                           const FieldLimits& limits = {});
absl::StatusOr<List> ParseList(std::string_view field,
                               const FieldLimits& limits = {});
absl::StatusOr<Item> ParseItem(std::string_view field,
                               const FieldLimits& limits = {});

// The value of parameter `key`, or nullptr.
const BareItem* FindParam(const Parameters& params, std::string_view key);
// The member named `key`, or nullptr.
const Member* FindMember(const Dictionary& dictionary, std::string_view key);

// RFC 8941 section 4.1 serializations.
std::string SerializeBareItem(const BareItem& item);
std::string SerializeParams(const Parameters& params);
std::string SerializeInnerList(const InnerList& list);

// A byte sequence's bytes under AdCP's signing profile: base64url without
// padding, or (for older signers) standard base64; a token that mixes the
// two alphabets is refused, as the profile requires.
absl::StatusOr<std::string> DecodeBinary(std::string_view text);
// base64url without padding.
std::string EncodeBinary(std::string_view bytes);

}  // namespace adcp::httpsig
