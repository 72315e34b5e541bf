// The replay cache of signed requests that every agent-edge replica
// shares: auth's RecordSignatureNonce (a table of (key id, nonce) pairs,
// migration 0014), with this process's MemoryReplayCache in front as the
// fast path (a replay this replica saw, or a key at its cap here, is
// refused without a call). One call per signed request: the cap check
// before the cryptography is the front's alone, and recording the nonce
// answers the shared cap too. When auth cannot answer, the nonce is not
// accepted (fail closed) and the refusal is transient (503,
// SERVICE_UNAVAILABLE), not a replay; the front forgets the nonce, so the
// buyer's retry of the same request is accepted once auth is back.
// Internal to services/agent-edge.
#pragma once

#include <grpcpp/channel.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>

#include <memory>
#include <mutex>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "adcp/auth/v1/auth.grpc.pb.h"
#include "services/agent-edge/signature_gate.h"

namespace adcp::agent_edge {

class SharedReplayStores : public ReplayStores {
 public:
  // `auth`: a service channel (MakeServiceChannel) to auth.
  // `calls`, when set: agent_replay_store_calls_total, counted by outcome
  // (recorded, replayed, at_cap, unavailable).
  SharedReplayStores(std::shared_ptr<grpc::Channel> auth,
                     prometheus::Family<prometheus::Counter>* calls = nullptr,
                     absl::Duration deadline = absl::Seconds(2));

  std::shared_ptr<httpsig::ReplayCache> For(const std::string& tenant_id,
                                            uint32_t per_key_cap) override;

 private:
  std::shared_ptr<auth::v1::Auth::Stub> stub_;
  prometheus::Family<prometheus::Counter>* const calls_;
  const absl::Duration deadline_;
  MemoryReplayStores fronts_;
};

}  // namespace adcp::agent_edge
