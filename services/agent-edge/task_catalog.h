// The AdCP tasks the agent edge serves, read from the MediaBuyService
// descriptor: every method with a google.api.http rule is a task, named by
// the last segment of its path ("/v1/create_media_buy" -> create_media_buy).
// The same rules drive MCP tool names, REST routes and, in deploy/k8s,
// Envoy's transcoder: one mapping.
#pragma once

#include <google/protobuf/descriptor.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "adcp/tenant/v1/tenant_registry.pb.h"

namespace adcp::agent_edge {

struct AgentTask {
  std::string name;       // AdCP task name
  std::string http_path;  // POST route
  const google::protobuf::MethodDescriptor* method = nullptr;
  std::string grpc_path;  // "/adcp.media_buy.v1.MediaBuyService/CreateMediaBuy"
  nlohmann::json input_schema;  // JSON Schema of the request message
  std::string description;
  // Offered only to tenants marked sandbox (comply_test_controller).
  bool sandbox_only = false;

  bool OfferedTo(const tenant::v1::Tenant& tenant) const {
    return !sandbox_only || tenant.config().sandbox();
  }
};

class TaskCatalog {
 public:
  static const TaskCatalog& Get();

  const std::vector<AgentTask>& tasks() const { return tasks_; }
  const AgentTask* ByName(const std::string& name) const;
  const AgentTask* ByPath(const std::string& path) const;

 private:
  TaskCatalog();
  std::vector<AgentTask> tasks_;
  std::map<std::string, size_t> by_name_, by_path_;
};

// JSON Schema (draft 7) of a message as protobuf's JSON mapping reads it with
// the proto field names: objects, arrays for repeated fields, Struct as any
// object.
nlohmann::json MessageSchema(const google::protobuf::Descriptor* message);

}  // namespace adcp::agent_edge
