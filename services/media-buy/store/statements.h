// The prepared statements of every media-buy repository, for the pool.
#pragma once

#include "libs/db/pg_pool.h"

namespace adcp::media_buy {

PgPool::Statements StoreStatements();

}  // namespace adcp::media_buy
