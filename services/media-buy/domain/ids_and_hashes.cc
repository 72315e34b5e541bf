#include "services/media-buy/domain/ids_and_hashes.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "libs/base/secrets.h"

namespace adcp::media_buy {

std::string RequestHash(const google::protobuf::Message& request) {
  std::unique_ptr<google::protobuf::Message> copy(request.New());
  copy->CopyFrom(request);
  const auto* descriptor = copy->GetDescriptor();
  const auto* reflection = copy->GetReflection();
  for (const char* name : {"idempotency_key", "context"}) {
    if (const auto* field = descriptor->FindFieldByName(name))
      reflection->ClearField(copy.get(), field);
  }
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    copy->SerializeToCodedStream(&coded);
  }
  return absl::BytesToHexString(
      Sha256(absl::StrCat(descriptor->full_name(), "\n", bytes)));
}

std::string NewId(std::string_view prefix) {
  return absl::StrCat(std::string(prefix), RandomHex(8));
}

}  // namespace adcp::media_buy
