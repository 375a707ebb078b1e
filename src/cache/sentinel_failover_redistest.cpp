// Issue 10, hole 3, with Redis Sentinel: "a replica promoted after replication was cut
// before the write". An entry is stored, the replica's link to the primary is cut (the
// replication user disabled and its connection killed), the namespace is retired (an
// INCR acknowledged by the primary only), then the Sentinels promote the replica
// (SENTINEL FAILOVER). The client follows to it; the promoted node still holds the old
// generation and the entry stored under it, and the engine must not serve it.
#include <gtest/gtest.h>

#include <future>
#include <optional>
#include <string>

#include "cache/cache.hpp"
#include "cache/redis_backend.hpp"
#include "redis/client.hpp"
#include "redis/connection.hpp"
#include "testing/run.hpp"
#include "testing/sentinel_topology.hpp"
#include "testing/settings.hpp"

namespace shopfloor::cache {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using testing::SentinelTopology;

long long info_number(const std::string& info, const char* field) {
  const std::string v = redis::info_field(info, field);
  return v.empty() ? -1 : std::stoll(v);
}

TEST(RedisSentinelFailover, APromotedReplicaThatMissedARetirementServesNothingFromBeforeIt) {
  std::optional<SentinelTopology> topo;
  try {
    topo.emplace();
  } catch (const std::exception& x) {
    GTEST_FAIL() << x.what();
  }
  SentinelTopology& topology = *topo;
  const std::uint16_t primary = topology.primary_port();
  const std::uint16_t replica = topology.replica_port();

  asio::io_context io;
  redis::Client client(io.get_executor(), topology.client_options());
  RedisBackend backend(client, "sf:test:" + testing::random_id() + ":");
  Engine engine(io.get_executor(), backend, std::make_shared<InvalidationLedger>(),
                EngineOptions{.op_timeout = 250ms});
  Cache cache(engine, "sentinel_failover_test", Policy{.ttl = 60s});
  client.start();
  ASSERT_TRUE(testing::run_until(
      io, [&] { return client.connected(); }, 10s));
  ASSERT_EQ(client.server_id(), topology.run_id(primary));

  std::string database = "old";
  Loader load = [&]() -> asio::awaitable<Result<std::string>> { co_return database; };
  ASSERT_EQ(testing::run(io, cache.get_or_load("ns", "k", load))->value, "old");
  ASSERT_EQ(testing::run(io, cache.get_or_load("ns", "k", load))->source, Source::hit);
  auto generation_on = [&](std::uint16_t port) {
    auto reply = topology.admin(port, {"GET", backend.generation_key("ns")});
    return reply.is_string() ? reply.str : std::string("0");
  };
  const std::string before_write = generation_on(primary);

  // The replica has everything so far (the entry included).
  ASSERT_TRUE(testing::wait_until(
      [&] {
        const auto p = topology.admin(primary, {"INFO", "replication"}).str;
        const auto r = topology.admin(replica, {"INFO", "replication"}).str;
        return info_number(r, "slave_repl_offset") >= info_number(p, "master_repl_offset");
      },
      5s, 50ms));

  {
    topology.cut_replication();

    database = "new";
    ASSERT_TRUE(testing::run(io, cache.retire_namespace("ns"))) << "the write's retirement";
    ASSERT_NE(generation_on(primary), before_write) << "acknowledged by the primary";
    ASSERT_EQ(generation_on(replica), before_write) << "and not replicated";

    const auto changes = client.server_changes();
    auto promoted = std::async(std::launch::async, [&] { return topology.failover(); });
    const bool followed = testing::run_until(
        io, [&] { return client.connected() && client.server_changes() > changes; }, 20s);
    const std::string new_primary = promoted.get();
    ASSERT_TRUE(followed) << "the client did not follow the failover";
    ASSERT_EQ(new_primary, std::to_string(replica));
  }
  ASSERT_EQ(client.server_id(), topology.run_id(replica)) << "the client is on the promoted node";
  // The promoted node did bring the old generation (and its entry) back: without keying
  // entries by server, the next lookup would be a stale HIT.
  EXPECT_EQ(generation_on(replica), before_write);

  auto after = testing::run(io, cache.get_or_load("ns", "k", load));
  ASSERT_TRUE(after);
  EXPECT_EQ(after->value, "new") << "an entry retired before the failover was served";
  EXPECT_NE(after->source, Source::hit);
  // And from now on the cache works on the new primary.
  auto again = testing::run(io, cache.get_or_load("ns", "k", load));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->value, "new");

  client.stop();
  testing::run_for(io, 50ms);
}

}  // namespace
}  // namespace shopfloor::cache
