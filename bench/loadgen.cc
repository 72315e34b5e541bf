// adcp-loadgen: closed-loop gRPC load from asynchronous calls, for ./dev bench.
//
//   adcp-loadgen --target=127.0.0.1:50053 --rpc=get_products
//                --credentials=FILE --concurrency=32 --duration_s=10
//
// --rpc: ping (the floor server's empty call), get_products, create_media_buy
// (two packages, each on one of the tenant's fixed-price products).
// --credentials: lines "tenant_id token"; calls cycle over them, so a file of
// 10,000 lines spreads the load over 10,000 tenants. Before the run every
// credential is used once (synchronously): this finds each tenant's products
// and warms the caches, so the run measures steady state.
// Prints one JSON object: ok and failed calls, QPS, latency percentiles (µs),
// and the first failure's message.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "adcp/bench/v1/echo.grpc.pb.h"
#include "adcp/media_buy/v1/media_buy.grpc.pb.h"
#include "libs/tenancy/metadata.h"

ABSL_FLAG(
    std::string, target, "127.0.0.1:50053",
    "host:port of the server, or ipv4:host:port,host:port,... (round robin)");
ABSL_FLAG(std::string, rpc, "ping", "ping | get_products | create_media_buy");
ABSL_FLAG(std::string, credentials, "", "file of 'tenant_id token' lines");
ABSL_FLAG(int, concurrency, 32, "calls in flight");
ABSL_FLAG(int, threads, 1, "client threads (each with its own connection)");
ABSL_FLAG(double, duration_s, 10, "measured seconds");
ABSL_FLAG(double, warmup_s, 2, "seconds of load before measuring");
ABSL_FLAG(std::string, label, "", "copied into the output");
ABSL_FLAG(std::string, latencies_out, "",
          "also write every measured call's latency (µs), one per line, to "
          "this file (./dev bench merges the slices of a measurement)");

namespace {

namespace pb = adcp::media_buy::v1;
using Clock = std::chrono::steady_clock;

struct Credential {
  std::string tenant_id, token;
  // product_id, pricing_option_id of up to two fixed-price products.
  std::vector<std::pair<std::string, std::string>> products;
};

std::string InternalToken() {
  const char* token = std::getenv("ADCP_INTERNAL_TOKEN");
  return token ? token : "";
}

void AddMetadata(grpc::ClientContext& ctx, const Credential* credential) {
  const std::string internal = InternalToken();
  adcp::ForwardedCall call{.internal_token = internal};
  if (credential != nullptr) {
    call.tenant_id = credential->tenant_id;
    call.bearer_token = credential->token;
  }
  if (absl::Status forwarded = adcp::ForwardTenant(&ctx, call);
      !forwarded.ok()) {
    std::fprintf(stderr, "loadgen: %s\n",
                 std::string(forwarded.message()).c_str());
    std::exit(2);
  }
}

pb::GetProductsRequest ProductsRequest() {
  pb::GetProductsRequest request;
  request.set_buying_mode("brief");
  request.set_brief("display and video for a running shoe launch");
  return request;
}

std::string IsoDay(int days_from_now) {
  const std::time_t t = std::time(nullptr) + days_from_now * 86400;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT00:00:00Z", &tm);
  return buffer;
}

pb::CreateMediaBuyRequest BuyRequest(const Credential& credential,
                                     const std::string& key) {
  pb::CreateMediaBuyRequest request;
  request.set_idempotency_key(key);
  request.mutable_account()->mutable_brand()->set_domain("acme.example");
  request.mutable_account()->set_operator_("agency.example");
  request.mutable_brand()->set_domain("acme.example");
  request.set_start_time(IsoDay(1));
  request.set_end_time(IsoDay(31));
  for (int i = 0; i < 2; ++i) {
    const auto& product = credential.products[i % credential.products.size()];
    pb::PackageRequest* package = request.add_packages();
    package->set_product_id(product.first);
    package->set_pricing_option_id(product.second);
    package->set_budget(1000);
  }
  return request;
}

// One call in flight; reused for the next call once it completes.
class Slot {
 public:
  virtual ~Slot() = default;
  virtual void Issue(grpc::CompletionQueue* cq, const Credential* credential,
                     const std::string& key) = 0;
  // After completion: empty when the call succeeded, else what went wrong.
  virtual std::string Outcome() const = 0;
  Clock::time_point started;

 protected:
  std::unique_ptr<grpc::ClientContext> ctx_;
  grpc::Status status_;
  std::string StatusText() const {
    return absl::StrCat("grpc ", status_.error_code(), ": ",
                        status_.error_message());
  }
};

class PingSlot : public Slot {
 public:
  explicit PingSlot(adcp::bench::v1::BenchEcho::Stub* stub) : stub_(stub) {}
  void Issue(grpc::CompletionQueue* cq, const Credential* credential,
             const std::string&) override {
    ctx_ = std::make_unique<grpc::ClientContext>();
    AddMetadata(*ctx_, credential);
    started = Clock::now();
    reader_ = stub_->AsyncPing(ctx_.get(), request_, cq);
    reader_->Finish(&response_, &status_, this);
  }
  std::string Outcome() const override {
    return status_.ok() ? "" : StatusText();
  }

 private:
  adcp::bench::v1::BenchEcho::Stub* stub_;
  google::protobuf::Empty request_, response_;
  std::unique_ptr<grpc::ClientAsyncResponseReader<google::protobuf::Empty>>
      reader_;
};

class GetProductsSlot : public Slot {
 public:
  explicit GetProductsSlot(pb::MediaBuyService::Stub* stub)
      : stub_(stub), request_(ProductsRequest()) {}
  void Issue(grpc::CompletionQueue* cq, const Credential* credential,
             const std::string&) override {
    ctx_ = std::make_unique<grpc::ClientContext>();
    AddMetadata(*ctx_, credential);
    response_.Clear();
    started = Clock::now();
    reader_ = stub_->AsyncGetProducts(ctx_.get(), request_, cq);
    reader_->Finish(&response_, &status_, this);
  }
  std::string Outcome() const override {
    if (!status_.ok()) return StatusText();
    return response_.products_size() > 0 ? "" : "no products in the answer";
  }

 private:
  pb::MediaBuyService::Stub* stub_;
  pb::GetProductsRequest request_;
  pb::GetProductsResponse response_;
  std::unique_ptr<grpc::ClientAsyncResponseReader<pb::GetProductsResponse>>
      reader_;
};

class CreateSlot : public Slot {
 public:
  explicit CreateSlot(pb::MediaBuyService::Stub* stub) : stub_(stub) {}
  void Issue(grpc::CompletionQueue* cq, const Credential* credential,
             const std::string& key) override {
    ctx_ = std::make_unique<grpc::ClientContext>();
    AddMetadata(*ctx_, credential);
    request_ = BuyRequest(*credential, key);
    response_.Clear();
    started = Clock::now();
    reader_ = stub_->AsyncCreateMediaBuy(ctx_.get(), request_, cq);
    reader_->Finish(&response_, &status_, this);
  }
  std::string Outcome() const override {
    if (!status_.ok()) return StatusText();
    if (response_.media_buy_id().empty())
      return "no media_buy_id in the answer (status " + response_.status() +
             ")";
    return response_.packages_size() == 2 ? "" : "not two packages";
  }

 private:
  pb::MediaBuyService::Stub* stub_;
  pb::CreateMediaBuyRequest request_;
  pb::CreateMediaBuyResponse response_;
  std::unique_ptr<grpc::ClientAsyncResponseReader<pb::CreateMediaBuyResponse>>
      reader_;
};

struct WorkerResult {
  std::vector<uint32_t> latencies_us;
  uint64_t failed = 0;
  std::string first_failure;
};

std::shared_ptr<grpc::Channel> NewChannel(const std::string& target, int n) {
  grpc::ChannelArguments args;
  // Own connection per worker thread.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt("adcp.loadgen.worker", n);
  // "ipv4:a,b,..." (./dev bench --replicas): every replica in turn.
  args.SetLoadBalancingPolicyName("round_robin");
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(),
                                   args);
}

void RunWorker(int index, int slots, const std::vector<Credential>& credentials,
               Clock::time_point measure_from, Clock::time_point measure_until,
               WorkerResult& result) {
  const std::string rpc = absl::GetFlag(FLAGS_rpc);
  auto channel = NewChannel(absl::GetFlag(FLAGS_target), index);
  auto echo = adcp::bench::v1::BenchEcho::NewStub(channel);
  auto media_buy = pb::MediaBuyService::NewStub(channel);
  grpc::CompletionQueue cq;
  std::vector<std::unique_ptr<Slot>> pool;
  for (int i = 0; i < slots; ++i) {
    if (rpc == "ping") pool.push_back(std::make_unique<PingSlot>(echo.get()));
    if (rpc == "get_products")
      pool.push_back(std::make_unique<GetProductsSlot>(media_buy.get()));
    if (rpc == "create_media_buy")
      pool.push_back(std::make_unique<CreateSlot>(media_buy.get()));
  }
  std::mt19937_64 random(std::random_device{}());
  const std::string run = absl::StrCat(random() % 1000000000);
  // Each thread walks the credentials from its own random starting point.
  size_t next = credentials.empty() ? 0 : random() % credentials.size();
  uint64_t sequence = 0;
  auto issue = [&](Slot* slot) {
    const Credential* credential = nullptr;
    if (!credentials.empty()) {
      credential = &credentials[next];
      next = (next + 1) % credentials.size();
    }
    slot->Issue(&cq, credential,
                absl::StrCat("bench-", run, "-", index, "-", ++sequence));
  };
  for (auto& slot : pool) issue(slot.get());
  size_t in_flight = pool.size();
  result.latencies_us.reserve(1 << 20);
  void* tag;
  bool ok;
  while (in_flight > 0 && cq.Next(&tag, &ok)) {
    auto* slot = static_cast<Slot*>(tag);
    const Clock::time_point now = Clock::now();
    if (slot->started >= measure_from && now <= measure_until) {
      const std::string outcome = slot->Outcome();
      if (outcome.empty()) {
        result.latencies_us.push_back(static_cast<uint32_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(now -
                                                                  slot->started)
                .count()));
      } else {
        if (result.failed++ == 0) result.first_failure = outcome;
      }
    }
    if (now < measure_until) {
      issue(slot);
    } else {
      --in_flight;
    }
  }
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
}

// The products the buys are made of, and a first call per credential.
bool Prime(std::vector<Credential>& credentials, const std::string& rpc) {
  if (rpc == "ping" || credentials.empty()) return true;
  auto stub =
      pb::MediaBuyService::NewStub(NewChannel(absl::GetFlag(FLAGS_target), -1));
  for (Credential& credential : credentials) {
    grpc::ClientContext ctx;
    AddMetadata(ctx, &credential);
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(10));
    pb::GetProductsResponse response;
    grpc::Status status = stub->GetProducts(&ctx, ProductsRequest(), &response);
    if (!status.ok()) {
      std::cerr << "loadgen: get_products for tenant " << credential.tenant_id
                << " failed: " << status.error_message() << "\n";
      return false;
    }
    for (const pb::Product& product : response.products()) {
      for (const pb::PricingOption& option : product.pricing_options()) {
        if (option.has_fixed_price() && credential.products.size() < 2) {
          credential.products.emplace_back(product.product_id(),
                                           option.pricing_option_id());
          break;
        }
      }
    }
    if (rpc == "create_media_buy" && credential.products.empty()) {
      std::cerr << "loadgen: tenant " << credential.tenant_id
                << " has no fixed-price product\n";
      return false;
    }
  }
  return true;
}

std::string JsonString(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  // As in the services (ServiceHost::PrepareProcess): Debian's Abseil keeps
  // absl::Mutex deadlock detection on, which would slow gRPC's client too.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  const std::string rpc = absl::GetFlag(FLAGS_rpc);
  if (rpc != "ping" && rpc != "get_products" && rpc != "create_media_buy") {
    std::cerr << "loadgen: --rpc must be ping, get_products or "
                 "create_media_buy\n";
    return 2;
  }
  const int threads = std::max(1, absl::GetFlag(FLAGS_threads));
  const int concurrency = std::max(threads, absl::GetFlag(FLAGS_concurrency));
  std::vector<Credential> credentials;
  if (const std::string path = absl::GetFlag(FLAGS_credentials);
      !path.empty()) {
    std::ifstream in(path);
    if (!in) {
      std::cerr << "loadgen: cannot read " << path << "\n";
      return 2;
    }
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      Credential credential;
      if (fields >> credential.tenant_id >> credential.token)
        credentials.push_back(std::move(credential));
    }
  }
  if (rpc != "ping" && credentials.empty()) {
    std::cerr << "loadgen: --credentials is required for " << rpc << "\n";
    return 2;
  }
  if (!Prime(credentials, rpc)) return 1;

  const auto warmup = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(absl::GetFlag(FLAGS_warmup_s)));
  const auto duration = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(absl::GetFlag(FLAGS_duration_s)));
  const Clock::time_point measure_from = Clock::now() + warmup;
  const Clock::time_point measure_until = measure_from + duration;
  std::vector<WorkerResult> results(threads);
  std::vector<std::thread> workers;
  for (int i = 0; i < threads; ++i) {
    const int slots = concurrency / threads + (i < concurrency % threads);
    workers.emplace_back(RunWorker, i, slots, std::cref(credentials),
                         measure_from, measure_until, std::ref(results[i]));
  }
  for (auto& worker : workers) worker.join();

  std::vector<uint32_t> latencies;
  uint64_t failed = 0;
  std::string first_failure;
  for (WorkerResult& result : results) {
    latencies.insert(latencies.end(), result.latencies_us.begin(),
                     result.latencies_us.end());
    failed += result.failed;
    if (first_failure.empty()) first_failure = result.first_failure;
  }
  std::sort(latencies.begin(), latencies.end());
  auto percentile = [&](double p) -> uint32_t {
    if (latencies.empty()) return 0;
    const size_t i = std::min(latencies.size() - 1,
                              static_cast<size_t>(p * latencies.size()));
    return latencies[i];
  };
  const double seconds = std::chrono::duration<double>(duration).count();
  if (const std::string path = absl::GetFlag(FLAGS_latencies_out);
      !path.empty()) {
    std::FILE* out = std::fopen(path.c_str(), "w");
    if (out == nullptr) {
      std::fprintf(stderr, "cannot write %s\n", path.c_str());
      return 2;
    }
    for (uint32_t latency : latencies) std::fprintf(out, "%u\n", latency);
    std::fclose(out);
  }
  std::printf(
      "{\"label\":%s,\"rpc\":%s,\"tenants\":%zu,\"concurrency\":%d,"
      "\"threads\":%d,\"seconds\":%.1f,\"ok\":%zu,\"failed\":%llu,"
      "\"qps\":%.1f,\"p50_us\":%u,\"p99_us\":%u,\"first_failure\":%s}\n",
      JsonString(absl::GetFlag(FLAGS_label)).c_str(), JsonString(rpc).c_str(),
      credentials.size(), concurrency, threads, seconds, latencies.size(),
      static_cast<unsigned long long>(failed), latencies.size() / seconds,
      percentile(0.50), percentile(0.99), JsonString(first_failure).c_str());
  return latencies.empty() ? 1 : 0;
}
