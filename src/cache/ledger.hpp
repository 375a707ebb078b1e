// InvalidationLedger: invalidations that could not be delivered to the cache yet.
//
// When retiring a namespace fails (cache down, timeout), the namespace is written
// here instead of being forgotten. While the ledger is not empty the cache core
// serves nothing from the cache (BYPASS) and keeps trying to deliver; an entry is
// removed only once its retirement reached the backend, so no entry made stale
// during an outage is ever served afterwards. One ledger per process, shared by the
// engines of every io_context thread.
//
// It also counts every retirement made in this process (`retirements()`), so a lookup
// knows whether a load already in flight began before the latest retirement and must
// not be shared (see Engine's single flight).
//
// It also holds how long the process's change feed vouches for the cache (trust_until):
// the feed (LISTEN, pg/change_feed.hpp) is how the process hears of changes that other
// processes and other systems make. While it is silent beyond its bound — a connection
// that died without an error, a frozen server, a resync not finished — the process may
// have missed invalidations it cannot even name, so no lookup reads the cache until the
// feed vouches again. A ledger nobody sets a trust deadline on (tools, unit tests)
// trusts the cache always.
//
// And whether the cache server is refused outright (refuse()): an eviction policy that may
// evict keys without a TTL (allkeys-*) can evict a namespace's generation, which then
// restarts at an old number and may meet entries stored under it before a retirement.
// While refused, no lookup reads the cache.
//
// Metrics: shopfloor_cache_ledger_pending_namespaces (a gauge summed over the ledgers
// of the process; there is one outside tests) follows size().
//
// Thread-safety: all members are safe to call from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "metrics/registry.hpp"

namespace shopfloor::cache {

class InvalidationLedger {
 public:
  InvalidationLedger()
      : pending_gauge_(metrics::default_registry().gauge(
            "shopfloor_cache_ledger_pending_namespaces",
            "Namespaces whose retirement could not reach the cache yet; while any wait, "
            "lookups bypass the cache.")) {}
  ~InvalidationLedger() {
    std::lock_guard lock(mutex_);
    pending_gauge_.add(-static_cast<double>(pending_.size()));
  }
  InvalidationLedger(const InvalidationLedger&) = delete;
  InvalidationLedger& operator=(const InvalidationLedger&) = delete;

  void add(const std::string& ns) {
    std::lock_guard lock(mutex_);
    auto [it, inserted] = pending_.try_emplace(ns, 0);
    it->second = ++sequence_;
    if (inserted) pending_gauge_.add(1);
    nonempty_.store(true, std::memory_order_release);
  }
  bool empty() const { return !nonempty_.load(std::memory_order_acquire); }

  // The pending namespaces with the sequence they were recorded at.
  std::vector<std::pair<std::string, std::uint64_t>> snapshot() const {
    std::lock_guard lock(mutex_);
    return {pending_.begin(), pending_.end()};
  }
  // Marks ns delivered unless it was recorded again after `sequence` was read.
  void delivered(const std::string& ns, std::uint64_t sequence) {
    std::lock_guard lock(mutex_);
    auto it = pending_.find(ns);
    if (it != pending_.end() && it->second == sequence) {
      pending_.erase(it);
      pending_gauge_.add(-1);
    }
    nonempty_.store(!pending_.empty(), std::memory_order_release);
  }
  // Bumped after each retirement of this process reached the backend or this ledger.
  void count_retirement() { retirements_.fetch_add(1, std::memory_order_acq_rel); }
  std::uint64_t retirements() const { return retirements_.load(std::memory_order_acquire); }

  // Lookups may read the cache until `until` (steady clock). time_point::min(): not now.
  void trust_until(std::chrono::steady_clock::time_point until) {
    trusted_until_.store(until.time_since_epoch().count(), std::memory_order_release);
  }
  bool trusted(std::chrono::steady_clock::time_point now) const {
    return now.time_since_epoch().count() < trusted_until_.load(std::memory_order_acquire);
  }

  // See the top: true while the cache server's configuration is unsafe to read from.
  void refuse(bool refused) { refused_.store(refused, std::memory_order_release); }
  bool refused() const { return refused_.load(std::memory_order_acquire); }
  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return pending_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::uint64_t> pending_;
  std::uint64_t sequence_ = 0;
  std::atomic<bool> nonempty_{false};
  std::atomic<bool> refused_{false};
  std::atomic<std::uint64_t> retirements_{0};
  std::atomic<std::chrono::steady_clock::rep> trusted_until_{
      std::numeric_limits<std::chrono::steady_clock::rep>::max()};
  metrics::Gauge& pending_gauge_;
};

}  // namespace shopfloor::cache
