#include "app/runtime.hpp"

#include <pthread.h>
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
#include <csignal>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>
#include <utility>

#include "app/shard.hpp"
#include "app/systemd_notify.hpp"
#include "cache/redis_backend.hpp"
#include "metrics/process.hpp"
#include "pg/change_feed.hpp"
#include "pg/migration_files.hpp"
#include "pg/migrations.hpp"
#include "pg/pool.hpp"
#include "redis/connection.hpp"

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

// Tells systemd (Type=notify) about the service's state; a no-op outside systemd.
void tell_systemd(std::string_view state) {
  if (auto error = notify_systemd(state)) spdlog::warn("systemd notify: {}", *error);
}

// While the migrations are current they are asked again only every this many probes:
// they change only when an operator migrates.
constexpr int kMigrationCheckEvery = 20;

// Keeps HealthState::db_up and migrations_current current without touching the database
// per /health call. `migrations`: the files of SHOPFLOOR_SQL_DIR, read at start-up.
// The first answer also tells systemd the service is ready: serve() runs this only once
// every listener is bound (the unit migrates before it starts).
asio::awaitable<void> probe_database(pg::Pool& db, std::vector<pg::MigrationFile> migrations,
                                     HealthState& health, const bool& stopping) {
  std::optional<bool> logged_current;  // what the log last said about the migrations
  for (int probe = 0; !stopping; ++probe) {
    auto r = co_await db.query("SELECT 1", {}, kProbeDeadline);
    const bool up = static_cast<bool>(r);
    if (up != health.db_up.exchange(up)) {
      if (up) {
        spdlog::info("database reachable");
        tell_systemd("READY=1\nSTATUS=serving; database reachable");
      } else {
        spdlog::warn("database unreachable: {}", r.error().message);
        tell_systemd("STATUS=serving; database unreachable");
      }
    }
    if (up && (!health.migrations_current || probe % kMigrationCheckEvery == 0)) {
      auto status =
          co_await pg::migration_status(db, migrations, "schema_migrations", kProbeDeadline);
      if (status && status->current() != std::exchange(logged_current, status->current())) {
        health.migrations_current = status->current();
        if (status->current())
          spdlog::info("migrations current: ready");
        else
          spdlog::warn(
              "migrations not current ({} pending, {} changed): not ready until `shopfloor "
              "migrate` runs",
              status->pending.size(), status->changed.size());
      }
    }
    co_await sleep_for(kProbeInterval);
  }
}

// Keeps HealthState::cache_up current: a PING that must answer within the deadline (a
// frozen Redis keeps its connections open, so being connected proves nothing).
// It also reads the server's eviction policy, at the first answer and every
// kPolicyCheckEvery probes after: while it may evict keys without a TTL (allkeys-*), the
// cache is refused (every lookup BYPASSes, /health says the cache is down), since an
// evicted generation could bring back entries stored before a retirement.
constexpr int kPolicyCheckEvery = 10;

asio::awaitable<void> probe_cache(redis::Client& redis, cache::InvalidationLedger& ledger,
                                  HealthState& health, const bool& stopping) {
  std::string logged_policy;
  for (int probe = 0; !stopping; ++probe) {
    auto ping = redis.command({"PING"}, kProbeDeadline);  // (no braced list in co_await: g++ 12)
    auto r = co_await std::move(ping);
    bool up = r && !r->is_error();
    if (up && (logged_policy.empty() || probe % kPolicyCheckEvery == 0)) {
      auto info_op = redis.command({"INFO", "memory"}, kProbeDeadline);
      auto info = co_await std::move(info_op);
      const std::string policy =
          info && info->is_string() ? redis::info_field(info->str, "maxmemory_policy") : "";
      if (!policy.empty()) {
        const bool unsafe = cache::evicts_keys_without_ttl(policy);
        ledger.refuse(unsafe);
        if (policy != std::exchange(logged_policy, policy)) {
          if (unsafe)
            spdlog::error(
                "cache: Redis maxmemory-policy is {}: it may evict the namespace generations, so "
                "the cache is not used (BYPASS) until it is volatile-lru (or another volatile-* "
                "or noeviction); then FLUSHDB the cache's database, since generations evicted "
                "meanwhile may have restarted at old numbers (docs/OPERATIONS.md)",
                policy);
          else
            spdlog::info("cache: Redis maxmemory-policy is {}", policy);
        }
      }
    }
    if (ledger.refused()) up = false;
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
  // /health/ready compares the database with these files: without them it cannot say.
  auto migrations = pg::load_migrations(std::filesystem::path(config.sql_dir));
  if (!migrations) {
    spdlog::error("configuration: SHOPFLOOR_SQL_DIR: {}", migrations.error().message);
    return 2;
  }
  // RSS, open fds, uptime and shopfloor_build_info, read at each scrape of /metrics.
  metrics::register_process_metrics(metrics::default_registry(), SHOPFLOOR_VERSION);
  auto ledger = std::make_shared<cache::InvalidationLedger>();
  HealthState health;
  std::vector<std::unique_ptr<Shard>> shards;
  for (std::size_t i = 0; i < config.threads; ++i)
    shards.push_back(std::make_unique<Shard>(config, ledger, health));

  try {
    for (auto& shard : shards) shard->start();
  } catch (const ListenError& e) {
    spdlog::error("configuration: {}", e.what());
    return 2;
  } catch (const std::exception& e) {
    spdlog::error("cannot start: {}", e.what());
    return 1;
  }

  bool stopping = false;
  Shard& first = *shards.front();
  std::unique_ptr<pg::ChangeFeedListener> listener = first.change_feed_listener();
  listener->start();
  asio::co_spawn(first.ioc, probe_database(first.db, std::move(*migrations), health, stopping),
                 asio::detached);
  if (config.cache.enabled)
    asio::co_spawn(first.ioc, probe_cache(first.redis, *ledger, health, stopping), asio::detached);
  asio::co_spawn(first.ioc, log_cache_summaries(config.summary_interval, stopping), asio::detached);

  // While the set exists, a second SIGTERM/SIGINT during the drain is only queued by Asio.
  std::optional<asio::signal_set> signals(std::in_place, first.ioc, SIGINT, SIGTERM);
  signals->async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    spdlog::info("signal {} received: draining (at most {} ms)", signo,
                 config.mes.drain_timeout.count());
    stopping = true;
    // The drain may outlast the unit's TimeoutStopSec= when SHOPFLOOR_SHUTDOWN_DRAIN_MS
    // was raised: ask for the drain plus 5 s to close the connections.
    const auto stop_usec = (config.mes.drain_timeout + milliseconds(5000)).count() * 1000;
    tell_systemd("STOPPING=1\nSTATUS=draining\nEXTEND_TIMEOUT_USEC=" + std::to_string(stop_usec));
    listener->stop();
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
  // Destroying the set restores the default action, termination by the signal; what is left
  // is closing connections, and a repeated signal (an operator's, a supervisor's) must not
  // turn a clean stop into a kill. Blocked, then ignored: no window between the two.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signals.reset();
  std::signal(SIGINT, SIG_IGN);
  std::signal(SIGTERM, SIG_IGN);
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
