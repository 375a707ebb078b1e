// Integration tests of redis::Client and redis::Subscriber against the real
// server from .run/env.sh (TLS, ACL user `shopfloor` limited to sf:*). Keys
// and channels live under a random sf:test:<hex>: prefix; the restart test
// stops and starts the shared server through $SHOPFLOOR_DEVENV and always
// starts it again.
#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "redis/client.hpp"
#include "redis/subscriber.hpp"
#include "testing/outages.hpp"
#include "testing/run.hpp"
#include "testing/settings.hpp"

namespace shopfloor::redis {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

// ASSERT_* expand to `return`, which a coroutine cannot use: record the
// failure and co_return instead.
#define CO_ASSERT(cond, message)                                   \
  do {                                                             \
    if (!(cond)) {                                                 \
      ADD_FAILURE() << "assertion failed: " #cond "; " << message; \
      co_return;                                                   \
    }                                                              \
  } while (false)
// Generous per-command deadline for correctness checks: the test machine is
// shared with compilers, and these tests are not about latency.
constexpr auto kSlow = 3000ms;

// The test servers' settings (testing/settings.hpp), read once per test in SetUp.
struct Env {
  Options app;  // the app user (ACL limited to sf:*)
  std::string admin_user;
  std::string admin_password;
  std::string devenv;
};

// Fills `e` from the environment; a missing setting fails the test, naming it.
bool load_env(Env& e) {
  try {
    e.app = testing::redis_options();
    e.admin_user = testing::env("SHOPFLOOR_TEST_REDIS_ADMIN_USER");
    e.admin_password = testing::secret_from_env("SHOPFLOOR_TEST_REDIS_ADMIN_PASSWORD_FILE");
    e.devenv = testing::env("SHOPFLOOR_DEVENV");
    return true;
  } catch (const std::exception& x) {
    ADD_FAILURE() << x.what();
    return false;
  }
}

std::string random_hex(std::size_t n) { return testing::random_id(n); }

using testing::ms_since;
using testing::co::sleep_for;
using testing::co::wait_until;

std::string describe(const boost::system::result<Reply>& r) {
  return r ? to_string(*r) : "error: " + r.error().message();
}

class RedisClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!load_env(env_)) GTEST_FAIL() << "integration test environment incomplete";
    prefix_ = "sf:test:" + random_hex(12) + ":";
  }

  Options app_options() const {
    Options o = env_.app;
    o.client_name = "shopfloor-test";
    return o;
  }

  Options admin_options() const {
    Options o = app_options();
    o.user = env_.admin_user;
    o.password = env_.admin_password;
    o.connections = 1;
    return o;
  }

  // Runs `body` on io_ until it finishes, at most `limit` (testing/run.hpp); a
  // timeout or an exception is a test failure.
  void run(std::function<asio::awaitable<void>()> body, std::chrono::seconds limit = 30s) {
    try {
      testing::run(io_, body(), limit);
    } catch (const std::exception& x) {
      ADD_FAILURE() << "test coroutine: " << x.what();
    }
  }

  // Deletes the test's keys through a short-lived admin connection.
  asio::awaitable<void> cleanup(Client& client, std::vector<std::string> keys) {
    if (keys.empty()) co_return;
    keys.insert(keys.begin(), "DEL");
    co_await client.command(Command(std::span<const std::string>(keys)), kSlow);
  }

  // A command that keeps the server busy for `seconds`: DEBUG SLEEP when the
  // server allows it (enable-debug-command), else a Lua busy loop on TIME,
  // which blocks the single-threaded server the same way.
  asio::awaitable<Command> blocking_command(Client& admin, double seconds) {
    auto probe = co_await admin.command(Command("DEBUG", "SLEEP", "0"), kSlow);
    if (probe && probe->is_ok()) co_return Command("DEBUG", "SLEEP", std::to_string(seconds));
    const std::string micros = std::to_string(static_cast<long long>(seconds * 1e6));
    co_return Command("EVAL",
                      "local t = redis.call('TIME') local start = t[1] * 1000000 + t[2] "
                      "while true do local n = redis.call('TIME') "
                      "if n[1] * 1000000 + n[2] - start >= tonumber(ARGV[1]) then break end end "
                      "return 1",
                      "0", micros);
  }

  Env env_;
  std::string prefix_;
  asio::io_context io_{1};
};

TEST_F(RedisClientTest, TlsAclUserSetGetDelIncr) {
  Client client(io_.get_executor(), app_options());
  client.start();
  run([&]() -> asio::awaitable<void> {
    EXPECT_TRUE(co_await wait_until([&] { return client.connected(); }, 3000ms))
        << client.last_error().message();
    const std::string key = prefix_ + "value";
    const std::string counter = prefix_ + "counter";
    const std::string binary = "line\r\nwith\0nul"s;

    // The initializer_list overload formats at the call, so the awaitable may
    // be awaited in a later statement (g++ 12 cannot have the braced list
    // inside the co_await expression).
    auto set_op = client.command({"SET", key, binary}, kSlow);
    auto set = co_await std::move(set_op);
    EXPECT_TRUE(set && set->is_ok()) << describe(set);
    auto get = co_await client.command(Command("GET", key), kSlow);
    CO_ASSERT(get && get->is_string(), describe(get));
    EXPECT_EQ(get->str, binary);

    std::vector<std::string> incr_args{"INCR", counter};
    auto one = co_await client.command(std::move(incr_args), kSlow);
    auto two = co_await client.command(Command("INCR", counter), kSlow);
    CO_ASSERT(one && two, "");
    EXPECT_EQ(one->integer, 1);
    EXPECT_EQ(two->integer, 2);

    auto del = co_await client.command(Command("DEL", key, counter), kSlow);
    CO_ASSERT(del && del->is_integer(), describe(del));
    EXPECT_EQ(del->integer, 2);
    auto gone = co_await client.command(Command("GET", key), kSlow);
    EXPECT_TRUE(gone && gone->is_nil()) << describe(gone);
  });
}

TEST_F(RedisClientTest, TwoThousandConcurrentCommandsOnTwoConnections) {
  Options opts = app_options();
  opts.connections = 2;
  Client client(io_.get_executor(), opts);
  client.start();
  constexpr int kKeys = 500;
  constexpr int kCommands = 2000;
  std::vector<std::string> keys, values;
  for (int i = 0; i < kKeys; ++i) {
    keys.push_back(prefix_ + "k" + std::to_string(i));
    // Sizes from 1 byte to ~6 KB so replies straddle reads and feed pieces.
    values.push_back(std::to_string(i) + ":" + std::string((i * 131) % 6000, 'a' + i % 26));
  }
  run([&]() -> asio::awaitable<void> {
    EXPECT_TRUE(co_await wait_until([&] { return client.connected(); }, 3000ms));
    std::vector<std::vector<std::string>> sets;
    for (int i = 0; i < kKeys; ++i) sets.push_back({"SET", keys[i], values[i]});
    auto loaded = co_await client.pipeline(std::move(sets), kSlow);
    CO_ASSERT(loaded, loaded.error().message());

    int answered = 0, correct = 0, incremented = 0;
    const std::string counter = prefix_ + "counter";
    auto ex = co_await asio::this_coro::executor;
    for (int i = 0; i < kCommands; ++i) {
      asio::co_spawn(
          ex,
          [&, i]() -> asio::awaitable<void> {
            if (i % 4 == 3) {
              auto r = co_await client.command(Command("INCR", counter), kSlow);
              ++answered;
              if (r && r->is_integer()) ++incremented;
              co_return;
            }
            auto r = co_await client.command(Command("GET", keys[i % kKeys]), kSlow);
            ++answered;
            if (r && r->is_string() && r->str == values[i % kKeys]) ++correct;
          },
          asio::detached);
    }
    EXPECT_TRUE(co_await wait_until([&] { return answered == kCommands; }, 20000ms));
    EXPECT_EQ(answered, kCommands);
    EXPECT_EQ(correct, kCommands * 3 / 4);
    EXPECT_EQ(incremented, kCommands / 4);
    auto total = co_await client.command(Command("GET", counter), kSlow);
    EXPECT_TRUE(total && total->str == std::to_string(kCommands / 4)) << describe(total);
    keys.push_back(counter);
    co_await cleanup(client, keys);
  });
}

TEST_F(RedisClientTest, PipelineRepliesInOrder) {
  Client client(io_.get_executor(), app_options());
  client.start();
  run([&]() -> asio::awaitable<void> {
    EXPECT_TRUE(co_await wait_until([&] { return client.connected(); }, 3000ms));
    const std::string key = prefix_ + "p";
    Pipeline pipeline;
    pipeline.add("SET", key, "41")
        .add("INCR", key)
        .add("GET", key)
        .add("GET", prefix_ + "missing")
        .add("GET", "outside:" + random_hex(8))
        .add(Command("DEL", key));
    auto replies = co_await client.pipeline(std::move(pipeline), kSlow);
    CO_ASSERT(replies, replies.error().message());
    CO_ASSERT((replies->size()) == (6u), "");
    EXPECT_TRUE((*replies)[0].is_ok());
    EXPECT_EQ((*replies)[1].integer, 42);
    EXPECT_EQ((*replies)[2].str, "42");
    EXPECT_TRUE((*replies)[3].is_nil());
    EXPECT_TRUE((*replies)[4].is_error_code("NOPERM")) << to_string((*replies)[4]);
    EXPECT_EQ((*replies)[5].integer, 1);

    auto none = co_await client.pipeline(Pipeline(), kSlow);
    CO_ASSERT(none, "");
    EXPECT_TRUE(none->empty());
  });
}

TEST_F(RedisClientTest, EvalReloadsScriptAfterScriptFlush) {
  Client client(io_.get_executor(), app_options());
  Client admin(io_.get_executor(), admin_options());
  client.start();
  admin.start();
  // A body unique to this run, so its digest is unknown to the server.
  const Script script("-- " + prefix_ + "\nreturn redis.call('INCR', KEYS[1])");
  const std::string key = prefix_ + "evals";
  const std::vector<std::string> keys{key};
  run([&]() -> asio::awaitable<void> {
    EXPECT_TRUE(
        co_await wait_until([&] { return client.connected() && admin.connected(); }, 3000ms));
    auto exists = [&]() -> asio::awaitable<long long> {
      auto r = co_await admin.command(Command("SCRIPT", "EXISTS", script.sha1()), kSlow);
      co_return (r && r->is_array() && r->elements.size() == 1) ? r->elements[0].integer : -1;
    };
    EXPECT_EQ(co_await exists(), 0);
    auto first = co_await client.eval(script, keys, {}, kSlow);  // NOSCRIPT → load
    EXPECT_TRUE(first && first->integer == 1) << describe(first);
    EXPECT_EQ(co_await exists(), 1);

    auto flushed = co_await admin.command(Command("SCRIPT", "FLUSH"), kSlow);
    EXPECT_TRUE(flushed && flushed->is_ok()) << describe(flushed);
    EXPECT_EQ(co_await exists(), 0);

    auto second = co_await client.eval(script, keys, {}, kSlow);  // NOSCRIPT again
    EXPECT_TRUE(second && second->integer == 2) << describe(second);
    EXPECT_EQ(co_await exists(), 1);
    auto third = co_await client.eval(script, keys, {}, kSlow);  // cached
    EXPECT_TRUE(third && third->integer == 3) << describe(third);

    // A script error is a reply, not a transport failure.
    const Script broken("return redis.call('FLUSHALL')");
    auto denied = co_await client.eval(broken, {}, {}, kSlow);
    CO_ASSERT(denied, denied.error().message());
    EXPECT_TRUE(denied->is_error()) << to_string(*denied);
    co_await cleanup(client, keys);
  });
}

TEST_F(RedisClientTest, PlainTcpToTlsPortDoesNotConnect) {
  Options opts = app_options();
  opts.tls = false;
  opts.connect_timeout = 500ms;
  Client client(io_.get_executor(), opts);
  client.start();
  run([&]() -> asio::awaitable<void> {
    EXPECT_TRUE(co_await wait_until([&] { return bool(client.last_error()); }, 3000ms));
    co_await sleep_for(200ms);
    EXPECT_FALSE(client.connected());
    const auto start = Clock::now();
    auto r = co_await client.command(Command("GET", prefix_ + "x"), kSlow);
    EXPECT_LT(ms_since(start), 100);
    CO_ASSERT(!(r), describe(r));
    EXPECT_EQ(r.error(), make_error_code(error::not_connected));
  });
}

TEST_F(RedisClientTest, DefaultUserIsRejected) {
  Options opts = app_options();
  opts.user = "default";
  Client client(io_.get_executor(), opts);
  client.start();
  run([&]() -> asio::awaitable<void> {
    EXPECT_TRUE(co_await wait_until(
        [&] { return client.last_error() == make_error_code(error::auth_failed); }, 3000ms))
        << client.last_error().message();
    EXPECT_FALSE(client.connected());
    auto r = co_await client.command(Command("PING"), kSlow);
    CO_ASSERT(!(r), "");
    EXPECT_EQ(r.error(), make_error_code(error::not_connected));
  });
}

TEST_F(RedisClientTest, WrongPasswordIsRejected) {
  Options opts = app_options();
  opts.password = "wrong-" + random_hex(16);
  Client client(io_.get_executor(), opts);
  client.start();
  run([&]() -> asio::awaitable<void> {
    EXPECT_TRUE(co_await wait_until(
        [&] { return client.last_error() == make_error_code(error::auth_failed); }, 3000ms))
        << client.last_error().message();
    EXPECT_FALSE(client.connected());
    // Retried with backoff, and still refused.
    co_await sleep_for(300ms);
    EXPECT_EQ(client.last_error(), make_error_code(error::auth_failed));
    EXPECT_FALSE(client.connected());
  });
}

TEST_F(RedisClientTest, AclUserGetsNopermOutsideItsPrefixAndForFlushall) {
  Client client(io_.get_executor(), app_options());
  client.start();
  run([&]() -> asio::awaitable<void> {
    EXPECT_TRUE(co_await wait_until([&] { return client.connected(); }, 3000ms));
    auto outside = co_await client.command(Command("SET", "outside:" + random_hex(8), "x"), kSlow);
    CO_ASSERT(outside, outside.error().message());
    EXPECT_TRUE(outside->is_error_code("NOPERM")) << to_string(*outside);
    auto flushall = co_await client.command(Command("FLUSHALL"), kSlow);
    CO_ASSERT(flushall, flushall.error().message());
    EXPECT_TRUE(flushall->is_error_code("NOPERM")) << to_string(*flushall);
    // Error replies leave the connection usable.
    EXPECT_TRUE(client.connected());
    auto ping = co_await client.command(Command("PING"), kSlow);
    EXPECT_TRUE(ping && ping->is_status() && ping->str == "PONG") << describe(ping);
  });
}

TEST_F(RedisClientTest, CommandTimesOutWhileServerIsBlockedThenRecovers) {
  Options opts = app_options();
  opts.connections = 1;  // the follow-up command shares the FIFO with the abandoned slot
  Client client(io_.get_executor(), opts);
  Client admin(io_.get_executor(), admin_options());
  client.start();
  admin.start();
  const std::string key = prefix_ + "after";
  run([&]() -> asio::awaitable<void> {
    EXPECT_TRUE(
        co_await wait_until([&] { return client.connected() && admin.connected(); }, 3000ms));
    auto set = co_await client.command(Command("SET", key, "still-in-order"), kSlow);
    CO_ASSERT(set && set->is_ok(), describe(set));
    auto block = co_await blocking_command(admin, 0.3);

    bool unblocked = false;
    asio::co_spawn(
        co_await asio::this_coro::executor,
        [&]() -> asio::awaitable<void> {
          auto r = co_await admin.command(block, 5000ms);
          EXPECT_TRUE(r && !r->is_error()) << describe(r);
          unblocked = true;
        },
        asio::detached);
    co_await sleep_for(40ms);  // the server is now inside the blocking command
    EXPECT_FALSE(unblocked);

    const auto start = Clock::now();
    auto r = co_await client.command(Command("GET", key), 1ms);
    const auto elapsed = ms_since(start);
    CO_ASSERT(!(r), describe(r));
    EXPECT_EQ(r.error(), make_error_code(error::timeout));
    EXPECT_LT(elapsed, 50) << "timeout was not prompt";
    EXPECT_FALSE(unblocked);

    EXPECT_TRUE(co_await wait_until([&] { return unblocked; }, 5000ms));
    // The late reply to the timed-out GET is dropped; this GET gets its own.
    EXPECT_TRUE(client.connected());
    auto again = co_await client.command(Command("GET", key), kSlow);
    EXPECT_TRUE(again && again->str == "still-in-order") << describe(again);
    auto incr = co_await client.command(Command("INCR", prefix_ + "n"), kSlow);
    EXPECT_TRUE(incr && incr->integer == 1) << describe(incr);
    std::vector<std::string> used{key, prefix_ + "n"};
    co_await cleanup(client, std::move(used));
  });
}

TEST_F(RedisClientTest, OverdueConnectionIsDeclaredDeadAndReplaced) {
  Options opts = app_options();
  opts.connections = 1;
  opts.connect_timeout = 100ms;  // dead when a reply is 200 ms past its deadline
  opts.reconnect_max = 200ms;
  Client client(io_.get_executor(), opts);
  int reconnects = 0;
  client.on_reconnect([&] { ++reconnects; });
  Client admin(io_.get_executor(), admin_options());
  client.start();
  admin.start();
  run([&]() -> asio::awaitable<void> {
    EXPECT_TRUE(
        co_await wait_until([&] { return client.connected() && admin.connected(); }, 3000ms));
    auto block = co_await blocking_command(admin, 0.8);
    bool unblocked = false;
    asio::co_spawn(
        co_await asio::this_coro::executor,
        [&]() -> asio::awaitable<void> {
          co_await admin.command(block, 5000ms);
          unblocked = true;
        },
        asio::detached);
    co_await sleep_for(40ms);

    const auto start = Clock::now();
    auto r = co_await client.command(Command("GET", prefix_ + "x"), 50ms);
    EXPECT_EQ(r.error(), make_error_code(error::timeout));
    // The reply is now overdue; 200 ms after the deadline the connection is
    // given up: a command waiting on it fails with connection_lost.
    auto waiting = co_await client.command(Command("GET", prefix_ + "x"), 2000ms);
    CO_ASSERT(!waiting, describe(waiting));
    EXPECT_EQ(waiting.error(), make_error_code(error::connection_lost));
    EXPECT_LT(ms_since(start), 600) << "the overdue connection was not closed in time";
    EXPECT_FALSE(unblocked);

    EXPECT_TRUE(co_await wait_until([&] { return unblocked; }, 5000ms));
    EXPECT_TRUE(co_await wait_until([&] { return client.connected(); }, 3000ms));
    EXPECT_GE(reconnects, 1);
    auto ping = co_await client.command(Command("PING"), kSlow);
    EXPECT_TRUE(ping && ping->str == "PONG") << describe(ping);
  });
}

TEST_F(RedisClientTest, StopCompletesOutstandingCommandsWithClosed) {
  Options opts = app_options();
  opts.connections = 1;
  Client client(io_.get_executor(), opts);
  Client admin(io_.get_executor(), admin_options());
  client.start();
  admin.start();
  run([&]() -> asio::awaitable<void> {
    EXPECT_TRUE(
        co_await wait_until([&] { return client.connected() && admin.connected(); }, 3000ms));
    auto block = co_await blocking_command(admin, 0.3);
    bool unblocked = false;
    asio::co_spawn(
        co_await asio::this_coro::executor,
        [&]() -> asio::awaitable<void> {
          co_await admin.command(block, 5000ms);
          unblocked = true;
        },
        asio::detached);
    co_await sleep_for(40ms);

    std::optional<boost::system::result<Reply>> outcome;
    asio::co_spawn(
        co_await asio::this_coro::executor,
        [&]() -> asio::awaitable<void> {
          outcome = co_await client.command(Command("GET", prefix_ + "x"), kSlow);
        },
        asio::detached);
    co_await sleep_for(20ms);
    EXPECT_FALSE(outcome.has_value());
    const auto start = Clock::now();
    client.stop();
    EXPECT_TRUE(co_await wait_until([&] { return outcome.has_value(); }, 1000ms));
    EXPECT_LT(ms_since(start), 100);
    CO_ASSERT(outcome.has_value(), "");
    CO_ASSERT(!(*outcome), "");
    EXPECT_EQ(outcome->error(), make_error_code(error::closed));
    EXPECT_FALSE(client.connected());
    auto later = co_await client.command(Command("PING"), kSlow);
    CO_ASSERT(!(later), "");
    EXPECT_EQ(later.error(), make_error_code(error::closed));
    EXPECT_TRUE(co_await wait_until([&] { return unblocked; }, 5000ms));
  });
}

TEST_F(RedisClientTest, CancelledCommandCompletesAtOnceAndKeepsOrder) {
  using namespace asio::experimental::awaitable_operators;
  Options opts = app_options();
  opts.connections = 1;
  Client client(io_.get_executor(), opts);
  Client admin(io_.get_executor(), admin_options());
  client.start();
  admin.start();
  const std::string key = prefix_ + "c";
  run([&]() -> asio::awaitable<void> {
    EXPECT_TRUE(
        co_await wait_until([&] { return client.connected() && admin.connected(); }, 3000ms));
    auto set = co_await client.command(Command("SET", key, "v"), kSlow);
    CO_ASSERT(set && set->is_ok(), describe(set));
    auto block = co_await blocking_command(admin, 0.3);
    bool unblocked = false;
    asio::co_spawn(
        co_await asio::this_coro::executor,
        [&]() -> asio::awaitable<void> {
          co_await admin.command(block, 5000ms);
          unblocked = true;
        },
        asio::detached);
    co_await sleep_for(40ms);

    // The timer wins; `||` cancels the command through its cancellation slot
    // and waits for it, so a prompt return shows the command completed at once.
    asio::steady_timer timer(co_await asio::this_coro::executor, 20ms);
    const auto start = Clock::now();
    auto winner =
        co_await (client.command(Command("GET", key), kSlow) || timer.async_wait(kUseTuple));
    EXPECT_EQ(winner.index(), 1u);
    EXPECT_LT(ms_since(start), 100);
    EXPECT_FALSE(unblocked);

    EXPECT_TRUE(co_await wait_until([&] { return unblocked; }, 5000ms));
    auto again = co_await client.command(Command("INCR", prefix_ + "n"), kSlow);
    EXPECT_TRUE(again && again->integer == 1) << describe(again);
    auto get = co_await client.command(Command("GET", key), kSlow);
    EXPECT_TRUE(get && get->str == "v") << describe(get);
    std::vector<std::string> used{key, prefix_ + "n"};
    co_await cleanup(client, std::move(used));
  });
}

TEST_F(RedisClientTest, SubscriberReportsAChannelTheAclForbids) {
  std::vector<std::string> channels{"outside:" + random_hex(8)};
  Subscriber subscriber(
      io_.get_executor(), app_options(), channels, [](std::string_view, std::string_view) {},
      [] {});
  subscriber.start();
  run([&]() -> asio::awaitable<void> {
    EXPECT_TRUE(co_await wait_until(
        [&] { return subscriber.last_error() == make_error_code(error::handshake_failed); },
        3000ms))
        << subscriber.last_error().message();
    EXPECT_FALSE(subscriber.subscribed());
  });
}

TEST_F(RedisClientTest, SubscriberReceivesPublishedMessages) {
  Client client(io_.get_executor(), app_options());
  client.start();
  const std::string ch1 = prefix_ + "ch1";
  const std::string ch2 = prefix_ + "ch2";
  std::vector<std::pair<std::string, std::string>> got;
  int resubscribed = 0;
  Subscriber subscriber(
      io_.get_executor(), app_options(), {ch1, ch2},
      [&](std::string_view ch, std::string_view msg) { got.emplace_back(ch, msg); },
      [&] { ++resubscribed; });
  subscriber.start();
  run([&]() -> asio::awaitable<void> {
    EXPECT_TRUE(
        co_await wait_until([&] { return client.connected() && subscriber.subscribed(); }, 3000ms))
        << subscriber.last_error().message();
    const std::string binary = "bin\r\n\0ary"s;
    auto a = co_await client.command(Command("PUBLISH", ch1, "hello"), kSlow);
    auto b = co_await client.command(Command("PUBLISH", ch2, binary), kSlow);
    EXPECT_TRUE(a && a->integer == 1) << describe(a);  // one subscriber: ours
    EXPECT_TRUE(b && b->integer == 1) << describe(b);
    EXPECT_TRUE(co_await wait_until([&] { return got.size() >= 2; }, 2000ms));
    CO_ASSERT((got.size()) == (2u), "");
    EXPECT_EQ(got[0], std::make_pair(ch1, "hello"s));
    EXPECT_EQ(got[1], std::make_pair(ch2, binary));
    EXPECT_EQ(resubscribed, 0);
    subscriber.stop();
    EXPECT_FALSE(subscriber.subscribed());
    co_await client.command(Command("PUBLISH", ch1, "after stop"), kSlow);
    co_await sleep_for(50ms);
    EXPECT_EQ(got.size(), 2u);
  });
}

// Stops the server on stop() and starts it again on start() or, at the latest, on
// destruction (testing::RedisOutage), so a failed assertion never leaves the shared
// server down. `devenv` is the script SetUp found in the environment.
class ServerRestartGuard {
 public:
  explicit ServerRestartGuard(const std::string& devenv) {}
  bool stop() {
    outage_.emplace();
    return outage_->stopped();
  }
  bool start() { return outage_ && outage_->restart(); }

 private:
  std::optional<testing::RedisOutage> outage_;
};

TEST_F(RedisClientTest, ReconnectsAndResubscribesAfterServerRestart) {
  Options opts = app_options();
  opts.connections = 2;
  Client client(io_.get_executor(), opts);
  int reconnects = 0;
  client.on_reconnect([&] { ++reconnects; });
  client.start();
  const std::string channel = prefix_ + "events";
  std::vector<std::string> messages;
  int resubscribed = 0;
  Subscriber subscriber(
      io_.get_executor(), app_options(), {channel},
      [&](std::string_view, std::string_view msg) { messages.emplace_back(msg); },
      [&] { ++resubscribed; });
  subscriber.start();
  ServerRestartGuard server(env_.devenv);

  run([&]() -> asio::awaitable<void> {
    EXPECT_TRUE(
        co_await wait_until([&] { return client.connected() && subscriber.subscribed(); }, 3000ms));
    auto before = co_await client.command(Command("PUBLISH", channel, "before"), kSlow);
    EXPECT_TRUE(before && before->integer == 1) << describe(before);
    EXPECT_TRUE(co_await wait_until([&] { return messages.size() == 1; }, 2000ms));
    EXPECT_EQ(reconnects, 0);

    CO_ASSERT(server.stop(), "");
    // Commands fail fast while the server is down: the closed connections are
    // noticed and nothing waits for a reconnect.
    bool saw_not_connected = false;
    const auto down = Clock::now();
    for (int i = 0; i < 100 && ms_since(down) < 2000 && !saw_not_connected; ++i) {
      const auto start = Clock::now();
      auto r = co_await client.command(Command("GET", prefix_ + "x"), 200ms);
      EXPECT_LT(ms_since(start), 100) << "a command waited while the server was down";
      CO_ASSERT(!(r), "command succeeded with the server stopped: " << describe(r));
      EXPECT_TRUE(r.error() == make_error_code(error::not_connected) ||
                  r.error() == make_error_code(error::connection_lost))
          << r.error().message();
      saw_not_connected = r.error() == make_error_code(error::not_connected);
      if (!saw_not_connected) co_await sleep_for(10ms);
    }
    EXPECT_TRUE(saw_not_connected);
    EXPECT_FALSE(client.connected());

    CO_ASSERT(server.start(), "");
    const auto up = Clock::now();
    EXPECT_TRUE(co_await wait_until([&] { return client.connected(); }, 5000ms));
    EXPECT_LE(ms_since(up), 3000) << "reconnect took too long";
    EXPECT_GE(reconnects, 1);
    auto set = co_await client.command(Command("SET", prefix_ + "back", "1"), kSlow);
    EXPECT_TRUE(set && set->is_ok()) << describe(set);

    EXPECT_TRUE(co_await wait_until([&] { return subscriber.subscribed(); }, 5000ms));
    EXPECT_EQ(resubscribed, 1);
    auto after = co_await client.command(Command("PUBLISH", channel, "after"), kSlow);
    EXPECT_TRUE(after && after->integer == 1) << describe(after);
    EXPECT_TRUE(co_await wait_until([&] { return messages.size() == 2; }, 2000ms));
    CO_ASSERT((messages.size()) == (2u), "");
    EXPECT_EQ(messages[1], "after");
    std::vector<std::string> used{prefix_ + "back"};
    co_await cleanup(client, std::move(used));
  });
}

}  // namespace
}  // namespace shopfloor::redis
