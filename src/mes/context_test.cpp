// Read-your-writes of Context::cached_read (the cache core's single-flight rule), forced
// deterministically on the in-memory cache backend: a read that starts after a write
// was retired must not be answered by a load that began before the write.
#include "mes/context.hpp"

#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <functional>
#include <optional>

#include "auth/authenticator.hpp"
#include "cache/memory_backend.hpp"
#include "pg/pool.hpp"
#include "testing/run.hpp"

namespace shopfloor::mes::detail {
namespace {

using namespace std::chrono_literals;

struct Shard {
  asio::io_context io;
  cache::MemoryBackend backend;
  cache::Engine engine{io.get_executor(), backend, std::make_shared<cache::InvalidationLedger>()};
  pg::Pool pool{io.get_executor(), pg::Options{}};  // never used: no connection is opened
  cache::Cache tokens{engine, "token"};
  auth::Authenticator auth{pool, tokens, "unused"};
  CachePolicies policies;
  Context ctx{Deps{pool, engine, policies, auth}};

  bool run_until(const std::function<bool()>& done) { return testing::run_until(io, done, 5s); }
};

TEST(CachedRead, AReadAfterARetirementDoesNotReuseALoadFromBeforeIt) {
  Shard s;
  std::string database = "old";
  asio::steady_timer gate(s.io, asio::steady_timer::time_point::max());
  bool slow_load_started = false;

  // Read A: its load reads the database, then stalls (a slow query) before answering.
  std::optional<std::string> a, r;
  asio::co_spawn(
      s.io,
      [&]() -> asio::awaitable<void> {
        auto answer = co_await s.ctx.cached_read(
            s.ctx.order, kOrderNamespace, "ORD-0000001",
            [&]() -> asio::awaitable<Result<std::string>> {
              std::string seen = database;
              slow_load_started = true;
              co_await gate.async_wait(asio::as_tuple(asio::use_awaitable));
              co_return seen;
            });
        a = answer ? answer->value : "error";
      },
      asio::detached);
  ASSERT_TRUE(s.run_until([&] { return slow_load_started; }));

  // A write commits and retires (as a handler does before answering).
  database = "new";
  bool retired = false;
  ChangeSet change;
  change.order_ids = {1};
  asio::co_spawn(
      s.io,
      [&]() -> asio::awaitable<void> {
        co_await s.ctx.retire(change);
        retired = true;
      },
      asio::detached);
  ASSERT_TRUE(s.run_until([&] { return retired; }));

  // Read R starts after the write was acknowledged: it finds A's load in flight.
  asio::co_spawn(
      s.io,
      [&]() -> asio::awaitable<void> {
        auto answer = co_await s.ctx.cached_read(
            s.ctx.order, kOrderNamespace, "ORD-0000001",
            [&]() -> asio::awaitable<Result<std::string>> { co_return database; });
        r = answer ? answer->value : "error";
      },
      asio::detached);
  // R must not share A's load (the cache core refuses to join a load older than a
  // retirement): it answers on its own, without waiting for A.
  ASSERT_TRUE(s.run_until([&] { return r.has_value(); }));
  EXPECT_EQ(*r, "new");  // began after the write: must not see the old value
  gate.cancel();
  ASSERT_TRUE(s.run_until([&] { return a.has_value(); }));
  EXPECT_EQ(*a, "old");  // began before the write: allowed to see the old value
}

}  // namespace
}  // namespace shopfloor::mes::detail
