// The Redis backend on a cluster-mode client against the devenv Redis Cluster
// (scripts/devenv.sh cluster-start): the backend conformance suite, then a primary
// killed under load and its replica promoted. The replica was cut off (SIGSTOP) before
// an acknowledged retirement, so after the failover it holds the old generation and the
// old entry; the engine must not serve it (the cluster's server_id, a digest of every
// primary's run_id, changed), and no command may hang meanwhile.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <thread>

#include "cache/backend_conformance.hpp"
#include "cache/cache.hpp"
#include "cache/redis_backend.hpp"
#include "redis/client.hpp"
#include "redis/cluster_protocol.hpp"
#include "testing/outages.hpp"
#include "testing/redis_cluster.hpp"
#include "testing/run.hpp"
#include "testing/settings.hpp"

namespace shopfloor::cache {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using std::chrono::milliseconds;
using testing::ClusterAdmin;

redis::Options cluster_options() {
  redis::Options o = testing::redis_cluster_options();
  o.identify_server = true;  // as the services do (app::Config)
  o.command_timeout = 500ms;
  o.reconnect_max = 300ms;
  return o;
}

// Every node's pid, signalled together (stall: SIGSTOP, then SIGCONT).
void signal_every_node(ClusterAdmin& admin, const std::vector<int>& pids, int sig) {
  for (int pid : pids) ::kill(pid, sig);
  (void)admin;
}

class ClusterHarness final : public BackendHarness {
 public:
  ClusterHarness()
      : client_(ioc_.get_executor(), cluster_options()),
        backend_(client_, "sf:test:" + testing::random_id() + ":") {
    client_.start();
    admin_ = std::make_unique<ClusterAdmin>(ioc_);
    if (!testing::run_until(
            ioc_, [&] { return client_.connected() && !client_.server_id().empty(); }, 10s))
      throw std::runtime_error("cannot connect to the redis cluster");
  }
  ~ClusterHarness() override {
    if (!stopped_pids_.empty()) signal_every_node(*admin_, stopped_pids_, SIGCONT);
    client_.stop();
    admin_.reset();
    testing::run_for(ioc_, 20ms);
  }
  Backend& backend() override { return backend_; }
  asio::io_context& ioc() override { return ioc_; }
  void advance(milliseconds d) override { std::this_thread::sleep_for(d); }

  // CLIENT PAUSE on every primary: each holds every command on its open connections.
  void begin_stall(milliseconds at_least) override {
    for (const auto& n : admin_->nodes()) {
      if (!n.primary || n.failed) continue;
      auto paused =
          admin_->command(n.port, {"CLIENT", "PAUSE", std::to_string(at_least.count()), "ALL"});
      ASSERT_TRUE(paused && paused->is_ok());
      paused_.push_back(n.port);
    }
  }
  void end_stall() override {
    for (auto port : paused_) {
      auto pong = admin_->command(port, {"PING"}, 10s);
      EXPECT_TRUE(pong && pong->str == "PONG");
    }
    paused_.clear();
    EXPECT_TRUE(testing::run_until(
        ioc_, [&] { return client_.connected(); }, 10s));
  }
  // Every node stops answering at all (SIGSTOP; shorter than cluster-node-timeout, so no
  // failover follows). Restarting the whole cluster would build a new one; connections
  // refused by a dead primary are the failover test's case.
  void begin_outage() override {
    for (const auto& n : admin_->nodes()) {
      if (!n.failed) stopped_pids_.push_back(admin_->pid(n.port));
    }
    signal_every_node(*admin_, stopped_pids_, SIGSTOP);
  }
  void end_outage() override {
    signal_every_node(*admin_, stopped_pids_, SIGCONT);
    stopped_pids_.clear();
    EXPECT_TRUE(admin_->wait_ok(30s));
    EXPECT_TRUE(testing::run_until(
        ioc_, [&] { return client_.connected(); }, 10s));
  }

 private:
  asio::io_context ioc_;
  redis::Client client_;
  RedisBackend backend_;
  std::unique_ptr<ClusterAdmin> admin_;
  std::vector<std::uint16_t> paused_;
  std::vector<int> stopped_pids_;
};

INSTANTIATE_TEST_SUITE_P(RedisCluster, BackendConformance,
                         ::testing::Values(BackendCase{
                             "cluster", [] { return std::make_unique<ClusterHarness>(); }}));

// Commands on keys of every primary, each timed: none may take longer than its deadline
// (plus scheduling margin), whatever happens to the nodes.
struct Load {
  int answered = 0;
  int failed = 0;
  long long slowest_ms = 0;
  bool stop = false;
  bool done = false;
};

asio::awaitable<void> load_loop(redis::Client& client, std::string prefix, Load& load) {
  for (int i = 0; !load.stop; ++i) {
    const std::string key = prefix + "{load" + std::to_string(i % 16) + "}";
    const auto start = testing::Clock::now();
    auto r = co_await client.command(redis::Command("GET", key), 300ms);
    load.slowest_ms = std::max(load.slowest_ms, testing::ms_since(start));
    if (r && !r->is_error()) {
      ++load.answered;
    } else {
      ++load.failed;
      asio::steady_timer pause(co_await asio::this_coro::executor, 5ms);
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
    }
  }
  load.done = true;
}

TEST(RedisClusterFailover, AKilledPrimarysPromotedReplicaServesNothingStoredBefore) {
  asio::io_context io;
  redis::Client client(io.get_executor(), cluster_options());
  const std::string prefix = "sf:test:" + testing::random_id() + ":";
  RedisBackend backend(client, prefix);
  Engine engine(io.get_executor(), backend, std::make_shared<InvalidationLedger>(),
                EngineOptions{.op_timeout = 250ms});
  Cache cache(engine, "cluster_failover_test", Policy{.ttl = 60s});
  client.start();
  ClusterAdmin admin(io);
  ASSERT_TRUE(admin.wait_ok(30s));
  ASSERT_TRUE(testing::run_until(
      io, [&] { return client.connected() && !client.server_id().empty(); }, 10s));

  const std::string ns = "failover" + testing::random_id(6);
  const auto primary = admin.owner(redis::cluster::key_slot(backend.generation_key(ns)));
  const auto replica = admin.replica_of(primary);

  std::string database = "old";
  Loader load = [&]() -> asio::awaitable<Result<std::string>> { co_return database; };
  ASSERT_EQ(testing::run(io, cache.get_or_load(ns, "k", load))->value, "old");
  ASSERT_EQ(testing::run(io, cache.get_or_load(ns, "k", load))->source, Source::hit);
  const std::string old_entry = backend.value_key(ns, 0, "k");
  // The replica has the entry (the worst case: the old data survives the failover)...
  auto synced = admin.command(primary.port, {"WAIT", "1", "5000"});
  ASSERT_TRUE(synced && synced->integer == 1);
  // ...but not the retirement that follows: it is frozen, and its replication link closed
  // by the primary (bytes already in the link's socket would still reach it otherwise).
  const int replica_pid = admin.pid(replica.port);
  ASSERT_EQ(::kill(replica_pid, SIGSTOP), 0);
  auto cut = admin.command(primary.port, {"CLIENT", "KILL", "TYPE", "replica"});
  ASSERT_TRUE(cut && cut->is_integer() && cut->integer >= 1)
      << (cut ? redis::to_string(*cut) : cut.error().message());
  database = "new";
  const bool retired = testing::run(io, cache.retire_namespace(ns));
  if (!retired) ::kill(replica_pid, SIGCONT);
  ASSERT_TRUE(retired) << "the write's retirement";

  Load traffic;
  asio::co_spawn(io, load_loop(client, prefix, traffic), asio::detached);
  testing::run_for(io, 200ms);

  const auto changes = client.server_changes();
  const std::string id_before = client.server_id();
  const int primary_pid = admin.pid(primary.port);
  ASSERT_EQ(::kill(primary_pid, SIGKILL), 0);
  ::kill(replica_pid, SIGCONT);
  auto takeover = admin.command(replica.port, {"CLUSTER", "FAILOVER", "TAKEOVER"});
  ASSERT_TRUE(takeover && takeover->is_ok())
      << (takeover ? redis::to_string(*takeover) : takeover.error().message());
  EXPECT_TRUE(admin.wait_ok(30s));
  ASSERT_TRUE(testing::run_until(
      io, [&] { return client.server_changes() > changes; }, 15s))
      << "server_id did not change after the failover";
  EXPECT_NE(client.server_id(), id_before);
  const int answered_before = traffic.answered;
  ASSERT_TRUE(testing::run_until(
      io, [&] { return traffic.answered > answered_before + 50; }, 15s))
      << "commands are not answered after the failover";

  // The promoted replica brought back the old generation and the old entry...
  auto generation = admin.command(replica.port, {"GET", backend.generation_key(ns)});
  ASSERT_TRUE(generation);
  EXPECT_TRUE(generation->is_nil()) << "the retirement reached the replica after all";
  auto entry = admin.command(replica.port, {"EXISTS", old_entry});
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->integer, 1) << "the old entry is on the promoted replica";
  // ...and none of it is served.
  auto after = testing::run(io, cache.get_or_load(ns, "k", load));
  ASSERT_TRUE(after);
  EXPECT_EQ(after->value, "new") << "an entry retired before the failover was served";
  EXPECT_NE(after->source, Source::hit);

  traffic.stop = true;
  ASSERT_TRUE(testing::run_until(
      io, [&] { return traffic.done; }, 10s));
  EXPECT_LT(traffic.slowest_ms, 300 + 1000) << "a command outlived its deadline";
  EXPECT_GT(traffic.answered, 50);

  client.stop();
  testing::run_for(io, 50ms);
  // The killed node comes back as a replica of the new primary, for the tests that follow.
  EXPECT_TRUE(testing::devenv("cluster-start"));
}

}  // namespace
}  // namespace shopfloor::cache
