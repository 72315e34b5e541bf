// Discovery and the catalogue: get_adcp_capabilities, get_products,
// list_creative_formats, and the tenant admin's UpsertProduct.
#pragma once

#include "absl/status/status.h"
#include "adcp/media_buy/v1/media_buy.pb.h"
#include "services/media-buy/tasks/task_context.h"

namespace adcp::media_buy::tasks {

Task<v1::GetAdcpCapabilitiesRequest, v1::GetAdcpCapabilitiesResponse>
    GetAdcpCapabilities;
// Brief (ranked by the brief's terms), wholesale or refine; anonymous
// callers see no prices.
Task<v1::GetProductsRequest, v1::GetProductsResponse> GetProducts;
Task<v1::ListCreativeFormatsRequest, v1::ListCreativeFormatsResponse>
    ListCreativeFormats;
// Creates or replaces a product of the tenant's catalogue.
Task<v1::UpsertProductRequest, v1::ProductDefinition> UpsertProduct;

}  // namespace adcp::media_buy::tasks
