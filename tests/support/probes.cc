#include "tests/support/probes.h"

#include <arpa/inet.h>
#include <grpcpp/client_context.h>
#include <grpcpp/impl/codegen/client_unary_call.h>
#include <grpcpp/impl/codegen/rpc_method.h>
#include <grpcpp/impl/codegen/sync_stream.h>
#include <grpcpp/support/byte_buffer.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "libs/base/status.h"
#include "libs/grpc/grpc_status.h"

namespace adcp::testing {
namespace {

// Reads a protobuf varint at `pos`, advancing it.
bool ReadVarint(const std::string& bytes, size_t& pos, uint64_t& value) {
  value = 0;
  for (int shift = 0; pos < bytes.size() && shift < 64; shift += 7) {
    const uint8_t byte = static_cast<uint8_t>(bytes[pos++]);
    value |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

// The length-delimited fields numbered `field` of one message.
std::vector<std::string> LengthDelimited(const std::string& bytes,
                                         uint64_t field) {
  std::vector<std::string> out;
  size_t pos = 0;
  uint64_t key = 0, length = 0;
  while (pos < bytes.size() && ReadVarint(bytes, pos, key)) {
    const uint64_t wire_type = key & 7;
    if (wire_type == 0) {
      uint64_t ignored;
      if (!ReadVarint(bytes, pos, ignored)) break;
    } else if (wire_type == 2) {
      if (!ReadVarint(bytes, pos, length) || pos + length > bytes.size()) break;
      if ((key >> 3) == field) out.push_back(bytes.substr(pos, length));
      pos += length;
    } else if (wire_type == 1) {
      pos += 8;
    } else if (wire_type == 5) {
      pos += 4;
    } else {
      break;
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<std::string> HealthStatus(
    const std::shared_ptr<grpc::Channel>& channel, const std::string& service) {
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(5));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  RETURN_IF_ERROR(FromGrpcStatus(stub->Check(&context, request, &response)));
  return grpc::health::v1::HealthCheckResponse::ServingStatus_Name(
      response.status());
}

absl::StatusOr<std::vector<std::string>> ReflectedServices(
    const std::shared_ptr<grpc::Channel>& channel) {
  const grpc::internal::RpcMethod method(
      "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
      grpc::internal::RpcMethod::BIDI_STREAMING);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(5));
  std::unique_ptr<grpc::ClientReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>>
      stream(grpc::internal::ClientReaderWriterFactory<
             grpc::ByteBuffer, grpc::ByteBuffer>::Create(channel.get(), method,
                                                         &context));
  // ServerReflectionRequest{list_services (field 7) = ""}.
  const std::string request_bytes("\x3a\x00", 2);
  grpc::Slice slice(request_bytes);
  grpc::ByteBuffer request(&slice, 1);
  stream->Write(request);
  stream->WritesDone();
  grpc::ByteBuffer response;
  if (!stream->Read(&response)) return FromGrpcStatus(stream->Finish());
  std::vector<grpc::Slice> slices;
  (void)response.Dump(&slices);
  std::string bytes;
  for (const auto& s : slices)
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  while (stream->Read(&response)) {
  }
  RETURN_IF_ERROR(FromGrpcStatus(stream->Finish()));
  // ServerReflectionResponse.list_services_response (6) -> service (1) -> name
  // (1).
  std::vector<std::string> names;
  for (const std::string& list : LengthDelimited(bytes, 6)) {
    for (const std::string& service : LengthDelimited(list, 1)) {
      for (const std::string& name : LengthDelimited(service, 1))
        names.push_back(name);
    }
  }
  return names;
}

absl::StatusOr<std::string> HttpGet(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError("socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) !=
      0) {
    close(fd);
    return absl::UnavailableError(absl::StrCat("connect to port ", port));
  }
  const std::string request =
      absl::StrCat("GET ", path,
                   " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  if (write(fd, request.data(), request.size()) !=
      static_cast<ssize_t>(request.size())) {
    close(fd);
    return absl::UnavailableError("write");
  }
  std::string reply;
  char buffer[8192];
  for (ssize_t n; (n = read(fd, buffer, sizeof(buffer))) > 0;)
    reply.append(buffer, n);
  close(fd);
  return reply;
}

}  // namespace adcp::testing
