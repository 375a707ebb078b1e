// What get_or_load adds to a bare Redis GET on a hit (issue 3 target: < 10 µs).
//
// Both run one operation at a time (no pipelining), so each iteration is one round
// trip over the same client and connection: BM_BareGet is redis::Client GET of a value;
// BM_CacheHit is cache::Cache::get_or_load of a value of the same size already cached
// (one MGET of generation + value, plus the core's work: key guard, single-flight map,
// breaker, stats, generation hint). The difference of the two is the core's overhead.
// Settings come from the environment like the service's (source .run/env.sh).
#include <benchmark/benchmark.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>

#include "app/config.hpp"
#include "cache/cache.hpp"
#include "cache/redis_backend.hpp"
#include "redis/client.hpp"

namespace {

namespace asio = boost::asio;
using namespace shopfloor;
using std::chrono::milliseconds;

struct Fixture {
  Fixture() {
    auto config = app::load_config_from_environment();
    if (!config) throw std::runtime_error(config.error().message);
    client = std::make_unique<redis::Client>(ioc.get_executor(), config->redis);
    client->start();
    for (int i = 0; i < 500 && !client->connected(); ++i) ioc.run_for(milliseconds(10));
    if (!client->connected()) throw std::runtime_error("redis not reachable (source .run/env.sh)");
    backend = std::make_unique<cache::RedisBackend>(*client, "sf:bench:");
    engine =
        std::make_unique<cache::Engine>(ioc.get_executor(), *backend, ledger,
                                        cache::EngineOptions{.op_timeout = milliseconds(1000)});
    cache = std::make_unique<cache::Cache>(*engine, "bench",
                                           cache::Policy{.ttl = milliseconds(600'000)});
  }
  template <class F>
  void run(F make) {
    bool done = false;
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
          co_await make();
          done = true;
        },
        asio::detached);
    while (!done) ioc.run_one();
  }
  asio::io_context ioc{1};
  std::shared_ptr<cache::InvalidationLedger> ledger = std::make_shared<cache::InvalidationLedger>();
  std::unique_ptr<redis::Client> client;
  std::unique_ptr<cache::RedisBackend> backend;
  std::unique_ptr<cache::Engine> engine;
  std::unique_ptr<cache::Cache> cache;
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

void BM_BareGet(benchmark::State& state) {
  auto& f = fixture();
  const std::string key = "sf:bench:bare:" + std::to_string(state.range(0));
  const std::string value(static_cast<std::size_t>(state.range(0)), 'x');
  f.run([&]() -> asio::awaitable<void> {
    auto op = f.client->command({"SET", key, value}, milliseconds(1000));
    co_await std::move(op);
  });
  for (auto _ : state) {
    f.run([&]() -> asio::awaitable<void> {
      auto op = f.client->command({"GET", key}, milliseconds(1000));
      auto r = co_await std::move(op);
      if (!r || r->str.size() != value.size()) state.SkipWithError("GET failed");
    });
  }
}

void BM_CacheHit(benchmark::State& state) {
  auto& f = fixture();
  const std::string value(static_cast<std::size_t>(state.range(0)), 'x');
  const std::string key =
      "orders?page=1&page_size=50&sort=-created_at&size=" + std::to_string(value.size());
  cache::Loader loader = [&]() -> asio::awaitable<Result<std::string>> { co_return value; };
  f.run([&]() -> asio::awaitable<void> { co_await f.cache->get_or_load("bench", key, loader); });
  for (auto _ : state) {
    f.run([&]() -> asio::awaitable<void> {
      auto a = co_await f.cache->get_or_load("bench", key, loader);
      if (!a || a->source != cache::Source::hit) state.SkipWithError("not a hit");
    });
  }
}

BENCHMARK(BM_BareGet)->Arg(1024)->Arg(20480)->MinTime(2.0)->UseRealTime();
BENCHMARK(BM_CacheHit)->Arg(1024)->Arg(20480)->MinTime(2.0)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
