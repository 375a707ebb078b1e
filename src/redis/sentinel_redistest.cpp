// redis::Client in sentinel mode against the real topology of scripts/redis-sentinel.sh
// (primary, replica, 3 Sentinels; TLS, ACL): discovery through the Sentinels, the next
// Sentinel when the first is down, ROLE refusing a replica, and failovers (kill -9 of
// the primary, SENTINEL FAILOVER) followed under load without a hung command.
// scripts/test.sh starts the topology for the tests labelled `sentinel`.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <future>
#include <stdexcept>
#include <string>

#include "redis/client.hpp"
#include "redis/connection.hpp"
#include "redis/stats.hpp"
#include "testing/run.hpp"
#include "testing/sentinel_topology.hpp"
#include "testing/settings.hpp"

namespace shopfloor::redis {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using testing::SentinelTopology;

class RedisSentinelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    try {
      topology_.emplace();
    } catch (const std::exception& x) {
      GTEST_FAIL() << x.what();
    }
  }

  // Runs `a` on io_ to completion (at most 10 s).
  template <class T>
  T run(asio::awaitable<T> a) {
    return testing::run(io_, std::move(a), 10s);
  }

  asio::io_context io_;
  std::optional<SentinelTopology> topology_;
};

TEST_F(RedisSentinelTest, FindsThePrimaryThroughTheSentinels) {
  const std::uint16_t primary = topology_->primary_port();
  Client client(io_.get_executor(), topology_->client_options());
  client.start();
  ASSERT_TRUE(testing::run_until(
      io_, [&] { return client.connected(); }, 10s))
      << client.last_error().message();
  EXPECT_EQ(client.server_id(), topology_->run_id(primary));

  const std::string key = "sf:test:" + testing::random_id() + ":k";
  auto set = run(client.command({"SET", key, "v", "PX", "10000"}, 1s));
  ASSERT_TRUE(set && set->is_ok()) << (set ? to_string(*set) : set.error().message());
  auto get = run(client.command({"GET", key}, 1s));
  ASSERT_TRUE(get);
  EXPECT_EQ(get->str, "v");
  client.stop();
  testing::run_for(io_, 50ms);
}

TEST_F(RedisSentinelTest, AsksTheNextSentinelWhenTheFirstIsDown) {
  const std::uint16_t primary = topology_->primary_port();
  topology_->crash("s1");
  Options options = topology_->client_options();
  ASSERT_EQ(options.nodes.front().port, topology_->port("s1")) << "s1 is asked first";
  Client client(io_.get_executor(), options);
  const auto t0 = testing::Clock::now();
  client.start();
  ASSERT_TRUE(testing::run_until(
      io_, [&] { return client.connected(); }, 10s))
      << client.last_error().message();
  EXPECT_LT(testing::ms_since(t0), 3000) << "a refused Sentinel costs one connect attempt";
  EXPECT_EQ(client.server_id(), topology_->run_id(primary));
  client.stop();
  testing::run_for(io_, 50ms);
}

// What a Sentinel that has not yet noticed a failover would cause: its answer points at
// a node that is a replica now. The handshake's ROLE check refuses it.
TEST_F(RedisSentinelTest, AConnectionThatReachesAReplicaIsRefused) {
  const std::uint16_t replica = topology_->replica_port();
  Options options = topology_->client_options();
  options.host = "127.0.0.1";
  options.port = replica;
  std::string why;
  auto tls = detail::make_tls_context(options, why);
  ASSERT_TRUE(tls) << why;
  auto connection = std::make_shared<detail::Connection>(io_.get_executor(), options, tls, 0,
                                                         /*require_primary=*/true);
  const auto ec = run(connection->connect(why));
  EXPECT_EQ(ec, make_error_code(error::handshake_failed)) << ec.message();
  EXPECT_NE(why.find("not a primary"), std::string::npos) << why;
  connection->close(make_error_code(error::closed));

  // The same node without the check: it would have carried commands.
  auto plain = std::make_shared<detail::Connection>(io_.get_executor(), options, tls, 1);
  EXPECT_FALSE(run(plain->connect(why))) << why;
  plain->close(make_error_code(error::closed));
  testing::run_for(io_, 20ms);
}

// Load on the client while the topology fails over: every command completes (a reply
// or an error) within its deadline plus a small margin, the client ends up on the new
// primary with its run_id, and commands succeed there.
void failover_under_load(asio::io_context& io, SentinelTopology& topology, bool crash) {
  Options options = topology.client_options();
  options.connections = 2;
  Client client(io.get_executor(), options);
  client.start();
  ASSERT_TRUE(testing::run_until(
      io, [&] { return client.connected(); }, 10s));
  const std::string old_id = client.server_id();
  const std::uint16_t old_primary = topology.primary_port();
  ASSERT_EQ(old_id, topology.run_id(old_primary));
  const double followed = ClientStats::instance().failovers_followed.value();

  struct Load {
    bool stop = false;
    long ok = 0, failed = 0, ok_on_new = 0;
    long long slowest_ms = 0;
  } load;
  const std::string prefix = "sf:test:" + testing::random_id() + ":";
  constexpr auto kTimeout = 100ms;
  auto worker = [&](int id) -> asio::awaitable<void> {
    for (long i = 0; !load.stop; ++i) {
      const auto t = testing::Clock::now();
      auto cmd = client.command(
          {"SET", prefix + std::to_string(id), std::to_string(i), "PX", "10000"}, kTimeout);
      auto reply = co_await std::move(cmd);
      load.slowest_ms = std::max(load.slowest_ms, testing::ms_since(t));
      if (reply && reply->is_ok()) {
        ++load.ok;
        if (client.server_id() != old_id) ++load.ok_on_new;
      } else {
        ++load.failed;
        co_await testing::co::sleep_for(5ms);  // fail fast, but do not spin
      }
    }
  };
  for (int i = 0; i < 8; ++i) asio::co_spawn(io, worker(i), asio::detached);
  testing::run_for(io, 300ms);
  ASSERT_GT(load.ok, 0);

  const auto t0 = testing::Clock::now();
  auto fault = std::async(std::launch::async,
                          [&] { return crash ? topology.crash_primary() : topology.failover(); });
  const bool followed_ok = testing::run_until(
      io, [&] { return client.server_id() != old_id && load.ok_on_new >= 50; }, 30s);
  const long long recovered_ms = testing::ms_since(t0);
  load.stop = true;
  testing::run_for(io, 200ms);
  const std::string fault_result = fault.get();
  ASSERT_TRUE(followed_ok) << "still on " << client.server_id() << " after " << recovered_ms
                           << " ms; " << client.last_error().message();
  spdlog::info("failover ({}): followed in {} ms; {} ok, {} failed, slowest {} ms", fault_result,
               recovered_ms, load.ok, load.failed, load.slowest_ms);

  const std::uint16_t new_primary = topology.primary_port();
  EXPECT_NE(new_primary, old_primary);
  EXPECT_EQ(client.server_id(), topology.run_id(new_primary));
  EXPECT_GE(ClientStats::instance().failovers_followed.value(), followed + 1);
  EXPECT_LE(load.slowest_ms, 100 + 400) << "a command waited past its deadline";
  client.stop();
  testing::run_for(io, 50ms);
}

TEST_F(RedisSentinelTest, FollowsTheNewPrimaryWhenThePrimaryIsKilledUnderLoad) {
  failover_under_load(io_, *topology_, /*crash=*/true);
}

TEST_F(RedisSentinelTest, FollowsASentinelFailoverUnderLoad) {
  failover_under_load(io_, *topology_, /*crash=*/false);
}

}  // namespace
}  // namespace shopfloor::redis
