// Comparing protobuf messages in the fuzz targets. Test-only.
#pragma once

#include <google/protobuf/util/field_comparator.h>

namespace adcp_fuzz {

// Field values compared exactly, NaN equal to NaN (a double field holds NaN
// from the wire or from JSON's "NaN" alike).
inline google::protobuf::util::DefaultFieldComparator& NanEqual() {
  static auto* comparator = [] {
    auto* c = new google::protobuf::util::DefaultFieldComparator;
    c->set_treat_nan_as_equal(true);
    return c;
  }();
  return *comparator;
}

}  // namespace adcp_fuzz
