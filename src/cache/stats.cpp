#include "cache/stats.hpp"

#include <spdlog/spdlog.h>

#include <map>
#include <memory>
#include <mutex>

namespace shopfloor::cache {
namespace {

struct Seen {
  double hit = 0, miss = 0, bypass = 0;
};

std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}
std::map<std::string, std::unique_ptr<CacheStats>, std::less<>>& all_stats() {
  static std::map<std::string, std::unique_ptr<CacheStats>, std::less<>> m;
  return m;
}

CacheStats* make(std::string_view name) {
  auto& r = metrics::default_registry();
  const std::string n(name);
  auto counter = [&](const char* metric, const char* help, metrics::Labels extra = {}) -> auto& {
    metrics::Labels labels{{"cache", n}};
    labels.insert(labels.end(), extra.begin(), extra.end());
    return r.counter(metric, help, labels);
  };
  auto backend = [&](const char* op) -> auto& {
    return r.histogram("shopfloor_cache_backend_duration_seconds",
                       "Time of one cache backend call.", {{"cache", n}, {"op", op}});
  };
  const char* requests = "Cache lookups by result (hit, miss, bypass).";
  const char* invalidations = "Cache invalidations delivered, by scope.";
  return new CacheStats{
      n,
      counter("shopfloor_cache_requests_total", requests, {{"result", "hit"}}),
      counter("shopfloor_cache_requests_total", requests, {{"result", "miss"}}),
      counter("shopfloor_cache_requests_total", requests, {{"result", "bypass"}}),
      counter("shopfloor_cache_loader_errors_total", "Loads that returned an error."),
      counter("shopfloor_cache_invalidations_total", invalidations, {{"scope", "namespace"}}),
      counter("shopfloor_cache_invalidations_total", invalidations, {{"scope", "key"}}),
      counter("shopfloor_cache_invalidations_total", invalidations, {{"scope", "tags"}}),
      counter("shopfloor_cache_invalidations_deferred_total",
              "Invalidations that could not reach the cache and wait in the ledger."),
      counter("shopfloor_cache_coalesced_total",
              "Lookups answered by a load another request was already running."),
      counter("shopfloor_cache_oversize_total", "Values too large to be cached."),
      counter("shopfloor_cache_stale_sets_prevented_total",
              "Stores refused because the generation or lease moved during the load."),
      counter("shopfloor_cache_backend_errors_total", "Cache backend calls that failed."),
      counter("shopfloor_cache_early_refreshes_total",
              "Hits that reloaded their entry shortly before it expired (XFetch)."),
      r.histogram("shopfloor_cache_loader_duration_seconds",
                  "Time of one load from the source (database or calculator).", {{"cache", n}}),
      backend("fetch"),
      backend("lease"),
      backend("store"),
      backend("retire"),
  };
}

}  // namespace

CacheStats& CacheStats::for_cache(std::string_view name) {
  std::lock_guard lock(registry_mutex());
  auto& m = all_stats();
  auto it = m.find(name);
  if (it == m.end())
    it = m.emplace(std::string(name), std::unique_ptr<CacheStats>(make(name))).first;
  return *it->second;
}

void log_summary() {
  static std::map<std::string, Seen> previous;
  std::lock_guard lock(registry_mutex());
  for (auto& [name, s] : all_stats()) {
    Seen now{s->hit.value(), s->miss.value(), s->bypass.value()};
    Seen& before = previous[name];
    const double hit = now.hit - before.hit, miss = now.miss - before.miss,
                 bypass = now.bypass - before.bypass, total = hit + miss + bypass;
    before = now;
    if (total == 0) continue;
    spdlog::info(
        "cache summary cache={} lookups={:.0f} hit_ratio={:.3f} misses={:.0f} bypass={:.0f}", name,
        total, hit / total, miss, bypass);
  }
}

}  // namespace shopfloor::cache
