// Shard: one I/O thread of `shopfloor serve`, wired the one way the app wires it.
//
// A shard is an io_context run by one thread, with its own HTTP listeners (MES, Pricing,
// Shop; SO_REUSEPORT lets every shard bind the same ports), its ServiceClients (Redis
// client, cache engine, PostgreSQL pool, authenticator) and one instance of each service
// module. Nothing on the
// request path is shared between shards except metrics and the process's invalidation
// ledger. The executable builds one per thread (runtime.cpp); the end-to-end tests build
// the same Shard (src/testing/), so what they test is this wiring, not a copy.
//
// Lifecycle: construct (nothing connects yet), start() (Redis connects when the cache is
// enabled; the listeners bind and accept: a bind failure throws), run `ioc`, then
// co_await drain() on the shard's thread (listeners drain, Redis and the pool close), and
// destroy after the thread has ended. change_feeds() must be taken from one shard only:
// the process has one LISTEN connection (pg::ChangeFeedListener), and the retirements the
// feeds make reach every shard and process through the cache itself.
//
// Thread-safety: none; everything runs on the shard's own thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "app/common_routes.hpp"
#include "app/config.hpp"
#include "app/service_clients.hpp"
#include "auth/authenticator.hpp"
#include "cache/cache.hpp"
#include "cache/redis_backend.hpp"
#include "http/server.hpp"
#include "mes/service.hpp"
#include "pg/change_feed.hpp"
#include "pg/pool.hpp"
#include "pricing/service.hpp"
#include "redis/client.hpp"
#include "shop/service.hpp"

namespace shopfloor::app {

namespace asio = boost::asio;

// A listener could not bind (address in use, no permission, bad address): a setting to fix.
struct ListenError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Shard : ServiceClients {
  // `config` and `health` (written by the process's probes) must outlive the shard.
  Shard(const Config& config, std::shared_ptr<cache::InvalidationLedger> ledger,
        const HealthState& health);
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  // Connects Redis (when the cache is enabled) and binds the three listeners with their
  // routes. Throws ListenError, naming the port setting, when a listener cannot bind.
  void start();
  // Every module's change feed (tokens, MES, Pricing, Shop).
  std::vector<pg::ChangeFeed> change_feeds();
  // The process's one LISTEN dispatcher, on this shard's executor, for change_feeds(). It
  // tells the process's ledger until when the cache may be trusted (pg/change_feed.hpp
  // "Trust"); from this call until its first heartbeat after the first resync, lookups of
  // every shard bypass the cache. Not started.
  std::unique_ptr<pg::ChangeFeedListener> change_feed_listener();
  // Graceful: listeners drain (bounded by the drain setting), then Redis and the pool
  // close and the io_context is let go.
  asio::awaitable<void> drain();
  // The bound port of a listener ("mes", "pricing", "shop"); useful with port 0.
  std::uint16_t port(std::string_view service) const;

  const Config& config;
  const HealthState& health;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  mes::Service mes;
  pricing::Service pricing;
  shop::Service shop;
  std::vector<std::unique_ptr<http::Server>> servers;  // mes, pricing, shop once started
};

}  // namespace shopfloor::app
