// Unit tests of the cache-aside core on the memory backend with a manual clock.
#include "cache/cache.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <future>
#include <sstream>

#include "cache/memory_backend.hpp"
#include "testing/run.hpp"

namespace shopfloor::cache {
namespace {

using std::chrono::milliseconds;
namespace asio = boost::asio;

using testing::co::sleep_for;

// The value of the sample `series` (name and labels as rendered) in the process's
// /metrics text; -1 when absent.
double scraped(const std::string& series) {
  std::istringstream text(metrics::default_registry().render());
  std::string line;
  while (std::getline(text, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ')
      return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

// A gate a loader can wait on until the test opens it.
struct Gate {
  explicit Gate(asio::io_context& ioc) : timer(ioc, TimePoint::max()) {}
  asio::awaitable<void> wait() {
    while (!open) co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  void release() {
    open = true;
    timer.cancel();
  }
  asio::steady_timer timer;
  bool open = false;
};

class CacheCore : public ::testing::Test {
 protected:
  CacheCore() {
    cache_ = std::make_unique<Cache>(engine_, "test_" + std::to_string(++serial_), policy_);
  }

  Loader counting_loader(std::string value) {
    return [this, value]() -> asio::awaitable<Result<std::string>> {
      ++loads_;
      co_return value;
    };
  }
  Result<Answer> get(const std::string& key, Loader loader, const std::string& ns = "ns") {
    return testing::run(ioc_, cache_->get_or_load(ns, key, std::move(loader)));
  }
  void retire(const std::string& ns) { testing::run(ioc_, cache_->retire_namespace(ns)); }
  TaggedLoader tagged_loader(std::string value, std::vector<std::string> tags) {
    return [this, value, tags]() -> asio::awaitable<Result<Loaded>> {
      ++loads_;
      co_return Loaded{value, tags};
    };
  }
  Result<Answer> get_tagged(const std::string& key, TaggedLoader loader,
                            const std::string& ns = "ns") {
    return testing::run(ioc_, cache_->get_or_load_tagged(ns, key, std::move(loader)));
  }
  bool retire_tags(const std::string& ns, std::vector<std::string> tags) {
    return testing::run(ioc_, cache_->retire_tags(ns, std::move(tags)));
  }

  static inline int serial_ = 0;
  asio::io_context ioc_;
  ManualClock clock_;
  MemoryBackend backend_{clock_};
  std::shared_ptr<InvalidationLedger> ledger_ = std::make_shared<InvalidationLedger>();
  EngineOptions options_{
      .enabled = true,
      .op_timeout = milliseconds(10),
      .max_key_bytes = 200,
      .breaker = {
          .failure_threshold = 2, .open_for = milliseconds(50), .failing_for = milliseconds(0)}};
  Engine engine_{ioc_.get_executor(), backend_, ledger_, options_, clock_};
  // Early refresh off: these tests count loads near expiry (its own tests turn it on).
  Policy policy_{
      .ttl = milliseconds(1000), .ttl_jitter = 0.1, .max_value_bytes = 1024, .early_refresh = 0};
  std::unique_ptr<Cache> cache_;
  int loads_ = 0;
};

// XFetch: far from expiry a hit never reloads; close to it one lookup reloads while the
// entry is still served; the reload replaces it (a later expiry).
TEST_F(CacheCore, HotEntriesAreRefreshedShortlyBeforeTheyExpire) {
  Policy p = policy_;
  p.early_refresh = 1.0;
  p.ttl_jitter = 0;
  Cache c(engine_, "early", p);
  auto get_early = [&](Loader l) {
    return testing::run(ioc_, c.get_or_load("ns", "k", std::move(l)));
  };
  ASSERT_EQ(get_early(counting_loader("v1"))->source, Source::miss);
  clock_.advance(milliseconds(500));  // 500 ms left: exp(-500/10) — never in practice
  for (int i = 0; i < 200; ++i) ASSERT_EQ(get_early(counting_loader("v2"))->value, "v1");
  EXPECT_EQ(loads_, 1);
  EXPECT_EQ(c.stats().early_refresh.value(), 0);

  clock_.advance(milliseconds(498));  // 2 ms left: each hit reloads with p = exp(-0.2)
  int refreshed_at = -1;
  for (int i = 0; i < 50 && refreshed_at < 0; ++i) {
    auto a = get_early(counting_loader("v2"));
    ASSERT_TRUE(a);
    if (a->value == "v2")
      refreshed_at = i;
    else
      EXPECT_EQ(a->source, Source::hit);
  }
  ASSERT_GE(refreshed_at, 0) << "no early refresh in 50 hits 2 ms before expiry";
  EXPECT_EQ(loads_, 2);
  EXPECT_EQ(c.stats().early_refresh.value(), 1);
  clock_.advance(milliseconds(100));  // past the first entry's expiry: the reload's is later
  auto after = get_early(counting_loader("v3"));
  EXPECT_EQ(after->value, "v2");
  EXPECT_EQ(after->source, Source::hit);
}

// While one loader holds the lease (another thread or process refreshing), an early
// refresh answers the current entry instead of waiting; a failed reload does the same.
TEST_F(CacheCore, AnEarlyRefreshNeverWaitsNorFails) {
  Policy p = policy_;
  p.early_refresh = 1e9;  // every hit is an early refresh
  Cache c(engine_, "early_busy", p);
  ASSERT_EQ(testing::run(ioc_, c.get_or_load("ns", "k", counting_loader("v1")))->source,
            Source::miss);
  Loader failing = []() -> asio::awaitable<Result<std::string>> {
    co_return Problem::unavailable("database down");
  };
  auto a = testing::run(ioc_, c.get_or_load("ns", "k", failing));
  ASSERT_TRUE(a) << "a failed early refresh must answer the current entry";
  EXPECT_EQ(a->value, "v1");
  EXPECT_EQ(a->source, Source::hit);

  ASSERT_TRUE(*testing::run(
      ioc_, backend_.acquire_lease("ns", 0, "k", "someone", milliseconds(2000), milliseconds(10))));
  auto b = testing::run(ioc_, c.get_or_load("ns", "k", counting_loader("v2")));
  ASSERT_TRUE(b);
  EXPECT_EQ(b->value, "v1");
  EXPECT_EQ(b->source, Source::hit);
  EXPECT_EQ(loads_, 1);
}

TEST_F(CacheCore, MissLoadsAndStoresThenHitServesStoredBytes) {
  auto first = get("k", counting_loader("v1"));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->source, Source::miss);
  auto second = get("k", counting_loader("v2"));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->source, Source::hit);
  EXPECT_EQ(second->value, "v1");
  EXPECT_EQ(loads_, 1);
  EXPECT_EQ(cache_->stats().hit.value(), 1);
  EXPECT_EQ(cache_->stats().miss.value(), 1);
}

TEST_F(CacheCore, JitteredTtlStaysWithinBoundsAndCap) {
  std::mt19937_64 rng(7);
  Policy p{.ttl = milliseconds(1000), .ttl_jitter = 0.1, .max_ttl = milliseconds(1050)};
  bool saw_above_ttl = false;
  for (int i = 0; i < 2000; ++i) {
    const auto ttl = jittered_ttl(p, rng);
    EXPECT_GE(ttl, milliseconds(1000));
    EXPECT_LE(ttl, milliseconds(1050));
    saw_above_ttl |= ttl > milliseconds(1000);
  }
  EXPECT_TRUE(saw_above_ttl) << "jitter must actually spread expiries";
  Policy no_jitter{.ttl = milliseconds(500), .ttl_jitter = 0};
  EXPECT_EQ(jittered_ttl(no_jitter, rng), milliseconds(500));
}

TEST_F(CacheCore, EntryLivesForTtlAndIsGoneAfterTtlPlusJitter) {
  ASSERT_TRUE(get("k", counting_loader("v")));
  clock_.advance(milliseconds(999));
  EXPECT_EQ(get("k", counting_loader("v"))->source, Source::hit);
  clock_.advance(milliseconds(102));  // 1101 ms > ttl * (1 + jitter)
  EXPECT_EQ(get("k", counting_loader("v"))->source, Source::miss);
  EXPECT_EQ(loads_, 2);
}

TEST_F(CacheCore, RetiringANamespaceRetiresEveryVariant) {
  for (const char* k : {"status=new&page=1", "status=new&page=2", "customer=A"})
    ASSERT_TRUE(get(k, counting_loader("old")));
  ASSERT_TRUE(get("k", counting_loader("other"), "other_ns"));
  retire("ns");
  for (const char* k : {"status=new&page=1", "status=new&page=2", "customer=A"}) {
    auto a = get(k, counting_loader("new"));
    EXPECT_EQ(a->source, Source::miss) << k;
    EXPECT_EQ(a->value, "new");
  }
  EXPECT_EQ(get("k", counting_loader("x"), "other_ns")->source, Source::hit);
  EXPECT_EQ(cache_->stats().invalidation_namespace.value(), 1);
}

TEST_F(CacheCore, RetiringOneKeyLeavesTheOthers) {
  ASSERT_TRUE(get("a", counting_loader("a1")));
  ASSERT_TRUE(get("b", counting_loader("b1")));
  testing::run(ioc_, cache_->retire_key("ns", "a"));
  EXPECT_EQ(get("a", counting_loader("a2"))->value, "a2");
  EXPECT_EQ(get("b", counting_loader("b2"))->source, Source::hit);
}

TEST_F(CacheCore, RetiringTagsRetiresOnlyTheValuesFiledUnderThem) {
  ASSERT_TRUE(get_tagged("page=1", tagged_loader("p1", {"7", "8"})));
  ASSERT_TRUE(get_tagged("page=2", tagged_loader("p2", {"9"})));
  ASSERT_TRUE(get("plain", counting_loader("v")));
  ASSERT_EQ(loads_, 3);
  EXPECT_TRUE(retire_tags("ns", {"8"}));
  EXPECT_EQ(cache_->stats().invalidation_tag.value(), 1);
  auto first = get_tagged("page=1", tagged_loader("p1b", {"7", "8"}));
  EXPECT_EQ(first->source, Source::miss);
  EXPECT_EQ(first->value, "p1b");
  EXPECT_EQ(get_tagged("page=2", tagged_loader("x", {"9"}))->source, Source::hit);
  EXPECT_EQ(get("plain", counting_loader("x"))->source, Source::hit);
  EXPECT_EQ(get_tagged("page=1", tagged_loader("x", {"7", "8"}))->value, "p1b");
}

TEST_F(CacheCore, ValueLoadedBeforeATagRetirementIsNeverStoredAfterIt) {
  // The loader learns its tags only from what it read: a retirement of any tag of the
  // namespace while it runs refuses its store, whatever tags it ends up with.
  std::string database = "old";
  Gate gate(ioc_);
  TaggedLoader slow_reader = [&]() -> asio::awaitable<Result<Loaded>> {
    std::string snapshot = database;
    co_await gate.wait();
    co_return Loaded{snapshot, {"7"}};
  };
  auto reader =
      asio::co_spawn(ioc_, cache_->get_or_load_tagged("ns", "k", slow_reader), asio::use_future);
  ioc_.restart();
  ioc_.poll();
  database = "new";
  EXPECT_TRUE(retire_tags("ns", {"7"}));  // nothing is filed under 7 yet
  gate.release();
  ioc_.restart();
  ioc_.run_for(milliseconds(200));
  ASSERT_EQ(reader.get()->value, "old");
  EXPECT_EQ(get_tagged("k", tagged_loader(database, {"7"}))->value, "new")
      << "a stale value was stored after the tag retirement";
  EXPECT_EQ(cache_->stats().stale_set_prevented.value(), 1);
}

TEST_F(CacheCore, ATagRetirementThatCannotBeDeliveredRetiresTheNamespaceLater) {
  ASSERT_TRUE(get_tagged("page=1", tagged_loader("p1", {"7"})));
  ASSERT_TRUE(get_tagged("page=2", tagged_loader("p2", {"9"})));
  backend_.set_available(false);
  EXPECT_FALSE(retire_tags("ns", {"7"}));
  EXPECT_EQ(ledger_->size(), 1u);
  backend_.set_available(true);
  clock_.advance(milliseconds(60));
  for (int i = 0; i < 3; ++i) {  // bypass until the ledger is delivered
    ASSERT_TRUE(get_tagged("page=2", tagged_loader("p2b", {"9"})));
    ioc_.restart();
    ioc_.poll();
  }
  ASSERT_TRUE(ledger_->empty());
  // The whole namespace was retired: even the page without tag 7 is loaded again.
  EXPECT_EQ(get_tagged("page=2", tagged_loader("p2c", {"9"}))->value, "p2b");
  EXPECT_EQ(get_tagged("page=1", tagged_loader("p1c", {"7"}))->value, "p1c");
}

TEST_F(CacheCore, ConcurrentMissesOfOneKeyRunTheLoaderOnce) {
  std::atomic<int> loads = 0;
  Loader slow = [&]() -> asio::awaitable<Result<std::string>> {
    ++loads;
    co_await sleep_for(milliseconds(20));
    co_return std::string("v");
  };
  std::vector<std::future<Result<Answer>>> results;
  for (int i = 0; i < 100; ++i)
    results.push_back(
        asio::co_spawn(ioc_, cache_->get_or_load("ns", "hot", slow), asio::use_future));
  ioc_.restart();
  ioc_.run_for(std::chrono::seconds(5));
  for (auto& r : results) {
    auto a = r.get();
    ASSERT_TRUE(a);
    EXPECT_EQ(a->value, "v");
  }
  EXPECT_EQ(loads, 1);
  EXPECT_EQ(cache_->stats().coalesced.value(), 99);
}

TEST_F(CacheCore, OversizeValuesAreAnsweredButNotStored) {
  const std::string big(2048, 'x');
  EXPECT_EQ(get("k", counting_loader(big))->value, big);
  EXPECT_EQ(get("k", counting_loader(big))->source, Source::miss);
  EXPECT_EQ(loads_, 2);
  EXPECT_EQ(cache_->stats().oversize.value(), 2);
}

TEST_F(CacheCore, LoaderErrorsPassThroughAndAreNotCached) {
  Loader missing = [this]() -> asio::awaitable<Result<std::string>> {
    ++loads_;
    co_return Problem::not_found("no such order");
  };
  auto a = get("k", missing);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().kind, ProblemKind::not_found);
  EXPECT_EQ(get("k", counting_loader("now exists"))->value, "now exists");
  EXPECT_EQ(cache_->stats().loader_error.value(), 1);
}

// The classic cache-aside race, forced deterministically: a reader loads the old row,
// a writer commits and retires the namespace, then the reader's store arrives.
TEST_F(CacheCore, ValueLoadedBeforeNamespaceRetirementIsNeverStoredAfterIt) {
  std::string database = "old";
  Gate gate(ioc_);
  Loader slow_reader = [&]() -> asio::awaitable<Result<std::string>> {
    std::string snapshot = database;  // read before the write...
    co_await gate.wait();             // ...and held until after it
    co_return snapshot;
  };
  auto reader = asio::co_spawn(ioc_, cache_->get_or_load("ns", "k", slow_reader), asio::use_future);
  ioc_.restart();
  ioc_.poll();  // the reader has read "old" and waits
  database = "new";
  testing::run(ioc_, cache_->retire_namespace("ns"));  // the writer's invalidation
  gate.release();
  ioc_.restart();
  ioc_.run_for(milliseconds(200));
  ASSERT_EQ(reader.get()->value, "old");  // it began before the write: allowed
  auto later = get("k", counting_loader(database));
  EXPECT_EQ(later->value, "new") << "a stale value was stored after the invalidation";
  EXPECT_EQ(cache_->stats().stale_set_prevented.value(), 1);
}

TEST_F(CacheCore, ValueLoadedBeforeKeyRetirementIsNeverStoredAfterIt) {
  std::string database = "old";
  Gate gate(ioc_);
  Loader slow_reader = [&]() -> asio::awaitable<Result<std::string>> {
    std::string snapshot = database;
    co_await gate.wait();
    co_return snapshot;
  };
  auto reader = asio::co_spawn(ioc_, cache_->get_or_load("ns", "k", slow_reader), asio::use_future);
  ioc_.restart();
  ioc_.poll();
  database = "new";
  testing::run(ioc_, cache_->retire_key("ns", "k"));
  gate.release();
  ioc_.restart();
  ioc_.run_for(milliseconds(200));
  ASSERT_EQ(reader.get()->value, "old");
  EXPECT_EQ(get("k", counting_loader(database))->value, "new");
}

// Read-your-writes through single flight: a lookup that starts after a write was
// acknowledged must not share a load that began before it.
TEST_F(CacheCore, LookupAfterARetirementDoesNotJoinALoadThatBeganBeforeIt) {
  std::string database = "old";
  Gate gate(ioc_);
  Loader slow_reader = [&]() -> asio::awaitable<Result<std::string>> {
    std::string snapshot = database;
    co_await gate.wait();
    co_return snapshot;
  };
  auto early = asio::co_spawn(ioc_, cache_->get_or_load("ns", "k", slow_reader), asio::use_future);
  ioc_.restart();
  ioc_.poll();  // the early lookup has read "old" and waits
  database = "new";
  testing::run(ioc_, cache_->retire_key("ns", "k"));  // the write is acknowledged after this
  Loader fresh = [&]() -> asio::awaitable<Result<std::string>> { co_return database; };
  auto late = asio::co_spawn(ioc_, cache_->get_or_load("ns", "k", fresh), asio::use_future);
  ioc_.restart();
  ioc_.run_for(milliseconds(50));
  gate.release();
  ioc_.restart();
  ioc_.run_for(milliseconds(200));
  EXPECT_EQ(early.get()->value, "old");  // began before the write: allowed
  EXPECT_EQ(late.get()->value, "new") << "a lookup after the write shared the older load";
  EXPECT_EQ(get("k", counting_loader("x"))->value, "new");
}

// A retirement that could not be delivered is delivered once the cache is back, also
// when nothing looks anything up meanwhile (an idle process must not report the cache
// down for good).
TEST_F(CacheCore, ADeferredRetirementIsDeliveredWithoutAnyLookup) {
  ASSERT_TRUE(get("k", counting_loader("cached")));
  backend_.set_available(false);
  EXPECT_FALSE(testing::run(ioc_, cache_->retire_namespace("ns")));
  ASSERT_FALSE(ledger_->empty());
  EXPECT_FALSE(engine_.cache_usable());
  backend_.set_available(true);
  clock_.advance(milliseconds(60));  // were the breaker open, its probe would be due
  // No lookup: only the engine's own retry, every open_for (50 ms here).
  EXPECT_TRUE(testing::run_until(
      ioc_, [&] { return ledger_->empty(); }, milliseconds(1000)))
      << "the deferred retirement was not delivered";
  EXPECT_TRUE(engine_.cache_usable());
  EXPECT_EQ(get("k", counting_loader("fresh"))->value, "fresh");
}

TEST_F(CacheCore, UnreachableBackendFailsOpenAndBreakerStopsWaiting) {
  ASSERT_TRUE(get("k", counting_loader("cached")));
  backend_.set_available(false);
  for (int i = 0; i < 5; ++i) {
    auto a = get("k", counting_loader("from-db"));
    ASSERT_TRUE(a);
    EXPECT_EQ(a->source, Source::bypass);
    EXPECT_EQ(a->value, "from-db");
  }
  EXPECT_FALSE(engine_.cache_usable());
  EXPECT_EQ(cache_->stats().backend_error.value(), 2) << "breaker opened after 2 failures";
  const std::string engine = "{engine=\"" + engine_.id() + "\"}";
  EXPECT_EQ(scraped("shopfloor_cache_breaker_open" + engine), 1);
  EXPECT_EQ(scraped("shopfloor_cache_breaker_opens_total" + engine), 1);
  backend_.set_available(true);
  clock_.advance(milliseconds(60));  // the next probe is due
  EXPECT_EQ(get("k", counting_loader("x"))->source, Source::hit);
  EXPECT_TRUE(engine_.cache_usable());
  EXPECT_EQ(scraped("shopfloor_cache_breaker_open" + engine), 0);
  EXPECT_EQ(scraped("shopfloor_cache_breaker_opens_total" + engine), 1);
}

TEST_F(CacheCore, SlowBackendIsBoundedByTheOperationTimeout) {
  // Far slower than any bound here: a request held by the backend would take 5 s;
  // one bounded by the operation timeout finishes within a generous 1.5 s even on
  // a loaded machine under ASan.
  backend_.set_latency(milliseconds(5000));
  const auto start = std::chrono::steady_clock::now();
  auto a = get("k", counting_loader("db"));
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(a);
  EXPECT_EQ(a->source, Source::bypass);
  EXPECT_LT(took, milliseconds(1500)) << "a slow cache must not hold the request";
}

TEST_F(CacheCore, InvalidationDuringOutageIsDeliveredBeforeTheCacheIsReadAgain) {
  ASSERT_TRUE(get("k", counting_loader("old")));
  backend_.set_available(false);
  retire("ns");  // the write's invalidation cannot reach the cache
  EXPECT_EQ(ledger_->size(), 1u);
  // The fixture's ledger is the only one alive in this process.
  EXPECT_EQ(scraped("shopfloor_cache_ledger_pending_namespaces"), 1);
  EXPECT_EQ(cache_->stats().invalidation_deferred.value(), 1);
  retire("ns");  // the same namespace again: still one pending
  EXPECT_EQ(scraped("shopfloor_cache_ledger_pending_namespaces"), 1);
  backend_.set_available(true);
  clock_.advance(milliseconds(60));
  // Until the ledger is delivered, nothing comes from the cache; afterwards the old
  // entry is retired. No answer may ever be "old".
  for (int i = 0; i < 5; ++i) {
    auto a = get("k", counting_loader("new"));
    ASSERT_TRUE(a);
    EXPECT_EQ(a->value, "new") << "attempt " << i;
    ioc_.restart();
    ioc_.poll();
  }
  EXPECT_TRUE(ledger_->empty());
  EXPECT_EQ(scraped("shopfloor_cache_ledger_pending_namespaces"), 0);
  EXPECT_EQ(get("k", counting_loader("newer"))->source, Source::hit);
}

// A backend whose fetch replies can be held back after the read was done: the read
// happened at one moment, the answer arrives later (a slow network, a busy event loop).
class HeldReplies final : public Backend {
 public:
  HeldReplies(Backend& inner, asio::io_context& ioc) : inner_(inner), gate_(ioc) {}
  void hold() { holding_ = true; }
  void release() { gate_.release(); }

  asio::awaitable<BackendResult<Fetched>> fetch(const std::string& ns, std::uint64_t generation,
                                                const std::string& key,
                                                milliseconds timeout) override {
    auto r = co_await inner_.fetch(ns, generation, key, timeout);
    if (holding_) co_await gate_.wait();
    co_return r;
  }
  asio::awaitable<BackendResult<bool>> acquire_lease(const std::string& ns, std::uint64_t g,
                                                     const std::string& key,
                                                     const std::string& token, milliseconds ttl,
                                                     milliseconds timeout) override {
    co_return co_await inner_.acquire_lease(ns, g, key, token, ttl, timeout);
  }
  asio::awaitable<BackendResult<bool>> store(const std::string& ns, std::uint64_t g,
                                             const std::string& key, const std::string& token,
                                             const std::string& value, milliseconds ttl,
                                             milliseconds timeout) override {
    co_return co_await inner_.store(ns, g, key, token, value, ttl, timeout);
  }
  asio::awaitable<BackendResult<void>> release_lease(const std::string& ns, std::uint64_t g,
                                                     const std::string& key,
                                                     const std::string& token,
                                                     milliseconds timeout) override {
    co_return co_await inner_.release_lease(ns, g, key, token, timeout);
  }
  asio::awaitable<BackendResult<std::uint64_t>> retire_namespace(const std::string& ns,
                                                                 milliseconds timeout) override {
    co_return co_await inner_.retire_namespace(ns, timeout);
  }
  asio::awaitable<BackendResult<bool>> store_tagged(
      const std::string& ns, std::uint64_t g, const std::string& key, const std::string& token,
      const std::string& value, milliseconds ttl, std::uint64_t tag_sequence,
      const std::vector<std::string>& tags, milliseconds timeout) override {
    co_return co_await inner_.store_tagged(ns, g, key, token, value, ttl, tag_sequence, tags,
                                           timeout);
  }
  asio::awaitable<BackendResult<void>> retire_tags(const std::string& ns,
                                                   const std::vector<std::string>& tags,
                                                   milliseconds timeout) override {
    co_return co_await inner_.retire_tags(ns, tags, timeout);
  }
  asio::awaitable<BackendResult<void>> retire_key(const std::string& ns, const std::string& key,
                                                  milliseconds timeout) override {
    co_return co_await inner_.retire_key(ns, key, timeout);
  }
  bool ready() const override { return inner_.ready(); }
  std::uint64_t epoch() const override { return inner_.epoch(); }
  const char* kind() const override { return "held"; }

 private:
  Backend& inner_;
  Gate gate_;
  bool holding_ = false;
};

// Issue 10, hole 1: process B reads a value, process A then commits, retires and answers;
// a request that reaches B after A's answer must not be handed B's earlier read.
TEST_F(CacheCore, ARequestAfterAnotherProcessesRetirementNeverTakesAnEarlierRead) {
  HeldReplies held(backend_, ioc_);
  EngineOptions slow_ok = options_;
  slow_ok.op_timeout = milliseconds(5000);  // replies are held, not lost
  Engine process_b(ioc_.get_executor(), held, std::make_shared<InvalidationLedger>(), slow_ok,
                   clock_);
  Engine process_a(ioc_.get_executor(), backend_, std::make_shared<InvalidationLedger>(), slow_ok,
                   clock_);
  Cache b(process_b, "held_b", policy_), a(process_a, "held_a", policy_);
  std::string database = "old";
  Loader from_database = [&]() -> asio::awaitable<Result<std::string>> { co_return database; };
  ASSERT_EQ(testing::run(ioc_, b.get_or_load("ns", "k", from_database))->value, "old");

  held.hold();
  auto early = asio::co_spawn(ioc_, b.get_or_load("ns", "k", from_database), asio::use_future);
  ioc_.restart();
  ioc_.poll();  // B's read of "old" is done; its reply is held
  database = "new";
  testing::run(ioc_, a.retire_namespace("ns"));  // A's write is acknowledged after this
  auto late = asio::co_spawn(ioc_, b.get_or_load("ns", "k", from_database), asio::use_future);
  ioc_.restart();
  ioc_.poll();
  held.release();
  ioc_.restart();
  ioc_.run_for(milliseconds(200));
  EXPECT_EQ(early.get()->value, "old");  // began before the write: allowed
  EXPECT_EQ(late.get()->value, "new") << "a request after the write was given an earlier read";
}

// Issue 10, hole 3: a reply that crossed a change of server (a restart from a snapshot,
// a promoted replica) may carry data the new server restored from before a retirement.
TEST_F(CacheCore, AReadAcrossAServerChangeIsAnsweredFromTheSource) {
  HeldReplies held(backend_, ioc_);
  EngineOptions slow_ok = options_;
  slow_ok.op_timeout = milliseconds(5000);
  Engine engine(ioc_.get_executor(), held, std::make_shared<InvalidationLedger>(), slow_ok, clock_);
  Cache c(engine, "server_change", policy_);
  std::string database = "old";
  Loader from_database = [&]() -> asio::awaitable<Result<std::string>> { co_return database; };
  ASSERT_EQ(testing::run(ioc_, c.get_or_load("ns", "k", from_database))->value, "old");
  held.hold();
  auto across = asio::co_spawn(ioc_, c.get_or_load("ns", "k", from_database), asio::use_future);
  ioc_.restart();
  ioc_.poll();  // read "old"; the reply is held
  database = "new";
  backend_.change_server();
  held.release();
  ioc_.restart();
  ioc_.run_for(milliseconds(100));
  auto answer = across.get();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->value, "new");
  EXPECT_EQ(answer->source, Source::bypass);
}

// A waiter takes the leader's value only when the leader's conditional store succeeded
// after it joined; when the store is refused, it looks up for itself.
TEST_F(CacheCore, WaitersOfARefusedStoreLoadForThemselves) {
  std::string database = "old";
  Gate gate(ioc_);
  int loads = 0;
  Loader slow_reader = [&]() -> asio::awaitable<Result<std::string>> {
    ++loads;
    std::string snapshot = database;
    if (loads == 1) co_await gate.wait();
    co_return snapshot;
  };
  auto leader = asio::co_spawn(ioc_, cache_->get_or_load("ns", "k", slow_reader), asio::use_future);
  ioc_.restart();
  ioc_.poll();  // the leader has read "old" and waits
  auto waiter = asio::co_spawn(ioc_, cache_->get_or_load("ns", "k", slow_reader), asio::use_future);
  ioc_.restart();
  ioc_.poll();  // the waiter joined the flight
  database = "new";
  // Another process retires (its INCR is not counted by this engine's ledger).
  MemoryBackend& shared = backend_;
  auto r = testing::run(ioc_, shared.retire_namespace("ns", milliseconds(100)));
  ASSERT_TRUE(r);
  gate.release();
  ioc_.restart();
  ioc_.run_for(milliseconds(200));
  EXPECT_EQ(leader.get()->value, "old");
  EXPECT_EQ(waiter.get()->value, "new");
  EXPECT_EQ(loads, 2);
}

TEST_F(CacheCore, LeaseMakesOtherEnginesWaitForTheLoaderInsteadOfLoading) {
  // Two engines on one backend stand for two processes sharing one Redis.
  Engine other_engine(ioc_.get_executor(), backend_, std::make_shared<InvalidationLedger>(),
                      options_, clock_);
  Policy p = policy_;
  p.lease_wait = milliseconds(2000);
  p.lease_poll = milliseconds(2);
  Cache a(engine_, "lease_a", p), b(other_engine, "lease_b", p);
  std::atomic<int> loads = 0;
  Loader slow = [&]() -> asio::awaitable<Result<std::string>> {
    ++loads;
    co_await sleep_for(milliseconds(30));
    co_return std::string("v");
  };
  std::vector<std::future<Result<Answer>>> results;
  for (int i = 0; i < 50; ++i) {
    results.push_back(asio::co_spawn(ioc_, a.get_or_load("ns", "k", slow), asio::use_future));
    results.push_back(asio::co_spawn(ioc_, b.get_or_load("ns", "k", slow), asio::use_future));
  }
  ioc_.restart();
  ioc_.run_for(std::chrono::seconds(5));
  for (auto& r : results) EXPECT_EQ(r.get()->value, "v");
  EXPECT_EQ(loads, 1);
}

TEST_F(CacheCore, DisabledCacheAlwaysBypasses) {
  EngineOptions off = options_;
  off.enabled = false;
  Engine disabled(ioc_.get_executor(), backend_, ledger_, off, clock_);
  Cache c(disabled, "disabled", policy_);
  for (int i = 0; i < 2; ++i) {
    auto a = testing::run(ioc_, c.get_or_load("ns", "k", counting_loader("v")));
    EXPECT_EQ(a->source, Source::bypass);
  }
  EXPECT_EQ(loads_, 2);
}

// Issue 10, hole 6: a process that does not read the cache still writes; its
// retirements must reach the cache the other processes read.
TEST_F(CacheCore, DisabledCacheStillRetiresForTheOtherProcesses) {
  EngineOptions off = options_;
  off.enabled = false;
  Engine disabled(ioc_.get_executor(), backend_, std::make_shared<InvalidationLedger>(), off,
                  clock_);
  Cache writer(disabled, "disabled_writer", policy_);
  ASSERT_EQ(get("k", counting_loader("old"))->value, "old");  // another process cached it
  testing::run(ioc_, writer.retire_namespace("ns"));
  auto after = get("k", counting_loader("new"));
  EXPECT_EQ(after->value, "new");
  EXPECT_EQ(after->source, Source::miss);
}

// The write path tries to retire even while the breaker is open: the cache may be back,
// and every other process may be reading it.
TEST_F(CacheCore, RetirementIsTriedWhileTheBreakerIsOpen) {
  ASSERT_EQ(get("k", counting_loader("old"))->value, "old");
  backend_.set_available(false);
  for (int i = 0; i < 3; ++i) get("other" + std::to_string(i), counting_loader("x"));
  ASSERT_FALSE(engine_.cache_usable()) << "the breaker should be open";
  backend_.set_available(true);
  testing::run(ioc_, cache_->retire_namespace("ns"));
  EXPECT_TRUE(ledger_->empty()) << "delivered at once, not deferred to the ledger";
}

}  // namespace
}  // namespace shopfloor::cache
