#include "services/agent-edge/task_catalog.h"

#include "adcp/media_buy/v1/media_buy.grpc.pb.h"
#include "google/api/annotations.pb.h"

namespace adcp::agent_edge {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

const std::map<std::string, std::string>& Descriptions() {
  static const auto* descriptions = new std::map<std::string, std::string>{
      {"get_adcp_capabilities",
       "The AdCP versions, protocols and features this seller supports, and "
       "its publisher domains."},
      {"get_products",
       "Discover the publisher's products from a brief (buying_mode brief) or "
       "all of them (wholesale), with pricing options."},
      {"list_creative_formats", "The creative formats this seller accepts."},
      {"create_media_buy",
       "Buy packages of products for a flight. Needs an idempotency_key; "
       "answers the media buy, or a task when the publisher approves by hand."},
      {"update_media_buy",
       "Pause, resume, cancel or change the budgets, flight or packages of a "
       "media buy."},
      {"get_media_buys", "Your media buys with their packages and status."},
      {"get_media_buy_delivery",
       "Impressions, spend and pacing of your media buys."},
      {"sync_creatives",
       "Upload or update creatives and assign them to packages."},
      {"list_creatives", "Your creative library, filtered and paged."},
      {"provide_performance_feedback",
       "Tell the seller how a media buy performed."},
      {"sync_accounts",
       "Open or update advertiser accounts (brand + operator)."},
      {"list_accounts", "Your accounts with this seller."},
      {"tasks/get",
       "The state of an operation answered `submitted` (a media buy or "
       "creative awaiting the publisher): its status and, once decided, its "
       "result."},
      {"comply_test_controller",
       "Sandbox only: seed fixtures, force creative, account and media-buy "
       "states, simulate delivery and spend, for conformance testing."},
  };
  return *descriptions;
}

nlohmann::json FieldSchema(const FieldDescriptor* field, int depth);

nlohmann::json MessageSchemaAt(const Descriptor* message, int depth) {
  const std::string& name = message->full_name();
  if (name == "google.protobuf.Struct")
    return {{"type", "object"}, {"additionalProperties", true}};
  if (name == "google.protobuf.Value") return nlohmann::json::object();
  if (name == "google.protobuf.ListValue") return {{"type", "array"}};
  if (depth > 12) return {{"type", "object"}};
  nlohmann::json properties = nlohmann::json::object();
  for (int i = 0; i < message->field_count(); ++i) {
    const FieldDescriptor* field = message->field(i);
    nlohmann::json schema = FieldSchema(field, depth);
    if (field->is_repeated())
      schema = {{"type", "array"}, {"items", std::move(schema)}};
    properties[field->name()] = std::move(schema);
  }
  return {{"type", "object"},
          {"properties", std::move(properties)},
          {"additionalProperties", true}};
}

nlohmann::json FieldSchema(const FieldDescriptor* field, int depth) {
  switch (field->type()) {
    case FieldDescriptor::TYPE_STRING:
    case FieldDescriptor::TYPE_BYTES:
      return {{"type", "string"}};
    case FieldDescriptor::TYPE_BOOL:
      return {{"type", "boolean"}};
    case FieldDescriptor::TYPE_DOUBLE:
    case FieldDescriptor::TYPE_FLOAT:
      return {{"type", "number"}};
    case FieldDescriptor::TYPE_ENUM: {
      nlohmann::json values = nlohmann::json::array();
      for (int i = 0; i < field->enum_type()->value_count(); ++i)
        values.push_back(field->enum_type()->value(i)->name());
      return {{"type", "string"}, {"enum", values}};
    }
    case FieldDescriptor::TYPE_MESSAGE:
    case FieldDescriptor::TYPE_GROUP:
      return MessageSchemaAt(field->message_type(), depth + 1);
    default:
      return {{"type", "integer"}};
  }
}

}  // namespace

nlohmann::json MessageSchema(const Descriptor* message) {
  nlohmann::json schema = MessageSchemaAt(message, 0);
  schema["$schema"] = "http://json-schema.org/draft-07/schema#";
  return schema;
}

const TaskCatalog& TaskCatalog::Get() {
  static const TaskCatalog* catalog = new TaskCatalog();
  return *catalog;
}

TaskCatalog::TaskCatalog() {
  const auto* service = media_buy::v1::MediaBuyService::service_full_name();
  const google::protobuf::ServiceDescriptor* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          service);
  for (int i = 0; i < descriptor->method_count(); ++i) {
    const google::protobuf::MethodDescriptor* method = descriptor->method(i);
    if (!method->options().HasExtension(google::api::http)) continue;
    const google::api::HttpRule& rule =
        method->options().GetExtension(google::api::http);
    if (rule.post().empty()) continue;
    AgentTask task;
    task.http_path = rule.post();
    // The path after /v1/: one segment ("create_media_buy"), or AdCP's
    // "tasks/get".
    task.name = task.http_path.substr(task.http_path.find('/', 1) + 1);
    task.method = method;
    task.grpc_path = "/" + descriptor->full_name() + "/" + method->name();
    task.input_schema = MessageSchema(method->input_type());
    auto description = Descriptions().find(task.name);
    task.description = description != Descriptions().end()
                           ? description->second
                           : "The AdCP task " + task.name + ".";
    task.sandbox_only = task.name == "comply_test_controller";
    by_name_[task.name] = tasks_.size();
    by_path_[task.http_path] = tasks_.size();
    tasks_.push_back(std::move(task));
  }
}

const AgentTask* TaskCatalog::ByName(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &tasks_[it->second];
}

const AgentTask* TaskCatalog::ByPath(const std::string& path) const {
  auto it = by_path_.find(path);
  return it == by_path_.end() ? nullptr : &tasks_[it->second];
}

}  // namespace adcp::agent_edge
