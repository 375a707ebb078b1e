#include "cache/cache.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <cmath>
#include <limits>

#include "cache/key.hpp"

namespace shopfloor::cache {
namespace {

// Engines are numbered in creation order (the `engine` label of the breaker metrics).
std::uint64_t next_engine_id() {
  static std::atomic<std::uint64_t> next{0};
  return next.fetch_add(1, std::memory_order_relaxed);
}

using Seconds = std::chrono::duration<double>;

double seconds_since(TimePoint start, const Clock& clock) {
  return std::chrono::duration_cast<Seconds>(clock.now() - start).count();
}

// Stored values carry their expiry (wall-clock ms) and how long their load took, for
// early refresh: "\0xf<expires_ms>:<load_ms>:" + the bytes. The NUL never starts a body
// of ours (JSON, id pages), so a value stored without it (by an older version) is served
// as it is and never refreshed early.
constexpr std::string_view kTimedEntry("\0xf", 3);

std::string timed_entry(const std::string& body, std::int64_t expires_ms, std::int64_t load_ms) {
  std::string out;
  out.reserve(body.size() + 32);
  out.append(kTimedEntry).append(std::to_string(expires_ms)).push_back(':');
  out.append(std::to_string(load_ms)).push_back(':');
  out.append(body);
  return out;
}

struct EntryTimes {
  bool known = false;
  std::int64_t expires_ms = 0;
  std::int64_t load_ms = 0;
};

// Removes the header in place (a memmove, no copy of the body) and returns its times.
EntryTimes strip_entry(std::string& value) {
  EntryTimes t;
  if (!std::string_view(value).starts_with(kTimedEntry)) return t;
  std::size_t at = kTimedEntry.size();
  auto number = [&](std::int64_t& out) {
    const char* begin = value.data() + at;
    const char* end = value.data() + value.size();
    auto [next, ec] = std::from_chars(begin, end, out);
    if (ec != std::errc() || next == end || *next != ':') return false;
    at = static_cast<std::size_t>(next - value.data()) + 1;
    return true;
  };
  if (!number(t.expires_ms) || !number(t.load_ms)) return t;
  value.erase(0, at);
  t.known = true;
  return t;
}

}  // namespace

const char* to_string(Source s) {
  switch (s) {
    case Source::hit:
      return "HIT";
    case Source::miss:
      return "MISS";
    case Source::bypass:
      return "BYPASS";
  }
  return "BYPASS";
}

milliseconds jittered_ttl(const Policy& policy, std::mt19937_64& rng) {
  auto ttl = policy.ttl;
  const auto extra = static_cast<long long>(static_cast<double>(ttl.count()) *
                                            std::clamp(policy.ttl_jitter, 0.0, 1.0));
  if (extra > 0) ttl += milliseconds(std::uniform_int_distribution<long long>(0, extra)(rng));
  return std::clamp(ttl, milliseconds(1), std::max(policy.max_ttl, milliseconds(1)));
}

// One load in progress on this engine (a miss being loaded); concurrent lookups of the
// same key may wait on it instead of loading again.
//
// A waiter may take the leader's value only when nothing acknowledged before the waiter
// started can be missing from it. The leader's store is conditional on the generation
// and its lease (DESIGN.md, "No stale set"): when that store succeeds after the waiter
// joined, every retirement acknowledged before the join — by this process or any other —
// came before the store and would have refused it. So waiters join only until the store
// is sent, and take the value only when the store succeeded; otherwise (the store was
// refused, the value was too large, a bypass, another process's value read while
// waiting on its lease) they run their own lookup.
struct Engine::Flight {
  Flight(asio::any_io_executor ex, std::uint64_t retirements)
      : done(ex, TimePoint::max()), retirements_at_start(retirements) {}
  asio::steady_timer done;  // cancelled when `result` is set: wakes every waiter
  std::optional<Result<Answer>> result;
  // The process's retirement count when the load began. A retirement by this process
  // since then (even one deferred to the ledger) closes the flight to new waiters.
  std::uint64_t retirements_at_start;
  bool store_sent = false;  // from now on no lookup joins
  bool stored = false;      // the conditional store succeeded: waiters may take the value

  bool joinable(std::uint64_t retirements_now) const {
    return !result && !store_sent && retirements_at_start == retirements_now;
  }
};

Engine::Engine(asio::any_io_executor executor, Backend& backend,
               std::shared_ptr<InvalidationLedger> ledger, EngineOptions options, Clock& clock)
    : executor_(std::move(executor)),
      backend_(backend),
      ledger_(std::move(ledger)),
      options_(options),
      clock_(clock),
      breaker_(options.breaker),
      engine_id_(std::to_string(next_engine_id())),
      breaker_open_(metrics::default_registry().gauge(
          "shopfloor_cache_breaker_open",
          "1 while the engine's cache breaker is open (lookups BYPASS), else 0.",
          {{"engine", engine_id_}})),
      breaker_opens_(metrics::default_registry().counter("shopfloor_cache_breaker_opens_total",
                                                         "Times the engine's cache breaker opened.",
                                                         {{"engine", engine_id_}})),
      feed_silent_bypasses_(metrics::default_registry().counter(
          "shopfloor_cache_feed_silent_bypasses_total",
          "Lookups that bypassed the cache because the change feed had not vouched for it "
          "recently (LISTEN connection silent, reconnecting or resyncing).")),
      rng_(std::random_device{}()) {}

Engine::~Engine() {
  breaker_open_.set(0);
}

void Engine::publish_breaker(Breaker::State before) {
  const bool open = breaker_.state() == Breaker::State::open;
  breaker_open_.set(open ? 1 : 0);
  if (open && before == Breaker::State::closed) breaker_opens_.inc();
}

bool Engine::cache_usable() const {
  return options_.enabled && ledger_->empty() && !ledger_->refused() &&
         ledger_->trusted(clock_.now()) && breaker_.state() == Breaker::State::closed;
}

bool Engine::should_bypass() {
  if (!options_.enabled || ledger_->refused()) return true;
  if (!ledger_->empty()) {
    start_repair();
    return true;
  }
  const auto now = clock_.now();
  if (!ledger_->trusted(now)) {  // the change feed is silent: changes may be unheard of
    feed_silent_bypasses_.inc();
    return true;
  }
  return !breaker_.allow(now);
}

template <class T>
bool Engine::note(const BackendResult<T>& r, CacheStats& stats) {
  const auto before = breaker_.state();
  if (r) {
    breaker_.on_success();
    publish_breaker(before);
    if (before == Breaker::State::open)
      spdlog::info("cache: {} backend reachable again", backend_.kind());
    return true;
  }
  breaker_.on_failure(clock_.now());
  publish_breaker(before);
  stats.backend_error.inc();
  if (before == Breaker::State::closed && breaker_.state() == Breaker::State::open) {
    spdlog::warn("cache: {} backend failing ({}); answering from the source (BYPASS)",
                 backend_.kind(), r.error().message());
  } else {
    spdlog::debug("cache: backend call failed: {}", r.error().message());
  }
  return false;
}

std::string Engine::new_token() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token(32, '0');
  for (int half = 0; half < 2; ++half) {
    auto bits = rng_();
    for (int i = 0; i < 16; ++i, bits >>= 4) token[half * 16 + i] = kHex[bits & 0xF];
  }
  return token;
}

asio::awaitable<Result<Answer>> Engine::load_only(CacheStats& stats, const TaggedLoader& loader,
                                                  Source source, std::vector<std::string>* tags) {
  const auto start = clock_.now();
  Result<Loaded> loaded = co_await loader();
  stats.loader_seconds.observe(seconds_since(start, clock_));
  if (!loaded) {
    stats.loader_error.inc();
    co_return loaded.error();
  }
  (source == Source::bypass ? stats.bypass : stats.miss).inc();
  if (tags) *tags = std::move(loaded->tags);
  co_return Answer{std::move(loaded->value), source};
}

bool Engine::refresh_early(const Policy& policy, std::int64_t expires_ms, std::int64_t load_ms) {
  if (policy.early_refresh <= 0) return false;
  const double left = static_cast<double>(expires_ms - clock_.wall_ms());
  if (left <= 0) return true;
  const double delta = static_cast<double>(std::max<std::int64_t>(load_ms, 10));
  // now - delta * beta * ln(U) >= expiry  <=>  -ln(U) >= left / (beta * delta)
  const double u =
      std::uniform_real_distribution<double>(std::numeric_limits<double>::min(), 1.0)(rng_);
  return -std::log(u) >= left / (policy.early_refresh * delta);
}

asio::awaitable<Result<Answer>> Engine::lookup(CacheStats& stats, const Policy& policy,
                                               const std::string& ns, const std::string& key,
                                               const TaggedLoader& loader, bool tagged) {
  if (should_bypass()) co_return co_await load_only(stats, loader, Source::bypass);

  // Single flight: wait on a load of the same key already running on this engine, and
  // take its value when the flight's rule allows it (see Flight); else look up anew.
  std::string flight_key = ns;
  flight_key.push_back('\x1f');
  flight_key.append(key);
  if (auto it = flights_.find(flight_key);
      it != flights_.end() && it->second->joinable(ledger_->retirements())) {
    std::shared_ptr<Flight> joined = it->second;
    while (!joined->result) co_await joined->done.async_wait(asio::as_tuple(asio::use_awaitable));
    if (joined->stored) {
      stats.coalesced.inc();
      co_return *joined->result;
    }
    if (should_bypass()) co_return co_await load_only(stats, loader, Source::bypass);
  }

  // Hits are not shared: each lookup reads the cache itself (one pipelined round trip),
  // so a value read before a lookup started is never handed to it.
  // A reply that crossed a change of the server behind the backend (a restart from a
  // snapshot, a failover) may come from the new server's restored, older data: such a
  // lookup is answered from the source and stores nothing.
  const std::uint64_t epoch = backend_.epoch();
  auto server_changed = [this, epoch] { return backend_.epoch() != epoch; };
  const milliseconds timeout = options_.op_timeout;
  std::uint64_t generation = generations_.contains(ns) ? generations_[ns] : 0;
  auto start = clock_.now();
  auto fetched = co_await backend_.fetch(ns, generation, key, timeout);
  stats.fetch_seconds.observe(seconds_since(start, clock_));
  if (!note(fetched, stats) || server_changed())
    co_return co_await load_only(stats, loader, Source::bypass);
  if (fetched->generation != generation) {  // our hint was old: read at the current one
    generation = generations_[ns] = fetched->generation;
    start = clock_.now();
    fetched = co_await backend_.fetch(ns, generation, key, timeout);
    stats.fetch_seconds.observe(seconds_since(start, clock_));
    if (!note(fetched, stats) || server_changed())
      co_return co_await load_only(stats, loader, Source::bypass);
    if (fetched->generation != generation) {  // retired again meanwhile: load, don't store
      co_return co_await load_only(stats, loader, Source::miss);
    }
  }
  // A hit, unless it is one of the few early refreshes: then this lookup reloads the
  // entry (lease, load, conditional store) while every other lookup keeps hitting it, and
  // answers the entry as it is if another loader holds the lease or the reload fails.
  std::optional<std::string> current;
  if (fetched->value) {
    const EntryTimes times = strip_entry(*fetched->value);
    if (!times.known || !refresh_early(policy, times.expires_ms, times.load_ms)) {
      stats.hit.inc();
      co_return Answer{std::move(*fetched->value), Source::hit};
    }
    stats.early_refresh.inc();
    current = std::move(*fetched->value);
  }
  auto keep_current = [&]() -> Result<Answer> {
    stats.hit.inc();
    return Answer{std::move(*current), Source::hit};
  };

  // Miss: this lookup leads a flight others of this engine may wait on (an early refresh
  // does not: the others hit the current entry meanwhile).
  auto flight = std::make_shared<Flight>(executor_, ledger_->retirements());
  if (!current) flights_[flight_key] = flight;
  struct Publish {  // wakes the waiters however this coroutine ends
    Engine& engine;
    const std::string& flight_key;
    std::shared_ptr<Flight> flight;
    ~Publish() {
      if (!flight->result) flight->result = Problem::unavailable("cache lookup abandoned");
      flight->done.cancel();
      auto it = engine.flights_.find(flight_key);
      if (it != engine.flights_.end() && it->second == flight) engine.flights_.erase(it);
    }
  } publish{*this, flight_key, flight};

  // One loader across processes holds the lease; the others wait for its value.
  const std::string token = new_token();
  start = clock_.now();
  auto lease =
      co_await backend_.acquire_lease(ns, generation, key, token, policy.lease_ttl, timeout);
  stats.lease_seconds.observe(seconds_since(start, clock_));
  if (!note(lease, stats)) {
    // (No co_await inside a conditional expression: g++ 12 destroys its temporaries twice.)
    if (current) {
      flight->result = keep_current();
    } else {
      Result<Answer> loaded = co_await load_only(stats, loader, Source::bypass);
      flight->result = std::move(loaded);
    }
    co_return *flight->result;
  }
  if (!*lease && current) {  // another loader is refreshing it
    flight->result = keep_current();
    co_return *flight->result;
  }
  if (!*lease) {
    asio::steady_timer pause(executor_);
    // Bounded by count, not by clock, so a manual test clock cannot stall it.
    const auto polls =
        std::max<long long>(1, policy.lease_wait / std::max(policy.lease_poll, milliseconds(1)));
    for (long long i = 0; i < polls; ++i) {
      pause.expires_after(policy.lease_poll);
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
      auto polled = co_await backend_.fetch(ns, generation, key, timeout);
      if (!note(polled, stats) || server_changed() || polled->generation != generation) break;
      // A tag retirement since: the holder's store will be refused; load now.
      if (tagged && polled->tag_sequence != fetched->tag_sequence) break;
      if (polled->value) {
        strip_entry(*polled->value);
        stats.coalesced.inc();
        stats.hit.inc();
        flight->result = Answer{std::move(*polled->value), Source::hit};
        co_return *flight->result;
      }
    }
    flight->result = co_await load_only(stats, loader, Source::miss);
    co_return *flight->result;
  }

  const auto load_start = clock_.now();
  std::vector<std::string> tags;
  Result<Answer> answer = co_await load_only(stats, loader, Source::miss, &tags);
  const auto load_ms = std::chrono::duration_cast<milliseconds>(clock_.now() - load_start).count();
  flight->store_sent = true;
  if (!answer || answer->value.size() > policy.max_value_bytes || server_changed()) {
    if (answer && !server_changed()) stats.oversize.inc();
    auto released = co_await backend_.release_lease(ns, generation, key, token, timeout);
    note(released, stats);
    if (!answer && current) answer = keep_current();  // the entry is still current
  } else {
    start = clock_.now();
    const milliseconds ttl = jittered_ttl(policy, rng_);
    const std::string entry = timed_entry(answer->value, clock_.wall_ms() + ttl.count(), load_ms);
    // Tagged: conditional also on the tag sequence this lookup's fetch read, before the
    // loader ran (a tag retirement since may concern what it read).
    BackendResult<bool> stored = false;
    if (tagged) {
      const std::size_t max = options_.max_key_bytes;
      for (std::string& tag : tags) tag = safe_segment(tag, max);
      stored = co_await backend_.store_tagged(ns, generation, key, token, entry, ttl,
                                              fetched->tag_sequence, tags, timeout);
    } else {
      stored = co_await backend_.store(ns, generation, key, token, entry, ttl, timeout);
    }
    stats.store_seconds.observe(seconds_since(start, clock_));
    if (note(stored, stats)) {
      flight->stored = *stored;
      if (!*stored) {
        stats.stale_set_prevented.inc();
        spdlog::debug("cache: store refused (retired during load) cache={} key={}", stats.name,
                      key_fingerprint(ns, key));
      }
    }
    if (spdlog::should_log(spdlog::level::debug)) {
      spdlog::debug("cache store cache={} key={} generation={} tag_sequence={} result={}",
                    stats.name, key_fingerprint(ns, key), generation, fetched->tag_sequence,
                    !stored ? "failed" : (*stored ? "stored" : "refused"));
    }
  }
  flight->result = std::move(answer);
  co_return *flight->result;
}

asio::awaitable<bool> Engine::retire(CacheStats& stats, const std::string& ns,
                                     const std::string* key, const std::vector<std::string>* tags) {
  // Always tried, whatever the breaker says and even when this process does not read
  // the cache (enabled = false): other processes may be serving the retired entries,
  // and only a delivered retirement stops them before their change feed catches up.
  {
    const auto start = clock_.now();
    bool delivered = false;
    if (key) {
      auto r = co_await backend_.retire_key(ns, *key, options_.retire_timeout);
      if ((delivered = note(r, stats))) stats.invalidation_key.inc();
    } else if (tags) {
      auto r = co_await backend_.retire_tags(ns, *tags, options_.retire_timeout);
      if ((delivered = note(r, stats))) stats.invalidation_tag.inc();
    } else {
      auto r = co_await backend_.retire_namespace(ns, options_.retire_timeout);
      if ((delivered = note(r, stats))) {
        generations_[ns] = *r;
        stats.invalidation_namespace.inc();
      }
    }
    stats.retire_seconds.observe(seconds_since(start, clock_));
    if (spdlog::should_log(spdlog::level::debug)) {
      std::string what = key ? "key " + key_fingerprint(ns, *key) : tags ? "tags" : "namespace";
      if (tags) {
        for (const std::string& tag : *tags) what.append(" ").append(tag);
      }
      spdlog::debug("cache retire cache={} ns={} what={} delivered={}", stats.name, ns, what,
                    delivered);
    }
    if (delivered) {
      ledger_->count_retirement();
      co_return true;
    }
  }
  // Not delivered: retire the whole namespace later, before the cache is read again.
  const bool first = ledger_->empty();
  ledger_->add(ns);
  ledger_->count_retirement();
  stats.invalidation_deferred.inc();
  spdlog::warn("cache: invalidation of ns={} deferred until the cache is reachable", ns);
  // Lookups start the repair, but an idle process (only /health asked, e.g. while a load
  // balancer or a test waits for "cache":"up") would keep it pending and report the cache
  // down for good: try it every open_for until the ledger is empty. One loop per process
  // suffices (the ledger is shared and a repair delivers all of it); a second is harmless.
  if (first) {
    asio::co_spawn(
        executor_,
        [this]() -> asio::awaitable<void> {
          asio::steady_timer timer(executor_);
          while (!ledger_->empty()) {
            timer.expires_after(options_.breaker.open_for);
            auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
            if (ec) co_return;
            start_repair();
          }
        },
        asio::detached);
  }
  co_return false;
}

void Engine::start_repair() {
  if (repairing_ || !breaker_.allow(clock_.now())) return;
  repairing_ = true;
  asio::co_spawn(executor_, repair(), asio::detached);
}

asio::awaitable<void> Engine::repair() {
  for (const auto& [ns, sequence] : ledger_->snapshot()) {
    auto r = co_await backend_.retire_namespace(ns, options_.retire_timeout);
    const auto before = breaker_.state();
    if (!r) {
      breaker_.on_failure(clock_.now());
      publish_breaker(before);
      break;
    }
    breaker_.on_success();
    publish_breaker(before);
    generations_[ns] = *r;
    ledger_->delivered(ns, sequence);
    spdlog::info("cache: delivered deferred invalidation ns={} generation={}", ns, *r);
  }
  repairing_ = false;
}

Cache::Cache(Engine& engine, std::string name, Policy policy)
    : engine_(engine), stats_(CacheStats::for_cache(name)), policy_(policy) {}

asio::awaitable<Result<Answer>> Cache::get_or_load(std::string ns, std::string key, Loader loader) {
  TaggedLoader untagged = [loader = std::move(loader)]() -> asio::awaitable<Result<Loaded>> {
    Result<std::string> value = co_await loader();
    if (!value) co_return value.error();
    co_return Loaded{std::move(*value), {}};
  };
  co_return co_await lookup(std::move(ns), std::move(key), untagged, false);
}

asio::awaitable<Result<Answer>> Cache::get_or_load_tagged(std::string ns, std::string key,
                                                          TaggedLoader loader) {
  co_return co_await lookup(std::move(ns), std::move(key), loader, true);
}

asio::awaitable<Result<Answer>> Cache::lookup(std::string ns, std::string key,
                                              const TaggedLoader& loader, bool tagged) {
  const auto start = engine_.clock_.now();
  const std::size_t max = engine_.options_.max_key_bytes;
  const std::string safe_ns = safe_segment(ns, max), safe_key = safe_segment(key, max);
  Result<Answer> answer =
      co_await engine_.lookup(stats_, policy_, safe_ns, safe_key, loader, tagged);
  if (spdlog::should_log(spdlog::level::debug)) {
    spdlog::debug(
        "cache lookup cache={} key={} result={} us={}", stats_.name,
        key_fingerprint(safe_ns, safe_key), answer ? to_string(answer->source) : "ERROR",
        std::chrono::duration_cast<std::chrono::microseconds>(engine_.clock_.now() - start)
            .count());
  }
  co_return answer;
}

asio::awaitable<bool> Cache::retire_namespace(std::string ns) {
  co_return co_await engine_.retire(stats_, safe_segment(ns, engine_.options_.max_key_bytes),
                                    nullptr);
}

asio::awaitable<bool> Cache::retire_stored_namespace(std::string stored_ns) {
  co_return co_await engine_.retire(stats_, stored_ns, nullptr);
}

asio::awaitable<bool> Cache::retire_key(std::string ns, std::string key) {
  const std::size_t max = engine_.options_.max_key_bytes;
  const std::string safe_key = safe_segment(key, max);
  co_return co_await engine_.retire(stats_, safe_segment(ns, max), &safe_key);
}

asio::awaitable<bool> Cache::retire_tags(std::string ns, std::vector<std::string> tags) {
  const std::size_t max = engine_.options_.max_key_bytes;
  for (std::string& tag : tags) tag = safe_segment(tag, max);
  co_return co_await engine_.retire(stats_, safe_segment(ns, max), nullptr, &tags);
}

}  // namespace shopfloor::cache
