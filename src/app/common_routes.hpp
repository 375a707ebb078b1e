// Routes every Shopfloor service answers: GET /health and GET /metrics (contract,
// "Services and defaults"). /health never touches the database or the cache on the
// request path, so it stays cheap under load: it reports what the process's probes
// (runtime.cpp) last saw and how the shard's cache engine is faring.
//
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
};

void add_common_routes(http::Router& router, const HealthState& health,
                       const cache::Engine& cache_engine, bool metrics_public);

}  // namespace shopfloor::app
