// Adapter credentials are deployment secrets: tenant config names them
// (adapters.kevel.api_key_secret: "kevel-nytimes"), the deployment holds the
// values, here a directory with one file per secret (the Kubernetes Secret
// adcp-adapter-credentials mounted as files, ADAPTER_SECRETS_DIR).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace adcp::media_buy {

class SecretStore {
 public:
  virtual ~SecretStore() = default;
  // The value of secret `name`; NOT_FOUND when the deployment has none of
  // that name, INVALID_ARGUMENT when `name` is not a valid secret name.
  // Messages name the secret, never its value.
  virtual absl::StatusOr<std::string> Get(const std::string& name) const = 0;
};

// Reads `<dir>/<name>` at each call (a rotated Secret is picked up without a
// restart); trailing newlines are dropped. An empty `dir` holds no secrets.
std::shared_ptr<const SecretStore> DirectorySecretStore(std::string dir);

// For tests: fixed values.
std::shared_ptr<const SecretStore> FixedSecretStore(
    std::map<std::string, std::string> values);

}  // namespace adcp::media_buy
