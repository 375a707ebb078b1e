// Cache-aside core: `get_or_load` over a Backend, with namespaces and generations.
//
//   auto answer = co_await orders_list.get_or_load(ns, key, loader);
//   // answer->value: bytes (a ready-to-send body); answer->source: hit, miss or bypass
//
// Lookup: read the cache (one round trip: the namespace's generation and the value are
// read together); on a hit return the stored bytes. On a miss take a short lease, run
// the loader, store the bytes with TTL + jitter, return them. Guarantees:
//  - Invalidation: retire_namespace(ns) retires every key of ns at once (one INCR of
//    the namespace's generation); retire_key(ns, key) one key; retire_tags(ns, tags) the
//    values a tagged loader filed under any of the tags (get_or_load_tagged).
//  - No stale set: a value loaded before an invalidation is never stored after it
//    (the store is conditional on the generation and the lease; see DESIGN.md).
//  - Stampede: concurrent misses of one key on one Engine run the loader once (single
//    flight); a waiter takes the leader's value only when the leader's conditional
//    store succeeded after it joined, so no request is handed a value read before a
//    write acknowledged by any process; across processes the lease lets one load while
//    the others wait at most `lease_wait` and then load themselves.
//  - Fail-open: when the backend fails or exceeds `op_timeout`, the answer comes from
//    the loader (source bypass); a breaker stops waiting on a dead backend; a failed
//    invalidation goes to the InvalidationLedger, and nothing is read from the cache
//    until it has been delivered.
// Loader errors are returned as they are and never cached.
//
// Metrics: per named cache in stats.hpp; per Engine (engine="0", "1", ... in the order
// engines are created, i.e. the shard index in `shopfloor serve`):
//   shopfloor_cache_breaker_open{engine}       gauge: 1 while the breaker is open
//   shopfloor_cache_breaker_opens_total{engine} closed -> open transitions
//
// Cancellation: a lookup is not cancellable from outside; every backend call in it is
// bounded by op_timeout and the loader by its own deadlines.
// Thread-safety: one Engine per io_context thread, used only from that thread; Cache
// objects are views on one Engine. The ledger and the stats are shared by all threads.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <unordered_map>
#include <vector>

#include "cache/backend.hpp"
#include "cache/breaker.hpp"
#include "cache/clock.hpp"
#include "cache/ledger.hpp"
#include "cache/stats.hpp"
#include "core/problem.hpp"

namespace shopfloor::cache {

struct EngineOptions {
  // false: every lookup goes straight to the loader (X-Cache: BYPASS); retirements are
  // still delivered, for the other processes sharing the cache. Default: true.
  bool enabled = true;
  // Deadline of one backend call of a lookup; beyond it the lookup fails open.
  // Default: 20 ms.
  milliseconds op_timeout{20};
  // Deadline of a retirement (on the write path, before the answer). Longer than a
  // lookup's: a retirement that misses it goes to the ledger, and until the ledger is
  // delivered no lookup of the process reads the cache. Default: 250 ms.
  milliseconds retire_timeout{250};
  // Namespaces and keys longer than this (or with unsafe bytes) are hashed. Default: 200.
  std::size_t max_key_bytes = 200;
  BreakerOptions breaker;
};

struct Policy {
  // Time to live of a stored value. Default: 30 s.
  milliseconds ttl{30'000};
  // A random extra of up to this fraction of ttl, so entries stored together do not
  // expire together. Default: 0.1.
  double ttl_jitter = 0.1;
  // Upper bound of ttl (after jitter). Default: 1 day.
  milliseconds max_ttl{86'400'000};
  // Values larger than this are returned but not stored. Default: 1 MiB.
  std::size_t max_value_bytes = 1 << 20;
  // How long a loader may hold the lease of a key. Default: 3 s.
  milliseconds lease_ttl{3'000};
  // How long a lookup that did not get the lease waits for the holder's value before
  // loading itself. Default: 250 ms.
  milliseconds lease_wait{250};
  // Interval between cache reads while waiting for the lease holder. Default: 5 ms.
  milliseconds lease_poll{5};
  // Early refresh (XFetch, Vattani et al., VLDB 2015): a hit reloads its entry before it
  // expires with probability exp(-left / (early_refresh * max(load time, 10 ms))), where
  // `left` is the entry's remaining lifetime, so a hot entry is reloaded by one request
  // while the others keep hitting it — no expiry cliff. 0 turns it off. Default: 1.
  double early_refresh = 1.0;
};

enum class Source { hit, miss, bypass };
const char* to_string(Source s);  // "HIT", "MISS", "BYPASS" (the X-Cache values)

struct Answer {
  std::string value;
  Source source = Source::miss;
};

using Loader = std::function<asio::awaitable<Result<std::string>>()>;

// What a tagged loader returns: the bytes, and the tags the value is filed under (e.g.
// the orders a list page shows), so that retire_tags() of any of them retires it.
struct Loaded {
  std::string value;
  std::vector<std::string> tags;
};
using TaggedLoader = std::function<asio::awaitable<Result<Loaded>>()>;

// Jittered, capped TTL: ttl + uniform[0, jitter*ttl], at most max_ttl. Pure.
milliseconds jittered_ttl(const Policy& policy, std::mt19937_64& rng);

class Engine {
 public:
  Engine(asio::any_io_executor executor, Backend& backend,
         std::shared_ptr<InvalidationLedger> ledger, EngineOptions options = {},
         Clock& clock = SystemClock::instance());
  ~Engine();  // its breaker gauge reads 0 afterwards
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  Backend& backend() { return backend_; }
  const Backend& backend() const { return backend_; }
  const EngineOptions& options() const { return options_; }
  InvalidationLedger& ledger() { return *ledger_; }
  const std::shared_ptr<InvalidationLedger>& shared_ledger() const { return ledger_; }
  // Whether lookups currently use the cache (enabled, breaker closed, ledger empty, the
  // change feed vouching for it).
  bool cache_usable() const;
  // The `engine` label of this engine's breaker metrics.
  const std::string& id() const { return engine_id_; }

 private:
  friend class Cache;
  struct Flight;

  // `tagged`: the values are stored with their tags (store_tagged), the loader's tags.
  asio::awaitable<Result<Answer>> lookup(CacheStats& stats, const Policy& policy,
                                         const std::string& ns, const std::string& key,
                                         const TaggedLoader& loader, bool tagged);
  // Runs the loader; its tags go to *tags when asked for.
  asio::awaitable<Result<Answer>> load_only(CacheStats& stats, const TaggedLoader& loader,
                                            Source source,
                                            std::vector<std::string>* tags = nullptr);
  asio::awaitable<bool> retire(CacheStats& stats, const std::string& ns, const std::string* key,
                               const std::vector<std::string>* tags = nullptr);
  // Delivers what the ledger holds; at most one repair runs per engine.
  void start_repair();
  asio::awaitable<void> repair();
  bool should_bypass();
  // After every breaker transition: keeps the breaker metrics in step.
  void publish_breaker(Breaker::State before);
  template <class T>
  bool note(const BackendResult<T>& r, CacheStats& stats);
  std::string new_token();
  bool refresh_early(const Policy& policy, std::int64_t expires_ms, std::int64_t load_ms);

  asio::any_io_executor executor_;
  Backend& backend_;
  std::shared_ptr<InvalidationLedger> ledger_;
  EngineOptions options_;
  Clock& clock_;
  Breaker breaker_;
  std::string engine_id_;  // the `engine` label
  metrics::Gauge& breaker_open_;
  metrics::Counter& breaker_opens_;
  metrics::Counter& feed_silent_bypasses_;
  bool repairing_ = false;
  std::mt19937_64 rng_;
  std::unordered_map<std::string, std::uint64_t> generations_;  // last seen, a hint only
  std::unordered_map<std::string, std::shared_ptr<Flight>> flights_;
};

// A named cache (its stats and default policy) on an Engine.
class Cache {
 public:
  Cache(Engine& engine, std::string name, Policy policy = {});

  // Arguments are taken by value: the coroutine owns them, so a caller may start it
  // with temporaries and await it later (co_spawn) without dangling references.
  asio::awaitable<Result<Answer>> get_or_load(std::string ns, std::string key, Loader loader);
  // The same for values filed under tags (the loader says which): retire_tags() retires
  // exactly the values filed under a tag, without retiring the rest of the namespace.
  asio::awaitable<Result<Answer>> get_or_load_tagged(std::string ns, std::string key,
                                                     TaggedLoader loader);
  // Retire every key of ns / one key. Never fails from the caller's view: what cannot
  // be delivered now is kept in the ledger and delivered before this process reads the
  // cache again. Returns whether it was delivered now; a write that could not deliver
  // must not answer before other processes stop serving the entry (pg/write_fence.hpp).
  asio::awaitable<bool> retire_namespace(std::string ns);
  asio::awaitable<bool> retire_key(std::string ns, std::string key);
  // Retires every value of ns stored by get_or_load_tagged with one of `tags`; loads of
  // ns in flight store nothing. Not delivered: the whole namespace goes to the ledger.
  asio::awaitable<bool> retire_tags(std::string ns, std::vector<std::string> tags);
  // Retires a namespace by the name it has in the backend (as a key scan lists it: already
  // a safe segment, not made safe again, so a hashed "#..." name stays that name).
  asio::awaitable<bool> retire_stored_namespace(std::string stored_ns);

  const std::string& name() const { return stats_.name; }
  const Policy& policy() const { return policy_; }
  CacheStats& stats() { return stats_; }

 private:
  asio::awaitable<Result<Answer>> lookup(std::string ns, std::string key,
                                         const TaggedLoader& loader, bool tagged);

  Engine& engine_;
  CacheStats& stats_;
  Policy policy_;
};

}  // namespace shopfloor::cache
