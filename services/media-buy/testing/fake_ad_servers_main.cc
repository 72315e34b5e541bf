// adcp-fake-ad-servers: the fake Google Ad Manager and Kevel of ./dev chaos
// (FaultyAdServers) on FAKE_AD_SERVERS_PORT (0: any; the port is printed).
// Test-only.
#include <csignal>
#include <cstdio>

#include "libs/base/env.h"
#include "services/media-buy/testing/faulty_ad_servers.h"

int main() {
  adcp::http::ServerOptions options;
  options.bind_host = "127.0.0.1";
  options.port = static_cast<int>(
      adcp::env::Int("FAKE_AD_SERVERS_PORT", 0, 0, 65535).value_or(0));
  options.threads = 4;
  options.max_body_bytes = 8 << 20;
  options.shutdown_grace = absl::Seconds(1);
  // Blocked before the server's threads start, so that sigwait gets them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigprocmask(SIG_BLOCK, &signals, nullptr);
  adcp::media_buy::testing::FaultyAdServers servers(options);
  if (absl::Status started = servers.Start(); !started.ok()) {
    std::fprintf(stderr, "adcp-fake-ad-servers: %s\n",
                 std::string(started.message()).c_str());
    return 1;
  }
  std::printf("listening on 127.0.0.1:%d\n", servers.port());
  std::fflush(stdout);
  int received = 0;
  sigwait(&signals, &received);
  servers.Stop();
  return 0;
}
