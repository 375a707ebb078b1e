// The Redis backend against the real redis-server of scripts/devenv.sh (TLS, ACL user):
// the backend conformance suite, then the engine's promises end to end — stampede
// across two processes, fail-open while Redis is stopped, and invalidations made during
// the outage honoured once it is back.
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <cstdlib>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include "cache/backend_conformance.hpp"
#include "cache/cache.hpp"
#include "cache/redis_backend.hpp"
#include "redis/client.hpp"
#include "testing/outages.hpp"
#include "testing/run.hpp"
#include "testing/settings.hpp"

namespace shopfloor::cache {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;

redis::Options redis_options() {
  redis::Options o = testing::redis_options();
  o.command_timeout = milliseconds(500);
  o.reconnect_max = milliseconds(300);
  return o;
}

using testing::co::sleep_for;

std::string unique_prefix() {
  return "sf:test:" + testing::random_id() + ":";
}

// Runs the io_context until the client has connected (bounded).
bool wait_connected(asio::io_context& ioc, redis::Client& client,
                    milliseconds limit = milliseconds(5000)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!client.connected() && std::chrono::steady_clock::now() < deadline) {
    ioc.restart();
    ioc.run_for(milliseconds(20));
  }
  return client.connected();
}

class RedisHarness final : public BackendHarness {
 public:
  RedisHarness()
      : client_(ioc_.get_executor(), redis_options()), backend_(client_, unique_prefix()) {
    client_.start();
    if (!wait_connected(ioc_, client_)) throw std::runtime_error("cannot connect to redis");
  }
  ~RedisHarness() override {
    if (server_stopped_) testing::devenv("redis-start");  // however the test ended
    client_.stop();
    ioc_.restart();
    ioc_.poll();
  }
  Backend& backend() override { return backend_; }
  asio::io_context& ioc() override { return ioc_; }
  void advance(milliseconds d) override { std::this_thread::sleep_for(d); }

  // CLIENT PAUSE (as admin): once its OK is back, the server holds every command
  // from every client, ours included, on their open connections until the pause
  // ends. No race with the calls that follow, unlike a sleep before them.
  void begin_stall(milliseconds at_least) override {
    redis::Options o = redis_options();
    o.user = testing::env("SHOPFLOOR_TEST_REDIS_ADMIN_USER");
    o.password = testing::secret_from_env("SHOPFLOOR_TEST_REDIS_ADMIN_PASSWORD_FILE");
    o.connections = 1;
    admin_ = std::make_unique<redis::Client>(ioc_.get_executor(), o);
    admin_->start();
    ASSERT_TRUE(wait_connected(ioc_, *admin_));
    const std::string ms = std::to_string(at_least.count());
    auto paused =
        testing::run(ioc_, admin_->command(std::vector<std::string>{"CLIENT", "PAUSE", ms, "ALL"},
                                           milliseconds(5000)));
    ASSERT_TRUE(paused && paused->is_ok())
        << (paused ? redis::to_string(*paused) : paused.error().message());
  }
  // The admin's PING is answered once the pause is over; then the backend's
  // client must be connected again (it may have given up a connection whose
  // replies were overdue).
  void end_stall() override {
    ASSERT_TRUE(admin_);
    auto pong =
        testing::run(ioc_, admin_->command(std::vector<std::string>{"PING"}, milliseconds(10000)));
    EXPECT_TRUE(pong && pong->str == "PONG");
    admin_->stop();
    EXPECT_TRUE(wait_connected(ioc_, client_, milliseconds(10000)));
  }
  void begin_outage() override {
    server_stopped_ = true;
    testing::devenv("redis-stop");
  }
  void end_outage() override {
    testing::devenv("redis-start");
    server_stopped_ = false;
    EXPECT_TRUE(wait_connected(ioc_, client_, milliseconds(10000)));
  }

 private:
  asio::io_context ioc_;
  redis::Client client_;
  RedisBackend backend_;
  std::unique_ptr<redis::Client> admin_;
  bool server_stopped_ = false;
};

INSTANTIATE_TEST_SUITE_P(Redis, BackendConformance,
                         ::testing::Values(BackendCase{
                             "redis", [] { return std::make_unique<RedisHarness>(); }}));

TEST(RedisBackendLayout, KeysLiveUnderThePrefixWithTheNamespaceAsHashTag) {
  asio::io_context ioc;
  redis::Client client(ioc.get_executor(), redis_options());
  RedisBackend b(client, "sf:");
  EXPECT_EQ(b.generation_key("orders_list"), "sf:c:{orders_list}:gen");
  EXPECT_EQ(b.value_key("orders_list", 7, "page=1"), "sf:c:{orders_list}:7:v:page=1");
  EXPECT_EQ(b.lease_key("orders_list", 7, "page=1"), "sf:c:{orders_list}:7:l:page=1");
}

TEST(RedisBackendLayout, EveryKeyItWritesParsesBackToItsParts) {
  asio::io_context ioc;
  redis::Options o = redis_options();
  o.identify_server = true;
  redis::Client client(ioc.get_executor(), o);
  client.start();
  ASSERT_TRUE(wait_connected(ioc, client));
  RedisBackend b(client, "sf:t*x:");
  const std::string server = b.current_server();
  ASSERT_EQ(server.size(), 12u) << "identified servers put their run_id in value keys";
  using Kind = RedisBackend::StoredKey::Kind;
  auto gen = b.parse_key(b.generation_key("orders_list:s:new"));
  ASSERT_TRUE(gen);
  EXPECT_EQ(gen->kind, Kind::generation);
  EXPECT_EQ(gen->ns, "orders_list:s:new");
  auto value = b.parse_key(b.value_key("calc", 41, "sku=BRK-200:q=12"));
  ASSERT_TRUE(value);
  EXPECT_EQ(value->kind, Kind::value);
  EXPECT_EQ(value->ns, "calc");
  EXPECT_EQ(value->server, server);
  EXPECT_EQ(value->generation, 41u);
  auto lease = b.parse_key(b.lease_key("#0123abcd", 0, "k"));
  ASSERT_TRUE(lease);
  EXPECT_EQ(lease->kind, Kind::lease);
  EXPECT_EQ(lease->ns, "#0123abcd");
  // Without a server identity (older layout) the segment is absent.
  auto plain = RedisBackend(client, "sf:").parse_key("sf:c:{order}:3:v:SO-1");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->server, "");
  EXPECT_EQ(plain->generation, 3u);
  for (const char* other : {"sf:t*x:other", "sf:t*x:c:{}:gen", "sf:t*x:c:{a}:x:v", "sf:c:{a}:gen"})
    EXPECT_FALSE(b.parse_key(other)) << other;
  EXPECT_EQ(b.scan_pattern(), "sf:t\\*x:c:{*");
  client.stop();
  ioc.restart();
  ioc.poll();
}

// One "process" of the stampede test: 500 concurrent lookups of one key.
int stampede_process(const std::string& prefix, std::chrono::system_clock::time_point start_at) {
  asio::io_context ioc;
  redis::Client client(ioc.get_executor(), redis_options());
  client.start();
  if (!wait_connected(ioc, client)) return -1;
  RedisBackend backend(client, prefix);
  Engine engine(ioc.get_executor(), backend, std::make_shared<InvalidationLedger>(),
                EngineOptions{.op_timeout = milliseconds(500)});
  Cache cache(engine, "stampede",
              Policy{.ttl = milliseconds(60'000), .lease_wait = milliseconds(3000)});
  std::this_thread::sleep_until(start_at);
  int loads = 0;
  Loader slow = [&]() -> asio::awaitable<Result<std::string>> {
    ++loads;
    co_await sleep_for(milliseconds(100));
    co_return std::string("expensive");
  };
  std::vector<std::future<Result<Answer>>> answers;
  for (int i = 0; i < 500; ++i)
    answers.push_back(asio::co_spawn(ioc, cache.get_or_load("ns", "hot", slow), asio::use_future));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  auto all_ready = [&] {
    for (auto& a : answers)
      if (a.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return false;
    return true;
  };
  while (!all_ready() && std::chrono::steady_clock::now() < deadline) {
    ioc.restart();
    ioc.run_for(milliseconds(20));
  }
  if (!all_ready()) return -3;
  for (auto& a : answers) {
    auto r = a.get();
    if (!r || r->value != "expensive") return -2;
  }
  client.stop();
  return loads;
}

TEST(RedisCacheEngine, ThousandConcurrentMissesAcrossTwoProcessesLoadAtMostTwice) {
  const std::string prefix = unique_prefix();
  const auto start_at = std::chrono::system_clock::now() + milliseconds(1500);
  int pipefd[2];
  ASSERT_EQ(::pipe(pipefd), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(pipefd[0]);
    const int loads = stampede_process(prefix, start_at);
    (void)!::write(pipefd[1], &loads, sizeof loads);
    ::_exit(0);
  }
  ::close(pipefd[1]);
  const int here = stampede_process(prefix, start_at);
  int there = -100;
  ASSERT_EQ(::read(pipefd[0], &there, sizeof there), static_cast<ssize_t>(sizeof there));
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_GE(here, 0) << "errors in this process";
  ASSERT_GE(there, 0) << "errors in the other process";
  EXPECT_LE(here + there, 2) << "loader calls: " << here << " + " << there;
  EXPECT_GE(here + there, 1);
}

class RedisOutage : public ::testing::Test {
 protected:
  RedisOutage()
      : client_(ioc_.get_executor(), redis_options()), backend_(client_, unique_prefix()) {
    client_.start();
    connected_ = wait_connected(ioc_, client_);
  }
  ~RedisOutage() override {
    client_.stop();
    ioc_.restart();
    ioc_.poll();
  }
  template <class T>
  T run(asio::awaitable<T> aw) {
    return testing::run(ioc_, std::move(aw));
  }
  asio::io_context ioc_;
  redis::Client client_;
  RedisBackend backend_;
  bool connected_ = false;
  std::shared_ptr<InvalidationLedger> ledger_ = std::make_shared<InvalidationLedger>();
  Engine engine_{ioc_.get_executor(), backend_, ledger_,
                 EngineOptions{.op_timeout = milliseconds(50),
                               .breaker = {.failure_threshold = 3, .open_for = milliseconds(100)}}};
  Cache cache_{engine_, "outage", Policy{.ttl = milliseconds(60'000)}};
};

TEST_F(RedisOutage, EveryLookupIsAnsweredWhileRedisIsDownAndNoStaleValueAfterwards) {
  ASSERT_TRUE(connected_);
  std::string database = "v1";
  Loader from_db = [&]() -> asio::awaitable<Result<std::string>> {
    co_await sleep_for(milliseconds(5));
    co_return database;
  };
  ASSERT_EQ(run(cache_.get_or_load("orders", "list", from_db))->source, Source::miss);
  ASSERT_EQ(run(cache_.get_or_load("orders", "list", from_db))->source, Source::hit);

  {
    testing::RedisOutage outage;
    ASSERT_TRUE(outage.stopped()) << "$SHOPFLOOR_DEVENV redis-stop failed";
    // Every lookup still answered, from the loader, within deadline + loader time
    // + scheduling slack; still below the client's own 500 ms command timeout, so
    // a lookup that ignored op_timeout would fail this.
    for (int i = 0; i < 50; ++i) {
      const auto start = std::chrono::steady_clock::now();
      auto a = run(cache_.get_or_load("orders", "list", from_db));
      const auto took = std::chrono::steady_clock::now() - start;
      ASSERT_TRUE(a);
      EXPECT_EQ(a->source, Source::bypass);
      EXPECT_EQ(a->value, database);
      EXPECT_LT(took, milliseconds(50 + 5 + 300)) << "lookup " << i;
    }
    // A write during the outage: its invalidation cannot be delivered now.
    database = "v2";
    run(cache_.retire_namespace("orders"));
    EXPECT_FALSE(ledger_->empty());
  }  // Redis starts again (empty: no persistence) — and the ledger still holds the retirement.

  // Put the old value back as if Redis had kept it (a restore, or a cache that never
  // lost data), under the generation it was stored at: nothing may be served before the
  // ledger's retirement is delivered, and that generation is never read after it. (The
  // engine delivers it from its own timer too, perhaps before this line: a plain SET, not
  // a conditional store, puts the old value back either way.)
  ASSERT_TRUE(wait_connected(ioc_, client_));
  {
    const std::string old_key = backend_.value_key("orders", 0, "list");
    auto set = run(client_.command({"SET", old_key, "v1", "PX", "60000"}, milliseconds(500)));
    ASSERT_TRUE(set) << set.error().message();
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!ledger_->empty() && std::chrono::steady_clock::now() < deadline) {
    auto a = run(cache_.get_or_load("orders", "list", from_db));
    ASSERT_TRUE(a);
    ASSERT_EQ(a->value, "v2") << "a value made stale during the outage was served";
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_TRUE(ledger_->empty()) << "the deferred invalidation was never delivered";
  for (int i = 0; i < 3; ++i) {
    auto a = run(cache_.get_or_load("orders", "list", from_db));
    ASSERT_TRUE(a);
    EXPECT_EQ(a->value, "v2");
  }
  EXPECT_EQ(run(cache_.get_or_load("orders", "list", from_db))->source, Source::hit);
}

}  // namespace
}  // namespace shopfloor::cache
