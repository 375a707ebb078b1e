// redis::Client in cluster mode against the real 3 + 3 Redis Cluster of
// `scripts/devenv.sh cluster-start` (TLS, ACL user `shopfloor` limited to sf:*): every
// key reaches its slot's primary directly, scripts are loaded on each node that runs
// them, and a live slot migration (SETSLOT IMPORTING/MIGRATING + MIGRATE, keys moved a
// few at a time) under a loop of SET/GET/MGET/EVALSHA leaves every command answered
// correctly through MOVED, ASK and TRYAGAIN.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "redis/client.hpp"
#include "redis/cluster_protocol.hpp"
#include "redis/script.hpp"
#include "redis/stats.hpp"
#include "testing/redis_cluster.hpp"
#include "testing/run.hpp"
#include "testing/settings.hpp"

namespace shopfloor::redis {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using testing::ClusterAdmin;

class ClusterClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Options o = testing::redis_cluster_options();
    o.identify_server = true;
    o.command_timeout = 2000ms;
    o.reconnect_max = 300ms;
    client_ = std::make_unique<Client>(io_.get_executor(), o);
    client_->start();
    admin_ = std::make_unique<ClusterAdmin>(io_);
    ASSERT_TRUE(admin_->wait_ok(30s));
    ASSERT_TRUE(testing::run_until(
        io_, [&] { return client_->connected() && !client_->server_id().empty(); }, 10s))
        << client_->last_error().message();
  }
  void TearDown() override {
    client_->stop();
    admin_.reset();
    testing::run_for(io_, 20ms);
  }
  boost::system::result<Reply> cmd(std::vector<std::string> args) {
    return testing::run(io_, client_->command(std::move(args)));
  }

  asio::io_context io_;
  std::unique_ptr<Client> client_;
  std::unique_ptr<ClusterAdmin> admin_;
  const std::string prefix_ = "sf:test:" + testing::random_id() + ":";
};

TEST_F(ClusterClientTest, EveryKeyGoesStraightToItsSlotsPrimary) {
  EXPECT_EQ(client_->server_id().size(), 40u) << "a digest of the primaries' run_ids";
  auto& stats = ClientStats::instance();
  const double moved_before = stats.cluster_moved.value();
  const auto nodes = admin_->nodes();
  std::set<std::uint16_t> owners;
  for (int i = 0; i < 48; ++i) {
    const std::string key = prefix_ + "{k" + std::to_string(i) + "}";
    const std::string value = "v" + std::to_string(i);
    auto set = cmd({"SET", key, value, "PX", "60000"});
    ASSERT_TRUE(set && set->is_ok()) << (set ? to_string(*set) : set.error().message());
    const int slot = cluster::key_slot(key);
    std::uint16_t owner = 0;
    for (const auto& n : nodes)
      if (n.primary && n.owns(slot)) owner = n.port;
    ASSERT_NE(owner, 0) << "no primary for slot " << slot;
    owners.insert(owner);
    // The value is on the slot's primary itself (a direct GET there answers it, no MOVED).
    auto direct = admin_->command(owner, {"GET", key});
    ASSERT_TRUE(direct);
    EXPECT_EQ(direct->str, value) << "key " << key << " slot " << slot << " node " << owner;
    auto read = cmd({"GET", key});
    ASSERT_TRUE(read);
    EXPECT_EQ(read->str, value);
  }
  EXPECT_EQ(owners.size(), 3u) << "48 keys spread over the 3 primaries";
  EXPECT_EQ(stats.cluster_moved.value(), moved_before) << "routing needed no MOVED";
  auto pong = cmd({"PING"});
  ASSERT_TRUE(pong);
  EXPECT_EQ(pong->str, "PONG");
  // A multi-key command in one slot (hash tag) is served; across slots the server refuses.
  auto mget = cmd({"MGET", prefix_ + "{k1}", prefix_ + "{k1}:other"});
  ASSERT_TRUE(mget && mget->is_array()) << (mget ? to_string(*mget) : mget.error().message());
  EXPECT_EQ(mget->elements[0].str, "v1");
}

TEST_F(ClusterClientTest, ScriptsAreLoadedOnEveryNodeThatRunsThem) {
  const Script script("return redis.call('GET', KEYS[1])");
  std::map<std::uint16_t, std::string> key_on;  // a key of each primary
  const auto nodes = admin_->nodes();
  for (int i = 0; key_on.size() < 3 && i < 200; ++i) {
    const std::string key = prefix_ + "{s" + std::to_string(i) + "}";
    for (const auto& n : nodes)
      if (n.primary && n.owns(cluster::key_slot(key))) key_on.emplace(n.port, key);
  }
  ASSERT_EQ(key_on.size(), 3u);
  for (const auto& [port, key] : key_on) {
    auto flushed = admin_->command(port, {"SCRIPT", "FLUSH"});
    ASSERT_TRUE(flushed && flushed->is_ok());
    auto set = cmd({"SET", key, "on " + std::to_string(port), "PX", "60000"});
    ASSERT_TRUE(set && set->is_ok());
  }
  for (int round = 0; round < 2; ++round) {  // NOSCRIPT then load, then straight EVALSHA
    for (const auto& [port, key] : key_on) {
      auto r = testing::run(io_, client_->eval(script, {key}, {}));
      ASSERT_TRUE(r) << r.error().message();
      EXPECT_EQ(r->str, "on " + std::to_string(port)) << to_string(*r);
    }
  }
  for (const auto& [port, key] : key_on) {
    auto exists = admin_->command(port, {"SCRIPT", "EXISTS", script.sha1()});
    ASSERT_TRUE(exists && exists->is_array());
    EXPECT_EQ(exists->elements.at(0).integer, 1) << "node " << port;
  }
}

// A loop of commands on the keys of one slot while that slot moves to another primary.
struct Loop {
  int ok = 0;
  int wrong = 0;
  int failed = 0;
  std::vector<std::string> problems;
  bool stop = false;
  bool done = false;
};

asio::awaitable<void> command_loop(Client& client, std::vector<std::string> keys, Loop& loop) {
  const Script bump("redis.call('SET', KEYS[1], ARGV[1]) return redis.call('GET', KEYS[1])");
  auto note = [&](std::string what) {
    if (loop.problems.size() < 10) loop.problems.push_back(std::move(what));
  };
  for (int round = 0; !loop.stop; ++round) {
    for (std::size_t i = 0; i < keys.size() && !loop.stop; ++i) {
      const std::string value = std::to_string(round) + "-" + std::to_string(i);
      auto set = co_await client.command(Command("SET", keys[i], value));
      if (!set || !set->is_ok()) {
        ++loop.failed;
        note("SET " + keys[i] + ": " + (set ? to_string(*set) : set.error().message()));
        continue;
      }
      auto get = co_await client.command(Command("GET", keys[i]));
      if (!get) {
        ++loop.failed;
        note("GET: " + get.error().message());
      } else if (get->str != value) {
        ++loop.wrong;
        note("GET " + keys[i] + " = " + to_string(*get) + ", expected " + value);
      } else {
        ++loop.ok;
      }
      const std::size_t j = (i + 1) % keys.size();
      auto mget = co_await client.command(Command("MGET", keys[i], keys[j]));
      if (!mget || !mget->is_array() || mget->elements.size() != 2) {
        ++loop.failed;
        note("MGET: " + (mget ? to_string(*mget) : mget.error().message()));
      } else if (mget->elements[0].str != value) {
        ++loop.wrong;
        note("MGET " + keys[i] + " = " + to_string(mget->elements[0]));
      } else {
        ++loop.ok;
      }
      const std::string scripted = value + "s";
      const std::vector<std::string> eval_keys{keys[i]};
      const std::vector<std::string> eval_args{scripted};
      auto eval_op = client.eval(bump, eval_keys, eval_args);
      auto eval = co_await std::move(eval_op);
      if (!eval) {
        ++loop.failed;
        note("EVALSHA: " + eval.error().message());
      } else if (eval->str != scripted) {
        ++loop.wrong;
        note("EVALSHA " + keys[i] + " = " + to_string(*eval));
      } else {
        ++loop.ok;
      }
    }
  }
  loop.done = true;
}

TEST_F(ClusterClientTest, EveryCommandIsAnsweredRightDuringALiveSlotMigration) {
  auto& stats = ClientStats::instance();
  const double moved_before = stats.cluster_moved.value();
  const double ask_before = stats.cluster_ask.value();
  const std::string tag = "mig" + testing::random_id(6);
  std::vector<std::string> keys;
  for (int i = 0; i < 30; ++i) keys.push_back(prefix_ + "{" + tag + "}:k" + std::to_string(i));
  const int slot = cluster::key_slot(keys[0]);
  const auto source = admin_->owner(slot);
  ClusterAdmin::Node target;
  std::vector<ClusterAdmin::Node> primaries;
  for (const auto& n : admin_->nodes()) {
    if (!n.primary || n.failed) continue;
    primaries.push_back(n);
    if (n.port != source.port && target.port == 0) target = n;
  }
  ASSERT_NE(target.port, 0);
  for (const auto& k : keys) ASSERT_TRUE(cmd({"SET", k, "initial"}));

  Loop loop;
  asio::co_spawn(io_, command_loop(*client_, keys, loop), asio::detached);
  testing::run_for(io_, 200ms);

  const std::string slot_text = std::to_string(slot);
  const std::string admin_user = testing::env("SHOPFLOOR_TEST_REDIS_ADMIN_USER");
  const std::string admin_password =
      testing::secret_from_env("SHOPFLOOR_TEST_REDIS_ADMIN_PASSWORD_FILE");
  auto must = [&](std::uint16_t port, std::vector<std::string> args) {
    auto r = admin_->command(port, args);
    ASSERT_TRUE(r && !r->is_error()) << args[0] << " " << args[1] << " on " << port << ": "
                                     << (r ? to_string(*r) : r.error().message());
  };
  must(target.port, {"CLUSTER", "SETSLOT", slot_text, "IMPORTING", source.id});
  must(source.port, {"CLUSTER", "SETSLOT", slot_text, "MIGRATING", target.id});
  // A few keys at a time, with the loop running in between: it meets keys on both sides.
  for (int batch = 0; batch < 100; ++batch) {
    auto in_slot = admin_->command(source.port, {"CLUSTER", "GETKEYSINSLOT", slot_text, "4"});
    ASSERT_TRUE(in_slot && in_slot->is_array());
    if (in_slot->elements.empty()) break;
    std::vector<std::string> migrate{"MIGRATE", "127.0.0.1", std::to_string(target.port),
                                     "",        "0",         "5000",
                                     "AUTH2",   admin_user,  admin_password,
                                     "KEYS"};
    for (const auto& k : in_slot->elements) migrate.push_back(k.str);
    must(source.port, migrate);
    testing::run_for(io_, 60ms);
  }
  must(target.port, {"CLUSTER", "SETSLOT", slot_text, "NODE", target.id});
  must(source.port, {"CLUSTER", "SETSLOT", slot_text, "NODE", target.id});
  for (const auto& n : primaries) {
    if (n.port != source.port && n.port != target.port)
      must(n.port, {"CLUSTER", "SETSLOT", slot_text, "NODE", target.id});
  }
  testing::run_for(io_, 500ms);
  loop.stop = true;
  ASSERT_TRUE(testing::run_until(
      io_, [&] { return loop.done; }, 30s));

  std::string problems;
  for (const auto& p : loop.problems) problems += "\n  " + p;
  EXPECT_GT(loop.ok, 100);
  EXPECT_EQ(loop.wrong, 0) << problems;
  EXPECT_EQ(loop.failed, 0) << problems;
  EXPECT_GT(stats.cluster_ask.value(), ask_before) << "keys already moved are asked for";
  EXPECT_GT(stats.cluster_moved.value(), moved_before) << "the slot's new owner";
  // The new owner answers directly now (the map was refreshed after MOVED).
  const double moved_after = stats.cluster_moved.value();
  testing::run_for(io_, 300ms);
  auto read = cmd({"GET", keys[0]});
  ASSERT_TRUE(read);
  EXPECT_EQ(stats.cluster_moved.value(), moved_after);
  auto direct = admin_->command(target.port, {"EXISTS", keys[0]});
  ASSERT_TRUE(direct);
  EXPECT_EQ(direct->integer, 1);
}

}  // namespace
}  // namespace shopfloor::redis
