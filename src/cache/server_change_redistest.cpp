// Issue 10, hole 3, on the real redis-server: a Redis restarted "with its data" — it
// loads an RDB snapshot taken before a retirement was acknowledged — brings back the old
// generation and the entries stored under it. None of them may be served.
#include <gtest/gtest.h>

#include "cache/cache.hpp"
#include "cache/redis_backend.hpp"
#include "redis/client.hpp"
#include "testing/outages.hpp"
#include "testing/run.hpp"
#include "testing/settings.hpp"

namespace shopfloor::cache {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

TEST(RedisServerChange, ARestartFromAnOlderSnapshotServesNothingItBroughtBack) {
  asio::io_context io;
  redis::Options options = testing::redis_options();
  options.identify_server = true;  // as the services do (app::Config)
  options.reconnect_max = 200ms;
  redis::Client client(io.get_executor(), options);
  RedisBackend backend(client, "sf:test:" + testing::random_id() + ":");
  Engine engine(io.get_executor(), backend, std::make_shared<InvalidationLedger>(),
                EngineOptions{.op_timeout = 250ms});
  Cache cache(engine, "server_change_test", Policy{.ttl = 60s});
  client.start();
  ASSERT_TRUE(testing::run_until(
      io, [&] { return client.connected(); }, 10s));

  std::string database = "old";
  Loader load = [&]() -> asio::awaitable<Result<std::string>> { co_return database; };
  ASSERT_EQ(testing::run(io, cache.get_or_load("ns", "k", load))->value, "old");
  ASSERT_EQ(testing::run(io, cache.get_or_load("ns", "k", load))->source, Source::hit);
  auto generation = [&] {
    auto get = client.command({"GET", backend.generation_key("ns")}, 1s);
    auto reply = testing::run(io, std::move(get));
    return reply && reply->type == redis::Reply::Type::string ? reply->str : std::string("0");
  };
  const std::string before_write = generation();

  ASSERT_TRUE(testing::devenv("redis-snapshot"));
  database = "new";
  ASSERT_TRUE(testing::run(io, cache.retire_namespace("ns"))) << "the write's retirement";
  ASSERT_NE(generation(), before_write);

  const auto changes = client.server_changes();
  ASSERT_TRUE(testing::devenv("redis-crash"));
  ASSERT_TRUE(testing::devenv("redis-start-with-data"));
  ASSERT_TRUE(testing::run_until(
      io, [&] { return client.connected() && client.server_changes() > changes; }, 10s));
  // The restarted server did bring the old generation (and its entry) back: without
  // keying entries by server, the next lookup would be a stale HIT.
  EXPECT_EQ(generation(), before_write);

  auto after = testing::run(io, cache.get_or_load("ns", "k", load));
  ASSERT_TRUE(after);
  EXPECT_EQ(after->value, "new") << "an entry retired before the restart was served";
  EXPECT_NE(after->source, Source::hit);

  client.stop();
  testing::run_for(io, 50ms);
  // Leave an empty cache for the tests that follow (a normal start discards dump.rdb).
  EXPECT_TRUE(testing::devenv("redis-stop"));
  EXPECT_TRUE(testing::devenv("redis-start"));
}

}  // namespace
}  // namespace shopfloor::cache
