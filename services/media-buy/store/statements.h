// The prepared statements of every media-buy repository, for the pool, and
// the privileges they need.
#pragma once

#include "libs/db/pg_pool.h"
#include "libs/db/service_role.h"

namespace adcp::media_buy {

PgPool::Statements StoreStatements();

// What the media-buy role may do: read and write its own tables (deleting
// only consumed sandbox directives), add audit rows. Nothing of tenants or
// principals: it learns them from the registry and auth over gRPC.
RolePrivileges StorePrivileges();

}  // namespace adcp::media_buy
