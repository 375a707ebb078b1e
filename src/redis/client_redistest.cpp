// Integration tests of redis::Client against the real server from .run/env.sh
// (TLS, ACL user `shopfloor` limited to sf:*). Keys live under a random
// sf:test:<hex>: prefix; the restart test stops and starts the shared server
// through $SHOPFLOOR_DEVENV and always starts it again. Tests that need the
// server to hold a reply send the blocking command on the tested connection
// itself, ahead of the command under test: replies come in order, so that
// command cannot be answered before the block ends, however the machine is
// loaded (no sleeps as synchronisation).
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
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
#include "redis/stats.hpp"
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

std::string random_hex(std::size_t n) {
  return testing::random_id(n);
}

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

  // Sends `block` on `client` in the background; `done` is set when its reply
  // (or error) arrives. Commands sent on the same connection afterwards are
  // answered only after it.
  void spawn_block(Client& client, Command block, std::chrono::milliseconds timeout, bool& done,
                   boost::system::error_code* outcome = nullptr) {
    asio::co_spawn(
        io_,
        [&client, block = std::move(block), timeout, &done,
         outcome]() mutable -> asio::awaitable<void> {
          auto r = co_await client.command(std::move(block), timeout);
          if (outcome) *outcome = r ? boost::system::error_code{} : r.error();
          done = true;
        },
        asio::detached);
  }

  // Waits until the server answers an admin PING again (a block has ended),
  // so that a test never leaves the shared server blocked for the next one.
  asio::awaitable<bool> server_free() {
    Client probe(io_.get_executor(), admin_options());
    probe.start();
    bool up = co_await wait_until([&] { return probe.connected(); }, 10000ms);
    auto pong = co_await probe.command(Command("PING"), 10000ms);
    const bool free = up && pong && pong->str == "PONG";
    co_return free;
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
    auto ex = co_await asio::this_coro::executor;
    int stored = 0;
    for (int i = 0; i < kKeys; ++i) {
      asio::co_spawn(
          ex,
          [&, i]() -> asio::awaitable<void> {
            auto r = co_await client.command(Command("SET", keys[i], values[i]), kSlow);
            if (r && r->is_ok()) ++stored;
          },
          asio::detached);
    }
    EXPECT_TRUE(co_await wait_until([&] { return stored == kKeys; }, 20000ms));
    CO_ASSERT(stored == kKeys, stored << " of " << kKeys << " SETs succeeded");

    int answered = 0, correct = 0, incremented = 0;
    const std::string counter = prefix_ + "counter";
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

TEST_F(RedisClientTest, CommandsIssuedTogetherGetTheirOwnRepliesInOrder) {
  Options opts = app_options();
  opts.connections = 1;  // all six share one write and one FIFO
  Client client(io_.get_executor(), opts);
  client.start();
  run([&]() -> asio::awaitable<void> {
    EXPECT_TRUE(co_await wait_until([&] { return client.connected(); }, 3000ms));
    const std::string key = prefix_ + "p";
    std::vector<Command> commands;
    commands.emplace_back("SET", key, "41");
    commands.emplace_back("INCR", key);
    commands.emplace_back("GET", key);
    commands.emplace_back("GET", prefix_ + "missing");
    commands.emplace_back("GET", "outside:" + random_hex(8));  // an error reply mid-batch
    commands.emplace_back("DEL", key);
    // Spawned in one turn of the event loop: they join one batch.
    std::vector<std::optional<boost::system::result<Reply>>> replies(commands.size());
    auto ex = co_await asio::this_coro::executor;
    for (std::size_t i = 0; i < commands.size(); ++i) {
      asio::co_spawn(
          ex,
          [&, i]() -> asio::awaitable<void> {
            replies[i] = co_await client.command(std::move(commands[i]), kSlow);
          },
          asio::detached);
    }
    EXPECT_TRUE(co_await wait_until(
        [&] {
          return std::all_of(replies.begin(), replies.end(), [](auto& r) { return r.has_value(); });
        },
        5000ms));
    for (const auto& r : replies) CO_ASSERT(r && *r, (r ? describe(*r) : "no reply"));
    EXPECT_TRUE((*replies[0])->is_ok());
    EXPECT_EQ((*replies[1])->integer, 42);
    EXPECT_EQ((*replies[2])->str, "42");
    EXPECT_TRUE((*replies[3])->is_nil());
    EXPECT_TRUE((*replies[4])->is_error_code("NOPERM")) << to_string(**replies[4]);
    EXPECT_EQ((*replies[5])->integer, 1);
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
    // Fails at once rather than at its 3 s deadline (bound generous for a loaded machine).
    const auto start = Clock::now();
    auto r = co_await client.command(Command("GET", prefix_ + "x"), kSlow);
    EXPECT_LT(ms_since(start), 1000);
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
    const double replies0 = ClientStats::instance().command_error_reply.value();
    auto outside = co_await client.command(Command("SET", "outside:" + random_hex(8), "x"), kSlow);
    CO_ASSERT(outside, outside.error().message());
    EXPECT_TRUE(outside->is_error_code("NOPERM")) << to_string(*outside);
    auto flushall = co_await client.command(Command("FLUSHALL"), kSlow);
    CO_ASSERT(flushall, flushall.error().message());
    EXPECT_TRUE(flushall->is_error_code("NOPERM")) << to_string(*flushall);
    EXPECT_EQ(ClientStats::instance().command_error_reply.value(), replies0 + 2)
        << "shopfloor_redis_command_errors_total{kind=\"reply\"}";
    // Error replies leave the connection usable.
    EXPECT_TRUE(client.connected());
    auto ping = co_await client.command(Command("PING"), kSlow);
    EXPECT_TRUE(ping && ping->is_status() && ping->str == "PONG") << describe(ping);
  });
}

TEST_F(RedisClientTest, CommandTimesOutWhileServerIsBlockedThenRecovers) {
  // One connection, as admin (DEBUG SLEEP): the block and the GET share the
  // FIFO, so the GET's reply cannot come before the block's.
  Options opts = admin_options();
  Client client(io_.get_executor(), opts);
  client.start();
  const std::string key = prefix_ + "after";
  run([&]() -> asio::awaitable<void> {
    EXPECT_TRUE(co_await wait_until([&] { return client.connected(); }, 3000ms));
    auto set = co_await client.command(Command("SET", key, "still-in-order"), kSlow);
    CO_ASSERT(set && set->is_ok(), describe(set));
    bool unblocked = false;
    boost::system::error_code block_outcome;
    spawn_block(client, co_await blocking_command(client, 2.0), 10000ms, unblocked, &block_outcome);

    ClientStats& stats = ClientStats::instance();
    const double timeouts_before = stats.command_timeouts.value();
    const auto replies_before = stats.command_seconds.count();
    const auto start = Clock::now();
    auto r = co_await client.command(Command("GET", key), 1ms);
    const auto elapsed = ms_since(start);
    CO_ASSERT(!(r), describe(r));
    EXPECT_EQ(r.error(), make_error_code(error::timeout));
    EXPECT_EQ(stats.command_timeouts.value(), timeouts_before + 1);
    EXPECT_EQ(stats.command_seconds.count(), replies_before) << "a timeout is not a reply";
    // Its deadline, not the 2 s block, ended the wait (generous for a loaded machine).
    EXPECT_LT(elapsed, 1000) << "timeout was not prompt";
    EXPECT_FALSE(unblocked);

    EXPECT_TRUE(co_await wait_until([&] { return unblocked; }, 10000ms));
    EXPECT_FALSE(block_outcome) << block_outcome.message();
    // The late reply to the timed-out GET is dropped; this GET gets its own.
    EXPECT_TRUE(client.connected());
    auto again = co_await client.command(Command("GET", key), kSlow);
    EXPECT_TRUE(again && again->str == "still-in-order") << describe(again);
    auto incr = co_await client.command(Command("INCR", prefix_ + "n"), kSlow);
    EXPECT_TRUE(incr && incr->integer == 1) << describe(incr);
    EXPECT_GE(stats.command_seconds.count(), replies_before + 2);
    std::vector<std::string> used{key, prefix_ + "n"};
    co_await cleanup(client, std::move(used));
  });
}

TEST_F(RedisClientTest, OverdueConnectionIsDeclaredDeadAndReplaced) {
  Options opts = admin_options();  // one connection; DEBUG SLEEP needs the admin user
  opts.connect_timeout = 100ms;    // dead when a reply is 200 ms past its deadline
  opts.reconnect_max = 200ms;
  Client client(io_.get_executor(), opts);
  int reconnects = 0;
  client.on_reconnect([&] { ++reconnects; });
  client.start();
  run([&]() -> asio::awaitable<void> {
    EXPECT_TRUE(co_await wait_until([&] { return client.connected(); }, 3000ms));
    // The block itself is the overdue request: its 50 ms deadline passes while
    // the server sleeps 3 s.
    bool block_done = false;
    boost::system::error_code block_outcome;
    const auto start = Clock::now();
    spawn_block(client, co_await blocking_command(client, 3.0), 50ms, block_done, &block_outcome);
    // 200 ms after that deadline the connection is given up: a command waiting
    // behind the block fails with connection_lost, long before the block ends.
    auto waiting = co_await client.command(Command("GET", prefix_ + "x"), 2500ms);
    CO_ASSERT(!waiting, describe(waiting));
    EXPECT_EQ(waiting.error(), make_error_code(error::connection_lost))
        << waiting.error().message();
    EXPECT_LT(ms_since(start), 2000) << "the overdue connection was not closed in time";
    EXPECT_TRUE(block_done);
    EXPECT_EQ(block_outcome, make_error_code(error::timeout)) << block_outcome.message();

    // Reconnects once the server answers again.
    EXPECT_TRUE(co_await wait_until([&] { return client.connected(); }, 10000ms));
    EXPECT_GE(reconnects, 1);
    auto ping = co_await client.command(Command("PING"), kSlow);
    EXPECT_TRUE(ping && ping->str == "PONG") << describe(ping);
  });
}

TEST_F(RedisClientTest, StopCompletesOutstandingCommandsWithClosed) {
  Client client(io_.get_executor(), admin_options());  // one connection, may DEBUG SLEEP
  client.start();
  run([&]() -> asio::awaitable<void> {
    EXPECT_TRUE(co_await wait_until([&] { return client.connected(); }, 3000ms));
    bool block_done = false;
    boost::system::error_code block_outcome;
    spawn_block(client, co_await blocking_command(client, 2.0), 10000ms, block_done,
                &block_outcome);

    std::optional<boost::system::result<Reply>> outcome;
    asio::co_spawn(
        co_await asio::this_coro::executor,
        [&]() -> asio::awaitable<void> {
          outcome = co_await client.command(Command("GET", prefix_ + "x"), kSlow);
        },
        asio::detached);
    // Both spawned coroutines have submitted their commands once this post runs
    // (one thread, handlers in order); neither can be answered before the block ends.
    co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
    EXPECT_FALSE(outcome.has_value());
    const auto start = Clock::now();
    client.stop();
    EXPECT_TRUE(co_await wait_until([&] { return outcome.has_value() && block_done; }, 1500ms));
    EXPECT_LT(ms_since(start), 1000) << "stop() waited for replies";
    CO_ASSERT(outcome.has_value(), "");
    CO_ASSERT(!(*outcome), "");
    EXPECT_EQ(outcome->error(), make_error_code(error::closed));
    EXPECT_EQ(block_outcome, make_error_code(error::closed));
    EXPECT_FALSE(client.connected());
    auto later = co_await client.command(Command("PING"), kSlow);
    CO_ASSERT(!(later), "");
    EXPECT_EQ(later.error(), make_error_code(error::closed));
    EXPECT_TRUE(co_await server_free());
  });
}

TEST_F(RedisClientTest, CancelledCommandCompletesAtOnceAndKeepsOrder) {
  using namespace asio::experimental::awaitable_operators;
  Client client(io_.get_executor(), admin_options());  // one connection, may DEBUG SLEEP
  client.start();
  const std::string key = prefix_ + "c";
  run([&]() -> asio::awaitable<void> {
    EXPECT_TRUE(co_await wait_until([&] { return client.connected(); }, 3000ms));
    auto set = co_await client.command(Command("SET", key, "v"), kSlow);
    CO_ASSERT(set && set->is_ok(), describe(set));
    bool unblocked = false;
    spawn_block(client, co_await blocking_command(client, 2.0), 10000ms, unblocked);

    // The timer wins; `||` cancels the command through its cancellation slot
    // and waits for it, so a prompt return shows the command completed at once
    // (the GET's reply cannot come before the 2 s block ends).
    asio::steady_timer timer(co_await asio::this_coro::executor, 20ms);
    const auto start = Clock::now();
    auto winner =
        co_await (client.command(Command("GET", key), kSlow) || timer.async_wait(kUseTuple));
    EXPECT_EQ(winner.index(), 1u);
    EXPECT_LT(ms_since(start), 1000);
    EXPECT_FALSE(unblocked);

    EXPECT_TRUE(co_await wait_until([&] { return unblocked; }, 10000ms));
    auto again = co_await client.command(Command("INCR", prefix_ + "n"), kSlow);
    EXPECT_TRUE(again && again->integer == 1) << describe(again);
    auto get = co_await client.command(Command("GET", key), kSlow);
    EXPECT_TRUE(get && get->str == "v") << describe(get);
    std::vector<std::string> used{key, prefix_ + "n"};
    co_await cleanup(client, std::move(used));
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

TEST_F(RedisClientTest, ReconnectsAfterServerRestart) {
  Options opts = app_options();
  opts.connections = 2;
  Client client(io_.get_executor(), opts);
  int reconnects = 0;
  client.on_reconnect([&] { ++reconnects; });
  // The metrics are process-wide: compare with what other clients left in them.
  ClientStats& stats = ClientStats::instance();
  const double up_before = stats.connections_up.value();
  const double reconnects_before = stats.reconnects.value();
  const double lost_before =
      stats.connection_error(make_error_code(error::connection_lost)).value();
  const double not_connected_before =
      stats.command_error(make_error_code(error::not_connected)).value();
  client.start();
  ServerRestartGuard server(env_.devenv);
  auto up_is = [&](double n) {
    return [&stats, n, up_before] { return stats.connections_up.value() == up_before + n; };
  };

  run([&]() -> asio::awaitable<void> {
    EXPECT_TRUE(co_await wait_until([&] { return client.connected(); }, 3000ms));
    EXPECT_TRUE(co_await wait_until(up_is(2), 3000ms)) << stats.connections_up.value();
    auto before = co_await client.command(Command("SET", prefix_ + "before", "1"), kSlow);
    EXPECT_TRUE(before && before->is_ok()) << describe(before);
    EXPECT_EQ(reconnects, 0);

    CO_ASSERT(server.stop(), "");
    // Commands fail fast while the server is down: the closed connections are
    // noticed and nothing waits for a reconnect. A command that waited would
    // end with error::timeout at its 2 s deadline instead.
    bool saw_not_connected = false;
    const auto down = Clock::now();
    for (int i = 0; i < 100 && ms_since(down) < 3000 && !saw_not_connected; ++i) {
      const auto start = Clock::now();
      auto r = co_await client.command(Command("GET", prefix_ + "x"), 2000ms);
      EXPECT_LT(ms_since(start), 1000) << "a command waited while the server was down";
      CO_ASSERT(!(r), "command succeeded with the server stopped: " << describe(r));
      EXPECT_TRUE(r.error() == make_error_code(error::not_connected) ||
                  r.error() == make_error_code(error::connection_lost))
          << r.error().message();
      saw_not_connected = r.error() == make_error_code(error::not_connected);
      if (!saw_not_connected) co_await sleep_for(10ms);
    }
    EXPECT_TRUE(saw_not_connected);
    EXPECT_FALSE(client.connected());
    EXPECT_TRUE(co_await wait_until(up_is(0), 3000ms)) << stats.connections_up.value();
    EXPECT_GE(stats.connection_error(make_error_code(error::connection_lost)).value(),
              lost_before + 1);
    EXPECT_GE(stats.command_error(make_error_code(error::not_connected)).value(),
              not_connected_before + 1);

    CO_ASSERT(server.start(), "");
    const auto up = Clock::now();
    EXPECT_TRUE(co_await wait_until([&] { return client.connected(); }, 5000ms));
    EXPECT_LE(ms_since(up), 4000) << "reconnect took too long";
    EXPECT_GE(reconnects, 1);
    EXPECT_TRUE(co_await wait_until(up_is(2), 5000ms)) << stats.connections_up.value();
    EXPECT_GE(stats.reconnects.value(), reconnects_before + 1);
    auto set = co_await client.command(Command("SET", prefix_ + "back", "1"), kSlow);
    EXPECT_TRUE(set && set->is_ok()) << describe(set);
    std::vector<std::string> used{prefix_ + "before", prefix_ + "back"};
    co_await cleanup(client, std::move(used));
  });
}

}  // namespace
}  // namespace shopfloor::redis
