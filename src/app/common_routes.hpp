// Routes every Shopfloor service answers: GET /health and GET /metrics (contract,
// "Services and defaults"). /health never touches the database or the cache on the
// request path: it reports the state kept by the process's HealthProbe and the
// shard's cache backend, so it stays cheap under load.
#pragma once

#include "cache/backend.hpp"
#include "http/router.hpp"

#include <atomic>

namespace shopfloor::app {

struct HealthState {
  std::atomic<bool> db_up{false};  // last probe reached PostgreSQL
};

void add_common_routes(http::Router& router, const HealthState& health,
                       const cache::Backend& cache_backend, bool cache_enabled, bool metrics_public);

}  // namespace shopfloor::app
