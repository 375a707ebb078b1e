// AdminContext: what `shopfloor admin` subcommands share (internal to src/app/admin*.cpp):
// the services' ServiceClients (Redis client, cache engine and backend, PostgreSQL pool,
// authenticator: the same wiring as a Shard's) on the calling thread, without listeners,
// change feeds or probes.
//
// Redis is started by connect_redis() only (a command that needs only PostgreSQL does not
// wait on the cache). run() drives one coroutine to its end on the io_context.
// Thread-safety: none; one per admin command, on the calling thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <cstdio>
#include <future>
#include <memory>
#include <string>

#include "app/config.hpp"
#include "app/service_clients.hpp"
#include "auth/authenticator.hpp"
#include "cache/cache.hpp"
#include "cache/redis_backend.hpp"
#include "pg/pool.hpp"
#include "redis/client.hpp"

namespace shopfloor::app::admin_detail {

namespace asio = boost::asio;

struct AdminContext : ServiceClients {
  explicit AdminContext(const Config& c);
  ~AdminContext();

  // Starts the Redis client and waits (bounded by the connect timeout, plus a margin)
  // until a connection is ready. False when none came up: client.last_error() says why.
  asio::awaitable<bool> connect_redis();

  // Runs `aw` to its end (not ioc.run(): the Redis client keeps background work alive).
  template <class T>
  T run(asio::awaitable<T> aw) {
    auto fut = asio::co_spawn(ioc, std::move(aw), asio::use_future);
    while (fut.wait_for(std::chrono::seconds(0)) != std::future_status::ready)
      ioc.run_one_for(std::chrono::milliseconds(100));
    return fut.get();
  }

  const Config& config;

 private:
  bool redis_started_ = false;
};

// Human text of a Redis client failure (not_connected → the reason of the last attempt).
std::string redis_failure(const redis::Client& client, boost::system::error_code ec);

// One problem line on stderr (the convention of every admin subcommand).
void problem(const std::string& line);

int cache_command(AdminContext& ctx, const std::vector<std::string>& args);
int tokens_command(AdminContext& ctx, const std::vector<std::string>& args);
int check_command(AdminContext& ctx);

}  // namespace shopfloor::app::admin_detail
