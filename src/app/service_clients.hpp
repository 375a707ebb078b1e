// ServiceClients: the connections and caches a process of the app builds from its
// settings, always in this order on one io_context: the Redis client, the cache backend
// and engine on it, the PostgreSQL pool, the token cache and the authenticator. A Shard
// adds listeners and the service modules on top; `shopfloor admin` uses them alone.
// Nothing connects on construction.
//
// Thread-safety: none; everything runs on the io_context's one thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>

#include "app/config.hpp"
#include "auth/authenticator.hpp"
#include "cache/cache.hpp"
#include "cache/redis_backend.hpp"
#include "pg/pool.hpp"
#include "redis/client.hpp"

namespace shopfloor::app {

struct ServiceClients {
  // `config` must outlive the clients.
  ServiceClients(const Config& config, std::shared_ptr<cache::InvalidationLedger> ledger)
      : redis(ioc.get_executor(), config.redis),
        backend(redis, config.cache_prefix),
        engine(ioc.get_executor(), backend, std::move(ledger), config.cache),
        db(ioc.get_executor(), config.db),
        token_cache(engine, "token", config.auth_caches.token),
        auth(db, token_cache, config.admin_token) {}
  ServiceClients(const ServiceClients&) = delete;
  ServiceClients& operator=(const ServiceClients&) = delete;

  boost::asio::io_context ioc{1};
  redis::Client redis;
  cache::RedisBackend backend;
  cache::Engine engine;
  pg::Pool db;
  cache::Cache token_cache;
  auth::Authenticator auth;
};

}  // namespace shopfloor::app
