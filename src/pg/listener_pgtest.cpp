// Listener against the real PostgreSQL: delivery, resync after the server ends
// its connection, the heartbeat (a frozen backend), stop().
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <utility>
#include <vector>

#include "pg/listener.hpp"
#include "pg/pgtest_env.hpp"
#include "pg/pool.hpp"
#include "pg/stats.hpp"

namespace shopfloor::pg {
namespace {

using namespace pgtest;

class ListenerTest : public PgTest {
 protected:
  void notify(Pool& pool, const std::string& channel, const std::string& payload) {
    auto r = run(pool.query("SELECT pg_notify($1, $2)", params(channel, payload)));
    ASSERT_TRUE(r) << to_string(r.error());
  }
};

TEST_F(ListenerTest, DeliversNotificationsAndResyncsAfterTheServerEndsItsConnection) {
  // Mixed case, a space and a quote: LISTEN must quote the identifier exactly.
  const std::string channel = "sf_test Chan\"" + id_;
  Options listener_opts = opts_;
  listener_opts.application_name = opts_.application_name + "_listener";
  Options sender_opts = opts_;
  sender_opts.pool_size = 1;
  Pool sender(io_.get_executor(), sender_opts);

  std::vector<std::pair<std::string, std::string>> got;
  int resyncs = 0;
  Listener listener(
      io_.get_executor(), listener_opts, {channel},
      [&](std::string_view ch, std::string_view payload) { got.emplace_back(ch, payload); },
      [&] { ++resyncs; });
  EXPECT_FALSE(listener.listening());
  // The metrics are process-wide: compare with a baseline.
  ListenerStats& stats = ListenerStats::instance();
  const double connected0 = stats.connected.value(), resyncs0 = stats.resyncs.value();
  listener.start();
  ASSERT_TRUE(run_until([&] { return resyncs == 1; }, 5s)) << "first LISTEN must call on_resync";
  EXPECT_TRUE(listener.listening());
  EXPECT_EQ(stats.connected.value(), connected0 + 1);
  EXPECT_EQ(stats.resyncs.value(), resyncs0 + 1);

  notify(sender, channel + "x", "other channel");  // not ours
  notify(sender, channel, "hello");
  ASSERT_TRUE(run_until([&] { return !got.empty(); }, 5s));
  run_for(io_, 100ms);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].first, channel);
  EXPECT_EQ(got[0].second, "hello");

  // The server ends the listener's backend; it must reconnect, LISTEN again and
  // tell its owner that notifications may have been missed.
  auto pid = run(sender.query("SELECT pid FROM pg_stat_activity WHERE application_name = $1",
                              params(listener_opts.application_name)));
  ASSERT_TRUE(pid) << to_string(pid.error());
  ASSERT_EQ(pid->size(), 1);
  EXPECT_EQ(pid->int64(0, 0), listener.backend_pid());
  auto killed = run(
      sender.query("SELECT pg_terminate_backend($1::int)", params(std::string(pid->text(0, 0)))));
  ASSERT_TRUE(killed) << to_string(killed.error());
  EXPECT_EQ(killed->text(0, 0), "t");
  ASSERT_TRUE(run_until([&] { return resyncs == 2 && listener.listening(); }, 10s))
      << "no resync after the connection was terminated";
  EXPECT_EQ(stats.connected.value(), connected0 + 1);
  EXPECT_EQ(stats.resyncs.value(), resyncs0 + 2);
  EXPECT_NE(listener.backend_pid(), pid->int64(0, 0));

  notify(sender, channel, "again");
  ASSERT_TRUE(run_until([&] { return got.size() == 2; }, 5s));
  EXPECT_EQ(got[1].second, "again");

  // Several notifications in one transaction arrive together, in order.
  {
    auto tx = run(sender.acquire());
    ASSERT_TRUE(tx);
    ASSERT_TRUE(run((*tx)->query("BEGIN")));
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(
          run((*tx)->query("SELECT pg_notify($1, $2)", params(channel, std::to_string(i)))));
    }
    ASSERT_TRUE(run((*tx)->query("COMMIT")));
  }
  ASSERT_TRUE(run_until([&] { return got.size() == 5; }, 5s));
  EXPECT_EQ(got[2].second, "0");
  EXPECT_EQ(got[4].second, "2");

  listener.stop();
  EXPECT_FALSE(listener.listening());
  EXPECT_EQ(stats.connected.value(), connected0);
  notify(sender, channel, "after stop");
  run_for(io_, 200ms);
  EXPECT_EQ(got.size(), 5u) << "no callback after stop()";
  EXPECT_EQ(resyncs, 2);
}

TEST_F(ListenerTest, KeepsRetryingUntilTheServerIsReachable) {
  // Nothing listens on this port: every attempt fails at once; the Listener must
  // back off (not spin) and never call on_resync.
  Options o = opts_;
  {
    asio::ip::tcp::acceptor probe(io_, {asio::ip::make_address("127.0.0.1"), 0});
    o.port = probe.local_endpoint().port();
  }
  o.connect_backoff = 50ms;
  o.connect_backoff_max = 1000ms;
  int resyncs = 0;
  std::vector<Clock::time_point> refused;  // on_alive: a refusal says the server is down
  Listener listener(
      io_.get_executor(), o, {"sf_test_" + id_}, nullptr, [&] { ++resyncs; },
      [&](Clock::time_point attempt) { refused.push_back(attempt); });
  listener.start();
  run_for(io_, 1000ms);
  EXPECT_EQ(resyncs, 0);
  EXPECT_FALSE(listener.listening());
  // Refused attempts follow each other after at most `heartbeat` (not the doubling
  // backoff), so the server is heard of soon once it is back.
  ASSERT_GE(refused.size(), 3u);
  for (std::size_t i = 1; i < refused.size(); ++i)
    EXPECT_LT(refused[i] - refused[i - 1], Listener::heartbeat + 150ms);
  listener.stop();
  // Once stopped, nothing is left running: the io_context runs out of work.
  io_.restart();
  const auto start = Clock::now();
  io_.run_for(2s);
  EXPECT_LT(ms_since(start), 1000);
}

// A server that is up but refuses this connection (here: something that accepts and hangs
// up at once, like a postmaster shutting down or out of connection slots) says nothing
// about other sessions, which may be committing: no on_alive, yet attempts stay frequent.
TEST_F(ListenerTest, ARefusalByARunningServerVouchesForNothing) {
  asio::ip::tcp::acceptor server(io_, {asio::ip::make_address("127.0.0.1"), 0});
  int accepted = 0;
  std::function<void()> accept_next = [&] {
    server.async_accept([&](boost::system::error_code ec, asio::ip::tcp::socket peer) {
      if (ec) return;
      ++accepted;
      peer.close();  // hang up at once
      accept_next();
    });
  };
  accept_next();
  Options o = opts_;
  o.port = server.local_endpoint().port();
  o.connect_backoff = 50ms;
  o.connect_backoff_max = 1000ms;
  int alive = 0;
  Listener listener(
      io_.get_executor(), o, {"sf_test_" + id_}, nullptr, [] {},
      [&](Clock::time_point) { ++alive; });
  listener.start();
  run_for(io_, 1000ms);
  EXPECT_EQ(alive, 0) << "a refusal by a server that is up vouched for the feed";
  // libpq's attempts and the probes both count; spaced by at most `heartbeat`.
  EXPECT_GE(accepted, 6);
  listener.stop();
  server.close();
  run_for(io_, 100ms);
}

// SIGCONT for a frozen backend however the test ends.
struct Thaw {
  int pid;
  ~Thaw() {
    if (pid > 0) ::kill(pid, SIGCONT);
  }
};

TEST_F(ListenerTest, HeartbeatsVouchForDeliveryAndStopWhenTheBackendFreezes) {
  const std::string channel = "sf_test_heartbeat_" + id_;
  Options sender_opts = opts_;
  sender_opts.pool_size = 1;
  Pool sender(io_.get_executor(), sender_opts);
  std::vector<std::string> got;
  std::vector<Clock::time_point> alive;  // the `sent` of each on_alive
  int resyncs = 0;
  Clock::time_point resynced_at;
  Listener listener(
      io_.get_executor(), opts_, {channel},
      [&](std::string_view, std::string_view payload) { got.emplace_back(payload); },
      [&] {
        ++resyncs;
        resynced_at = Clock::now();
      },
      [&](Clock::time_point sent) { alive.push_back(sent); });
  listener.start();
  ASSERT_TRUE(run_until([&] { return resyncs == 1 && alive.size() >= 2; }, 5s));

  // A notification committed before a ping was sent is delivered before that ping's
  // on_alive: vouching means delivered.
  notify(sender, channel, "before");
  const auto committed = Clock::now();
  ASSERT_TRUE(run_until([&] { return !alive.empty() && alive.back() > committed; }, 5s));
  ASSERT_EQ(got.size(), 1u) << "on_alive vouched for a ping sent after an undelivered commit";

  // Heartbeats come every Listener::heartbeat, busy or idle.
  const std::size_t before = alive.size();
  run_for(io_, 1000ms);
  EXPECT_GE(alive.size() - before, 3u);

  // Freeze the backend: the socket stays open, nothing answers. No ping sent after the
  // freeze may be vouched for, and the listener must give the connection up and make a new
  // one within heartbeat_timeout (plus scheduling), then vouch again.
  const int pid = listener.backend_pid();
  ASSERT_GT(pid, 0);
  ASSERT_EQ(::kill(pid, SIGSTOP), 0) << "the test must be able to signal the server (root)";
  Thaw thaw{pid};
  const auto frozen = Clock::now();
  ASSERT_TRUE(run_until([&] { return resyncs == 2; }, Listener::heartbeat_timeout + 5s))
      << "a frozen backend was never given up";
  for (auto sent : alive) {
    if (sent > frozen + 50ms && sent < resynced_at)
      ADD_FAILURE() << "a ping sent to the frozen backend was vouched for";
  }
  EXPECT_NE(listener.backend_pid(), pid);
  const std::size_t after_reconnect = alive.size();
  ASSERT_TRUE(run_until([&] { return alive.size() > after_reconnect; }, 5s));
  notify(sender, channel, "after");
  ASSERT_TRUE(run_until([&] { return got.size() == 2; }, 5s));
  EXPECT_EQ(got.back(), "after");
}

TEST_F(ListenerTest, StopEndsAllWorkAndTheListenerCanStartAgain) {
  const std::string channel = "sf_test_restart_" + id_;
  Options sender_opts = opts_;
  sender_opts.pool_size = 1;
  int resyncs = 0;
  std::vector<std::string> got;
  {
    Listener listener(
        io_.get_executor(), opts_, {channel},
        [&](std::string_view, std::string_view payload) { got.emplace_back(payload); },
        [&] { ++resyncs; });
    listener.start();
    ASSERT_TRUE(run_until([&] { return listener.listening(); }, 5s));
    listener.stop();
    listener.start();
    ASSERT_TRUE(run_until([&] { return resyncs == 2 && listener.listening(); }, 5s));
    Pool sender(io_.get_executor(), sender_opts);
    notify(sender, channel, "once");
    ASSERT_TRUE(run_until([&] { return !got.empty(); }, 5s));
    run_for(io_, 100ms);
    EXPECT_EQ(got.size(), 1u) << "the stopped loop must not deliver too";
  }  // destroyed while listening
  io_.restart();
  const auto start = Clock::now();
  io_.run_for(2s);
  EXPECT_LT(ms_since(start), 1000) << "work left behind after the Listener was destroyed";
}

}  // namespace
}  // namespace shopfloor::pg
