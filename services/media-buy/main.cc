// media-buy: the AdCP media-buy tasks. Wiring only.
#include "libs/grpc/service_main.h"
#include "services/media-buy/media_buy_server.h"

int main() {
  return adcp::RunServiceMain("media-buy",
                              &adcp::media_buy::MediaBuyConfigFromEnv,
                              &adcp::media_buy::MediaBuyServer::Start);
}
