// Keeps one server-streaming gRPC call open on a thread of its own: opens it,
// hands every message to a callback, and when it ends reopens it with backoff
// (100 ms doubling to 5 s, reset by any message) until Stop(), which cancels
// the call in flight. Used by the caches that follow the registry's and
// auth's change streams.
#pragma once

#include <grpcpp/client_context.h>
#include <grpcpp/support/sync_stream.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/time/time.h"
#include "libs/base/log.h"

namespace adcp {

template <typename Message>
class StreamWatch {
 public:
  using Open = std::function<std::unique_ptr<grpc::ClientReader<Message>>(
      grpc::ClientContext*)>;
  using OnMessage = std::function<void(const Message&)>;
  // After every stream ends, Stop() included.
  using OnEnd = std::function<void()>;

  StreamWatch(std::string name, Open open, OnMessage on_message, OnEnd on_end)
      : name_(std::move(name)),
        open_(std::move(open)),
        on_message_(std::move(on_message)),
        on_end_(std::move(on_end)) {}
  ~StreamWatch() { Stop(); }

  void Start() {
    thread_ = std::thread([this] { Run(); });
  }

  void Stop() {
    if (stopping_.exchange(true)) return;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (context_ != nullptr) context_->TryCancel();
    }
    changed_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void Run() {
    absl::Duration backoff = absl::Milliseconds(100);
    while (!stopping_) {
      grpc::ClientContext context;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopping_) break;
        context_ = &context;
      }
      auto reader = open_(&context);
      Message message;
      while (reader->Read(&message)) {
        backoff = absl::Milliseconds(100);
        on_message_(message);
      }
      const grpc::Status status = reader->Finish();
      std::unique_lock<std::mutex> lock(mutex_);
      context_ = nullptr;
      lock.unlock();
      on_end_();
      if (stopping_) break;
      log::Warn("change stream ended; reconnecting",
                {{"stream", name_},
                 {"code", static_cast<int>(status.error_code())},
                 {"error", status.error_message()}});
      lock.lock();
      changed_.wait_for(lock, absl::ToChronoMilliseconds(backoff),
                        [&] { return stopping_.load(); });
      backoff = std::min(backoff * 2, absl::Seconds(5));
    }
  }

  const std::string name_;
  const Open open_;
  const OnMessage on_message_;
  const OnEnd on_end_;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;  // guards context_; Stop() takes it before notifying
  std::condition_variable changed_;
  grpc::ClientContext* context_ = nullptr;
  std::thread thread_;
};

}  // namespace adcp
