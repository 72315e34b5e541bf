// Adapter call latency against the fake ad server (plain HTTP on
// 127.0.0.1): the Kevel adapter's GetStatus, one GET per call through
// Upstream (breaker, retries policy) and the suite's HttpTransport, and the
// transport's Send alone. Run by hand, not by ./dev test:
//   ninja -C build adcp-adapter-bench && build/bench/adcp-adapter-bench
// bench/README.md has the figures.
#include <benchmark/benchmark.h>

#include <memory>

#include "nlohmann/json.hpp"
#include "services/media-buy/adapters/adapter_secrets.h"
#include "services/media-buy/adapters/http_transport.h"
#include "services/media-buy/adapters/kevel/kevel_adapter.h"
#include "services/media-buy/adapters/upstream.h"
#include "services/media-buy/testing/adapter_fixtures.h"
#include "services/media-buy/testing/fake_ad_server.h"

namespace adcp::media_buy {
namespace {

using testing::FakeAdServer;
using testing::FakeAnswer;
using testing::RecordedRequest;

// The transport the adapters use in production (media_buy_server.cc), one
// for the whole run as in the server.
const std::shared_ptr<HttpTransport>& Transport() {
  static const auto* transport =
      new std::shared_ptr<HttpTransport>(CurlHttpTransport());
  return *transport;
}

FakeAnswer Campaign(const RecordedRequest&) {
  return {.body = nlohmann::json({{"Id", 9},
                                  {"Name", "AdCP mb_1"},
                                  {"AdvertiserId", 42},
                                  {"IsActive", true}})
                      .dump()};
}

// One server for every benchmark.
FakeAdServer& Server() {
  static FakeAdServer* server = new FakeAdServer(Campaign);
  return *server;
}

std::unique_ptr<AdServerAdapter> KevelAdapter() {
  AdapterDeps deps;
  deps.transport = Transport();
  deps.breakers = std::make_shared<CircuitBreakers>(absl::Now);
  deps.secrets = FixedSecretStore({{"kevel-bench", "KEVEL-KEY-bench"}});
  deps.policy.timeout = absl::Seconds(5);
  const AdapterContext context =
      testing::KevelContext(Server().base_url(), "kevel-bench", absl::Now);
  auto adapter = KevelAdapterFactory(deps)(context);
  return adapter.ok() ? *std::move(adapter) : nullptr;
}

// Each thread its own adapter (one per request in the server).
void BM_KevelGetStatus(benchmark::State& state) {
  if (state.thread_index() == 0) Server().Clear();
  const std::unique_ptr<AdServerAdapter> adapter = KevelAdapter();
  if (!adapter) {
    state.SkipWithError("no Kevel adapter");
    return;
  }
  const AdapterBuy buy{.tenant_id = "localnews",
                       .media_buy_id = "mb_1",
                       .principal_id = "buyer_a",
                       .currency = "USD",
                       .start_time = absl::Now() - absl::Hours(1),
                       .end_time = absl::Now() + absl::Hours(24 * 30),
                       .order_id = "9"};
  for (auto _ : state) {
    absl::StatusOr<std::string> status = adapter->GetStatus(buy);
    if (!status.ok()) {
      state.SkipWithError(status.status().ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(*status);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_KevelGetStatus)->Threads(1)->Threads(4)->UseRealTime();

void BM_TransportSend(benchmark::State& state) {
  if (state.thread_index() == 0) Server().Clear();
  HttpTransport& transport = *Transport();
  const HttpRequest request{
      .method = "GET",
      .url = Server().base_url() + "/v1/campaign/9",
      .headers = {{"X-Adzerk-ApiKey", "KEVEL-KEY-bench"}}};
  for (auto _ : state) {
    absl::StatusOr<HttpResponse> response =
        transport.Send(request, absl::Seconds(5));
    if (!response.ok() || response->status != 200) {
      state.SkipWithError("the fake ad server did not answer 200");
      break;
    }
    benchmark::DoNotOptimize(response->body);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TransportSend)->Threads(1)->Threads(4)->UseRealTime();

}  // namespace
}  // namespace adcp::media_buy

BENCHMARK_MAIN();
