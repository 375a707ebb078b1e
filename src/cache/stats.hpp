// CacheStats: every metric of one named cache, declared in one list (below), shared by
// the engines of all io_context threads. Names follow Prometheus conventions:
//
//   shopfloor_cache_requests_total{cache,result="hit"|"miss"|"bypass"}
//   shopfloor_cache_loader_errors_total{cache}         loader returned an error
//   shopfloor_cache_invalidations_total{cache,scope="namespace"|"key"|"tags"}
//   shopfloor_cache_invalidations_deferred_total{cache}  could not reach the cache; in the ledger
//   shopfloor_cache_coalesced_total{cache}             lookups served by another's load
//   shopfloor_cache_oversize_total{cache}              values too large to cache
//   shopfloor_cache_stale_sets_prevented_total{cache}  stores refused (generation/lease moved)
//   shopfloor_cache_backend_errors_total{cache}        backend call failed or timed out
//   shopfloor_cache_loader_duration_seconds{cache}     histogram
//   shopfloor_cache_backend_duration_seconds{cache,op} histogram, op=fetch|lease|store|retire
//
// Thread-safety: instruments are atomics; `for_cache` and `log_summary` lock a mutex.
#pragma once

#include <string>
#include <string_view>

#include "metrics/registry.hpp"

namespace shopfloor::cache {

struct CacheStats {
  std::string name;
  metrics::Counter& hit;
  metrics::Counter& miss;
  metrics::Counter& bypass;
  metrics::Counter& loader_error;
  metrics::Counter& invalidation_namespace;
  metrics::Counter& invalidation_key;
  metrics::Counter& invalidation_tag;
  metrics::Counter& invalidation_deferred;
  metrics::Counter& coalesced;
  metrics::Counter& oversize;
  metrics::Counter& stale_set_prevented;
  metrics::Counter& backend_error;
  metrics::Counter& early_refresh;
  metrics::Histogram& loader_seconds;
  metrics::Histogram& fetch_seconds;
  metrics::Histogram& lease_seconds;
  metrics::Histogram& store_seconds;
  metrics::Histogram& retire_seconds;

  // The stats of cache `name` in the default registry, created on first use.
  static CacheStats& for_cache(std::string_view name);
};

// One info line per cache: lookups, hit ratio and bypasses since the previous call.
// The app calls it periodically.
void log_summary();

}  // namespace shopfloor::cache
