// The `shopfloor` subcommands that need the servers: serve, migrate, seed.
//
// serve: one Shard (app/shard.hpp) per I/O thread (SHOPFLOOR_THREADS), one LISTEN
// connection for the process's change feeds, a database probe for /health. SIGTERM/SIGINT start a
// graceful shutdown: listeners close, in-flight requests finish (bounded by
// SHOPFLOOR_SHUTDOWN_DRAIN_MS), then connections to Redis and PostgreSQL close.
// Each returns a process exit code.
#pragma once

#include "app/config.hpp"

namespace shopfloor::app {

int serve(const Config& config);
int migrate(const Config& config);
// Runs sql/seed/pricing.sql then mes.sql (an explicit order; a missing or unlisted
// .sql file in seed/ is an error); each is idempotent. `orders`: how many demo
// orders the MES seed creates when the orders table is empty.
int seed(const Config& config, long long orders);

}  // namespace shopfloor::app
