#include "services/media-buy/adapters/adapter_secrets.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "libs/tenancy/tenant_config.h"

namespace adcp::media_buy {
namespace {

absl::Status CheckName(const std::string& name) {
  if (!IsSecretName(name)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", name,
        "' is not a secret name (1-253 of a-z, 0-9, '.', '_', '-')"));
  }
  return absl::OkStatus();
}

absl::Status Missing(const std::string& name) {
  return absl::NotFoundError(
      absl::StrCat("the deployment has no secret '", name, "'"));
}

class DirectoryStore final : public SecretStore {
 public:
  explicit DirectoryStore(std::string dir) : dir_(std::move(dir)) {}

  absl::StatusOr<std::string> Get(const std::string& name) const override {
    if (absl::Status valid = CheckName(name); !valid.ok()) return valid;
    if (dir_.empty()) return Missing(name);
    std::ifstream file(absl::StrCat(dir_, "/", name), std::ios::binary);
    if (!file) return Missing(name);
    std::stringstream text;
    text << file.rdbuf();
    std::string value = text.str();
    while (!value.empty() && (value.back() == '\n' || value.back() == '\r'))
      value.pop_back();
    if (value.empty()) return Missing(name);
    return value;
  }

 private:
  std::string dir_;
};

class FixedStore final : public SecretStore {
 public:
  explicit FixedStore(std::map<std::string, std::string> values)
      : values_(std::move(values)) {}

  absl::StatusOr<std::string> Get(const std::string& name) const override {
    if (absl::Status valid = CheckName(name); !valid.ok()) return valid;
    auto it = values_.find(name);
    if (it == values_.end()) return Missing(name);
    return it->second;
  }

 private:
  std::map<std::string, std::string> values_;
};

}  // namespace

std::shared_ptr<const SecretStore> DirectorySecretStore(std::string dir) {
  return std::make_shared<DirectoryStore>(std::move(dir));
}

std::shared_ptr<const SecretStore> FixedSecretStore(
    std::map<std::string, std::string> values) {
  return std::make_shared<FixedStore>(std::move(values));
}

}  // namespace adcp::media_buy
