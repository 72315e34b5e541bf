// media-buy: the AdCP media-buy tasks. Wiring only.
#include "adcp/common/service_main.h"
#include "media_buy_server.h"

int main() {
  return adcp::RunServiceMain("media-buy",
                              &adcp::media_buy::MediaBuyConfigFromEnv,
                              &adcp::media_buy::MediaBuyServer::Start);
}
