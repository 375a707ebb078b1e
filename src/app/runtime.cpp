#include "app/runtime.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "app/shard.hpp"
#include "metrics/process.hpp"
#include "pg/change_feed.hpp"
#include "pg/migrations.hpp"
#include "pg/pool.hpp"

namespace shopfloor::app {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;

asio::awaitable<void> sleep_for(milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor);
  t.expires_after(d);
  co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
}

// How often /health's probes run, and each probe's deadline: /health turns "down" at
// most one interval plus one deadline after a server stops answering.
constexpr milliseconds kProbeInterval{500};
constexpr milliseconds kProbeDeadline{500};

// Keeps HealthState::db_up current without touching the database per /health call.
asio::awaitable<void> probe_database(pg::Pool& db, HealthState& health, const bool& stopping) {
  while (!stopping) {
    auto r = co_await db.query("SELECT 1", {}, kProbeDeadline);
    const bool up = static_cast<bool>(r);
    if (up != health.db_up.exchange(up)) {
      if (up)
        spdlog::info("database reachable");
      else
        spdlog::warn("database unreachable: {}", r.error().message);
    }
    co_await sleep_for(kProbeInterval);
  }
}

// Keeps HealthState::cache_up current: a PING that must answer within the deadline (a
// frozen Redis keeps its connections open, so being connected proves nothing).
asio::awaitable<void> probe_cache(redis::Client& redis, HealthState& health, const bool& stopping) {
  while (!stopping) {
    auto ping = redis.command({"PING"}, kProbeDeadline);  // (no braced list in co_await: g++ 12)
    auto r = co_await std::move(ping);
    const bool up = r && !r->is_error();
    if (up != health.cache_up.exchange(up)) {
      if (up)
        spdlog::info("cache answering");
      else
        spdlog::warn("cache not answering: {}", r ? "error reply" : r.error().message());
    }
    co_await sleep_for(kProbeInterval);
  }
}

asio::awaitable<void> log_cache_summaries(milliseconds every, const bool& stopping) {
  while (!stopping) {
    co_await sleep_for(every);
    cache::log_summary();
  }
}

// Graceful shutdown of one shard, on its own thread; then its thread's run() returns.
asio::awaitable<void> drain_and_stop(Shard& shard) {
  co_await shard.drain();
  shard.ioc.stop();
}

// Runs one trusted SQL seed file (several statements) on a pooled connection, with
// the session setting shopfloor.seed_orders telling it how many orders to create.
asio::awaitable<pg::PgResult<pg::Rows>> run_seed_script(pg::Pool& pool, std::string sql,
                                                        long long orders, milliseconds timeout) {
  auto lease = co_await pool.acquire();
  if (!lease) co_return lease.error();
  auto setting = pg::params(std::string("shopfloor.seed_orders"), std::to_string(orders));
  auto set = co_await (*lease)->query("SELECT set_config($1, $2, false)", std::move(setting));
  if (!set) co_return set.error();
  co_return co_await (*lease)->execute_script(sql, timeout);
}

template <class T>
T run_once(asio::io_context& ioc, asio::awaitable<T> aw) {
  auto fut = asio::co_spawn(ioc, std::move(aw), asio::use_future);
  ioc.run();
  return fut.get();
}

}  // namespace

#ifndef SHOPFLOOR_VERSION
#define SHOPFLOOR_VERSION "0.0.0"
#endif

int serve(const Config& config) {
  // RSS, open fds, uptime and shopfloor_build_info, read at each scrape of /metrics.
  metrics::register_process_metrics(metrics::default_registry(), SHOPFLOOR_VERSION);
  auto ledger = std::make_shared<cache::InvalidationLedger>();
  HealthState health;
  std::vector<std::unique_ptr<Shard>> shards;
  for (std::size_t i = 0; i < config.threads; ++i)
    shards.push_back(std::make_unique<Shard>(config, ledger, health));

  try {
    for (auto& shard : shards) shard->start();
  } catch (const std::exception& e) {
    spdlog::error("cannot start: {}", e.what());
    return 1;
  }

  bool stopping = false;
  Shard& first = *shards.front();
  pg::ChangeFeedListener listener(first.ioc.get_executor(), config.db, first.change_feeds());
  listener.start();
  asio::co_spawn(first.ioc, probe_database(first.db, health, stopping), asio::detached);
  if (config.cache.enabled)
    asio::co_spawn(first.ioc, probe_cache(first.redis, health, stopping), asio::detached);
  asio::co_spawn(first.ioc, log_cache_summaries(config.summary_interval, stopping), asio::detached);

  asio::signal_set signals(first.ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    spdlog::info("signal {} received: draining (at most {} ms)", signo,
                 config.mes.drain_timeout.count());
    stopping = true;
    listener.stop();
    for (auto& shard : shards) asio::co_spawn(shard->ioc, drain_and_stop(*shard), asio::detached);
  });

  for (const http::ServerOptions* o : {&config.mes, &config.pricing, &config.shop}) {
    spdlog::info("{} API listening on http://{}:{} ({} threads)", o->service, o->address, o->port,
                 config.threads);
  }
  spdlog::info("cache: {} at {}:{} (tls {}), prefix {}",
               config.cache.enabled ? "redis" : "disabled", config.redis.host, config.redis.port,
               config.redis.tls ? "on" : "off", config.cache_prefix);

  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < shards.size(); ++i)
    threads.emplace_back([&, i] { shards[i]->ioc.run(); });
  first.ioc.run();
  for (auto& t : threads) t.join();
  spdlog::info("stopped");
  spdlog::default_logger()->flush();
  return 0;
}

int migrate(const Config& config) {
  asio::io_context ioc{1};
  pg::Pool pool(ioc.get_executor(), config.db);
  auto applied = run_once(ioc, pg::migrate(pool, std::filesystem::path(config.sql_dir)));
  if (!applied) {
    spdlog::error("migrate failed: {}", applied.error().message);
    return 1;
  }
  spdlog::info("migrate: {} migration(s) applied", *applied);
  return 0;
}

int seed(const Config& config, long long orders) {
  namespace fs = std::filesystem;
  // The order is stated, not taken from the file names: the MES seed draws its
  // products and work centres from the pricing seed. Every .sql file in seed/ must be
  // listed, so a new seed cannot be skipped silently.
  const std::vector<std::string> order{"pricing.sql", "mes.sql"};
  const fs::path dir = fs::path(config.sql_dir) / "seed";
  for (const auto& name : order) {
    if (!fs::is_regular_file(dir / name)) {
      spdlog::error("seed: {} is missing", (dir / name).string());
      return 1;
    }
  }
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    const bool listed = std::find(order.begin(), order.end(), name) != order.end();
    if (entry.path().extension() == ".sql" && !listed) {
      spdlog::error("seed: {} is not in the seed order (seed() in src/app/runtime.cpp)",
                    entry.path().string());
      return 1;
    }
  }
  asio::io_context ioc{1};
  pg::Pool pool(ioc.get_executor(), config.db);
  for (const auto& name : order) {
    std::ifstream in(dir / name);
    std::stringstream sql;
    sql << in.rdbuf();
    auto done = run_once(ioc, run_seed_script(pool, sql.str(), orders, milliseconds(600'000)));
    ioc.restart();
    if (!done) {
      spdlog::error("seed {} failed: {}", name, done.error().message);
      return 1;
    }
    spdlog::info("seed: {} applied", name);
  }
  return 0;
}

}  // namespace shopfloor::app
