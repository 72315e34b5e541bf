// Test-only: AdCP's request-signing conformance vectors, as @adcp/sdk
// ships them (tests/adcp-tools/node_modules, installed by ./dev).
#pragma once

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

namespace adcp::httpsig::testing {

// .../compliance/cache/<ADCP_VERSION>/test-vectors/request-signing
inline std::filesystem::path RequestSigningVectors() {
  const std::filesystem::path sdk =
      std::filesystem::path(ADCP_TOOLS_DIR) / "node_modules/@adcp/sdk";
  std::string version;
  std::ifstream(sdk / "ADCP_VERSION") >> version;
  return sdk / "compliance/cache" / version / "test-vectors/request-signing";
}

inline nlohmann::json LoadJson(const std::filesystem::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
}

}  // namespace adcp::httpsig::testing
