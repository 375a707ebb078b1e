// Routes every Shopfloor service answers on each listener: GET /health and GET /metrics
// (contract, "Services and defaults"), and the probes GET /health/live and
// GET /health/ready. None touches the database or the cache on the request path, so they
// stay cheap under load: they report what the process's probes (runtime.cpp) last saw
// and how the shard's cache engine is faring.
//
// /health/live   200 {"status":"live"} while the process answers HTTP at all.
// /health/ready  200 {"status":"ready",...} when the database answers and every
//                migration in SHOPFLOOR_SQL_DIR is applied; else 503
//                {"status":"not_ready","db":...,"migrations":...}. The cache is not a
//                condition: the service answers from PostgreSQL when it is down.
//
// /health fields:
//   db    "up" while the last probe query answered; "down" from the first failed one.
//   cache "up" only while the cache is really answering: enabled, the last PING probe
//         answered within its deadline (a frozen server keeps its sockets open but
//         answers nothing), this shard's breaker is closed and no invalidation waits
//         in the ledger — i.e. exactly when lookups are served from the cache.
#pragma once

#include <atomic>

#include "cache/cache.hpp"
#include "http/router.hpp"

namespace shopfloor::app {

struct HealthState {
  std::atomic<bool> db_up{false};     // the last database probe answered
  std::atomic<bool> cache_up{false};  // the last cache PING answered within its deadline
  // Every migration file was applied (as it is) when the database was last asked.
  std::atomic<bool> migrations_current{false};
};

void add_common_routes(http::Router& router, const HealthState& health,
                       const cache::Engine& cache_engine, bool metrics_public);

}  // namespace shopfloor::app
