#include "app/runtime.hpp"

#include "app/common_routes.hpp"
#include "auth/authenticator.hpp"
#include "auth/tokens.hpp"
#include "cache/redis_backend.hpp"
#include "metrics/registry.hpp"
#include "http/static_files.hpp"  // [console]
#include "pg/listener.hpp"
#include "pg/migrations.hpp"
#include "pg/pool.hpp"
#include "mes/service.hpp"
#include "pricing/service.hpp"
#include "shop/service.hpp"
#include "redis/client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace shopfloor::app {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;

struct Shard {
  explicit Shard(const Config& config, std::shared_ptr<cache::InvalidationLedger> ledger)
      : work(ioc.get_executor()),
        redis(ioc.get_executor(), config.redis),
        backend(redis, config.cache_prefix),
        engine(ioc.get_executor(), backend, std::move(ledger), config.cache),
        db(ioc.get_executor(), config.db),
        token_cache(engine, "token", config.policies.token),
        auth(db, token_cache, config.admin_token),
        deps{db, engine, config.policies, auth},
        mes(deps),
        pricing(deps),
        shop(deps) {}

  asio::io_context ioc{1};
  asio::executor_work_guard<asio::io_context::executor_type> work;
  redis::Client redis;
  cache::RedisBackend backend;
  cache::Engine engine;
  pg::Pool db;
  cache::Cache token_cache;
  auth::Authenticator auth;
  api::Deps deps;
  mes::Service mes;
  pricing::Service pricing;
  shop::Service shop;
  std::vector<std::unique_ptr<http::Server>> servers;
};

// The one LISTEN connection of the process: each notification goes to the change feed
// of its channel, on the first shard; after every (re)connect every feed resyncs.
std::unique_ptr<pg::Listener> listen_for_changes(Shard& shard, const Config& config,
                                                 std::vector<api::ChangeFeed> feeds) {
  auto shared = std::make_shared<std::vector<api::ChangeFeed>>(std::move(feeds));
  std::vector<std::string> channels;
  for (const auto& f : *shared) channels.push_back(f.channel);
  auto ex = shard.ioc.get_executor();
  return std::make_unique<pg::Listener>(
      ex, config.db, channels,
      [shared, ex](std::string_view channel, std::string_view payload) {
        for (auto& feed : *shared) {
          if (feed.channel == channel) asio::co_spawn(ex, feed.on_change(std::string(payload)), asio::detached);
        }
      },
      [shared, ex] {
        spdlog::info("change feeds: (re)listening; retiring what notifications may have been missed");
        for (auto& feed : *shared) asio::co_spawn(ex, feed.on_resync(), asio::detached);
      });
}

asio::awaitable<void> sleep_for(milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor);
  t.expires_after(d);
  co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
}

// Keeps HealthState::db_up current without touching the database per /health call.
asio::awaitable<void> probe_database(pg::Pool& db, HealthState& health, const bool& stopping) {
  while (!stopping) {
    auto r = co_await db.query("SELECT 1", {}, milliseconds(1000));
    const bool up = static_cast<bool>(r);
    if (up != health.db_up.exchange(up)) {
      if (up) spdlog::info("database reachable");
      else spdlog::warn("database unreachable: {}", r.error().message);
    }
    co_await sleep_for(milliseconds(1000));
  }
}

asio::awaitable<void> log_cache_summaries(milliseconds every, const bool& stopping) {
  while (!stopping) {
    co_await sleep_for(every);
    cache::log_summary();
  }
}

// Graceful shutdown of one shard, on its own thread.
asio::awaitable<void> drain(Shard& shard) {
  for (auto& server : shard.servers) co_await server->shutdown();
  shard.redis.stop();
  shard.db.close();
  shard.work.reset();
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

int serve(const Config& config) {
  auto ledger = std::make_shared<cache::InvalidationLedger>();
  HealthState health;
  std::vector<std::unique_ptr<Shard>> shards;
  auto web = http::StaticFiles::load(config.web_dir);  // [console] operator console, at / on MES
  if (web->size() == 0) spdlog::warn("console: no files in {} (SHOPFLOOR_WEB_DIR)", config.web_dir);  // [console]
  for (std::size_t i = 0; i < config.threads; ++i) shards.push_back(std::make_unique<Shard>(config, ledger));

  try {
    for (auto& shard : shards) {
      if (config.cache.enabled) shard->redis.start();
      for (const http::ServerOptions* options : {&config.mes, &config.pricing, &config.shop}) {
        auto router = std::make_shared<http::Router>();
        add_common_routes(*router, health, shard->backend, config.cache.enabled, config.metrics_public);
        if (options == &config.mes) {
          auth::add_token_routes(*router, shard->auth);
          shard->mes.add_routes(*router);
          http::add_static_routes(*router, web);  // [console]
        }
        if (options == &config.pricing) shard->pricing.add_routes(*router);
        if (options == &config.shop) shard->shop.add_routes(*router);
        auto server = std::make_unique<http::Server>(shard->ioc, *options, router, metrics::default_registry());
        server->start();
        shard->servers.push_back(std::move(server));
      }
    }
  } catch (const std::exception& e) {
    spdlog::error("cannot start: {}", e.what());
    return 1;
  }

  bool stopping = false;
  Shard& first = *shards.front();
  std::vector<api::ChangeFeed> feeds{auth::token_feed(first.auth)};
  for (auto& feed : first.mes.change_feeds()) feeds.push_back(std::move(feed));
  for (auto& feed : first.pricing.change_feeds()) feeds.push_back(std::move(feed));
  for (auto& feed : first.shop.change_feeds()) feeds.push_back(std::move(feed));
  auto listener = listen_for_changes(first, config, std::move(feeds));
  listener->start();
  asio::co_spawn(first.ioc, probe_database(first.db, health, stopping), asio::detached);
  asio::co_spawn(first.ioc, log_cache_summaries(config.summary_interval, stopping), asio::detached);

  asio::signal_set signals(first.ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    spdlog::info("signal {} received: draining (at most {} ms)", signo, config.mes.drain_timeout.count());
    stopping = true;
    listener->stop();
    for (auto& shard : shards) asio::co_spawn(shard->ioc, drain(*shard), asio::detached);
  });

  for (const http::ServerOptions* o : {&config.mes, &config.pricing, &config.shop}) {
    spdlog::info("{} API listening on http://{}:{} ({} threads)", o->service, o->address, o->port,
                 config.threads);
  }
  spdlog::info("cache: {} at {}:{} (tls {}), prefix {}", config.cache.enabled ? "redis" : "disabled",
               config.redis.host, config.redis.port, config.redis.tls ? "on" : "off", config.cache_prefix);

  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < shards.size(); ++i) threads.emplace_back([&, i] { shards[i]->ioc.run(); });
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
  const fs::path dir = fs::path(config.sql_dir) / "seed";
  std::vector<fs::path> files;
  if (fs::is_directory(dir)) {
    for (const auto& entry : fs::directory_iterator(dir))
      if (entry.path().extension() == ".sql") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  asio::io_context ioc{1};
  pg::Pool pool(ioc.get_executor(), config.db);
  for (const auto& file : files) {
    std::ifstream in(file);
    std::stringstream sql;
    sql << in.rdbuf();
    auto done = run_once(ioc, run_seed_script(pool, sql.str(), orders, milliseconds(600'000)));
    ioc.restart();
    if (!done) {
      spdlog::error("seed {} failed: {}", file.filename().string(), done.error().message);
      return 1;
    }
    spdlog::info("seed: {} applied", file.filename().string());
  }
  return 0;
}

}  // namespace shopfloor::app
