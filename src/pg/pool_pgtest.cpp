// Pool against the real PostgreSQL: the bound on connections, waiting, timeouts,
// failing fast while the database is unreachable, replacing dead connections.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <vector>

#include "pg/pgtest_env.hpp"
#include "pg/pool.hpp"
#include "pg/stats.hpp"

namespace shopfloor::pg {
namespace {

using namespace pgtest;
using Kind = Error::Kind;

class PoolTest : public PgTest {
 protected:
  // Backends of this test's application_name, seen from a separate connection.
  long long backends(Pool& observer) {
    auto r = run(observer.query("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
                                params(opts_.application_name)));
    if (!r) {
      ADD_FAILURE() << to_string(r.error());
      return -1;
    }
    return r->int64(0, 0);
  }

  Options observer_options() const {
    Options o = opts_;
    o.application_name = opts_.application_name + "_observer";
    o.pool_size = 1;
    return o;
  }
};

TEST_F(PoolTest, FortyConcurrentQueriesNeverUseMoreThanPoolSizeConnections) {
  Options o = opts_;
  o.pool_size = 3;
  Pool pool(io_.get_executor(), o);
  Pool observer(io_.get_executor(), observer_options());

  int ok = 0, failed = 0, finished = 0;
  for (int i = 0; i < 40; ++i) {
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
          auto r = co_await pool.query("SELECT pg_sleep(0.1)");
          if (r) {
            ++ok;
          } else {
            ++failed;
            ADD_FAILURE() << to_string(r.error());
          }
          ++finished;
        },
        asio::detached);
  }
  // Sample pg_stat_activity while the queries run.
  long long max_seen = 0;
  int samples = 0;
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        asio::steady_timer t(co_await asio::this_coro::executor);
        while (finished < 40 && samples < 500) {
          auto r = co_await observer.query(
              "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
              params(opts_.application_name));
          if (r) max_seen = std::max(max_seen, r->int64(0, 0));
          ++samples;
          t.expires_after(10ms);
          co_await t.async_wait(asio::use_awaitable);
        }
      },
      asio::detached);
  const auto start = Clock::now();
  ASSERT_TRUE(run_until([&] { return finished == 40; }, 20s));
  EXPECT_EQ(ok, 40);
  EXPECT_EQ(failed, 0);
  EXPECT_GT(samples, 5);
  EXPECT_EQ(max_seen, 3) << "pool_size 3 must mean at most 3 backends";
  EXPECT_EQ(pool.size(), 3u);
  EXPECT_EQ(backends(observer), 3);
  // 40 × 100 ms over 3 connections is about 1.4 s; serial would be 4 s.
  EXPECT_LT(ms_since(start), 3000);
  EXPECT_TRUE(pool.healthy());
}

TEST_F(PoolTest, AcquireTimesOutWhenAllConnectionsAreLeased) {
  Options o = opts_;
  o.pool_size = 1;
  o.acquire_timeout = 150ms;
  Pool pool(io_.get_executor(), o);
  auto held = run(pool.acquire());
  ASSERT_TRUE(held) << to_string(held.error());
  const int pid = (*held)->backend_pid();

  const auto start = Clock::now();
  auto second = run(pool.acquire());
  const auto elapsed = ms_since(start);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().kind, Kind::timeout);
  EXPECT_GE(elapsed, 145);
  EXPECT_LT(elapsed, 1500);

  held->release();
  const auto again = Clock::now();
  auto third = run(pool.acquire());
  ASSERT_TRUE(third) << to_string(third.error());
  EXPECT_EQ((*third)->backend_pid(), pid) << "the released connection is reused";
  EXPECT_LT(ms_since(again), 1000);  // no new connection, no waiting
}

TEST_F(PoolTest, MetricsFollowLeasesWaitsAndTimeouts) {
  // The gauges are sums over every pool of the process: compare with a baseline.
  PoolStats& stats = PoolStats::instance();
  const double max0 = stats.max_connections.value(), in_use0 = stats.in_use.value(),
               idle0 = stats.idle.value(), waiting0 = stats.waiting.value(),
               waits0 = stats.waits.value(), timeouts0 = stats.acquire_timeout.value();
  const auto waited0 = stats.wait_seconds.count();
  const double waited_sum0 = stats.wait_seconds.sum();
  {
    Options o = opts_;
    o.pool_size = 2;
    o.acquire_timeout = 150ms;
    Pool pool(io_.get_executor(), o);
    EXPECT_EQ(stats.max_connections.value(), max0 + 2);
    auto a = run(pool.acquire());
    ASSERT_TRUE(a) << to_string(a.error());
    auto b = run(pool.acquire());
    ASSERT_TRUE(b) << to_string(b.error());
    EXPECT_EQ(stats.in_use.value(), in_use0 + 2);
    EXPECT_EQ(stats.idle.value(), idle0);

    bool queued_seen = false;
    asio::steady_timer t(io_, 50ms);
    t.async_wait(
        [&](boost::system::error_code) { queued_seen = stats.waiting.value() == waiting0 + 1; });
    auto c = run(pool.acquire());
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().kind, Kind::timeout);
    EXPECT_TRUE(queued_seen) << "shopfloor_pg_pool_waiting did not count the queued acquire";
    EXPECT_EQ(stats.waiting.value(), waiting0);
    EXPECT_EQ(stats.waits.value(), waits0 + 1);
    EXPECT_EQ(stats.acquire_timeout.value(), timeouts0 + 1);
    EXPECT_EQ(stats.wait_seconds.count(), waited0 + 1);
    EXPECT_GE(stats.wait_seconds.sum() - waited_sum0, 0.14);

    a->release();
    EXPECT_EQ(stats.in_use.value(), in_use0 + 1);
    EXPECT_EQ(stats.idle.value(), idle0 + 1);
    b->release();
    EXPECT_EQ(stats.in_use.value(), in_use0);
    EXPECT_EQ(stats.idle.value(), idle0 + 2);
  }
  // A destroyed pool takes back what it contributed.
  EXPECT_EQ(stats.max_connections.value(), max0);
  EXPECT_EQ(stats.idle.value(), idle0);
  EXPECT_EQ(stats.in_use.value(), in_use0);
}

TEST_F(PoolTest, AWaiterGetsTheConnectionReleasedWhileItWaits) {
  Options o = opts_;
  o.pool_size = 1;
  o.acquire_timeout = 3s;
  Pool pool(io_.get_executor(), o);
  auto held = run(pool.acquire());
  ASSERT_TRUE(held);
  asio::steady_timer t(io_, 100ms);
  t.async_wait([&](boost::system::error_code) { held->release(); });
  const auto start = Clock::now();
  auto r = run(pool.query("SELECT 7"));
  ASSERT_TRUE(r) << to_string(r.error());
  EXPECT_EQ(r->int64(0, 0), 7);
  EXPECT_GE(ms_since(start), 95);
  EXPECT_LT(ms_since(start), 2500);  // handed over on release, before acquire_timeout (3 s)
  EXPECT_EQ(pool.size(), 1u);
}

TEST_F(PoolTest, QueryTimeoutFailsFastAndThePoolServesTheNextQuery) {
  Options o = opts_;
  o.pool_size = 2;
  Pool pool(io_.get_executor(), o);
  const auto start = Clock::now();
  auto slow = run(pool.query("SELECT pg_sleep(5)", {}, 100ms));
  const auto elapsed = ms_since(start);
  ASSERT_FALSE(slow);
  EXPECT_EQ(slow.error().kind, Kind::timeout);
  EXPECT_LT(elapsed, 2000);  // the 100 ms deadline, not the 5 s query
  EXPECT_EQ(pool.size(), 0u) << "the timed-out connection is dropped";

  auto next = run(pool.query("SELECT 1"));
  ASSERT_TRUE(next) << to_string(next.error());
  EXPECT_EQ(next->int64(0, 0), 1);
  EXPECT_LE(pool.size(), 2u);
  EXPECT_TRUE(pool.healthy());
}

TEST_F(PoolTest, FailsFastWhileTheDatabaseIsUnreachable) {
  // A server that accepts TCP and never answers: each connection attempt costs
  // the full connect_timeout, which is what the backoff must spare callers.
  asio::ip::tcp::acceptor silent(io_, {asio::ip::make_address("127.0.0.1"), 0});
  Options o = opts_;
  o.port = silent.local_endpoint().port();
  o.pool_size = 2;
  o.connect_timeout = 300ms;
  o.connect_backoff = 1000ms;
  o.connect_backoff_max = 1000ms;
  Pool pool(io_.get_executor(), o);

  auto start = Clock::now();
  auto first = run(pool.acquire());
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().kind, Kind::unavailable);
  EXPECT_GE(ms_since(start), 290);
  EXPECT_FALSE(pool.healthy());

  // Within the backoff: no new attempt, an immediate answer. A new attempt would
  // cost the 300 ms connect_timeout; each answer must come well before that.
  for (int i = 0; i < 5; ++i) {
    start = Clock::now();
    auto again = run(pool.query("SELECT 1"));
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().kind, Kind::unavailable);
    EXPECT_LT(ms_since(start), 250) << "answer " << i << " waited for a connection attempt";
  }
  EXPECT_EQ(pool.size(), 0u);

  // After the backoff, a burst larger than the pool: two attempts, the rest
  // queue behind them and are failed as soon as those attempts fail.
  run_for(io_, 1000ms);
  int finished = 0, unavailable = 0;
  start = Clock::now();
  for (int i = 0; i < 10; ++i) {
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
          auto r = co_await pool.query("SELECT 1");
          if (!r && r.error().kind == Kind::unavailable) ++unavailable;
          ++finished;
        },
        asio::detached);
  }
  ASSERT_TRUE(run_until([&] { return finished == 10; }, 5s));
  EXPECT_EQ(unavailable, 10);
  // Two 300 ms attempts in parallel; waiting for acquire_timeout would take 2 s.
  EXPECT_LT(ms_since(start), 1500) << "queued callers must not wait acquire_timeout";
  EXPECT_EQ(pool.size(), 0u);
}

TEST_F(PoolTest, ConnectionsClosedByTheServerAreReplaced) {
  Options o = opts_;
  o.pool_size = 2;
  Pool pool(io_.get_executor(), o);
  Pool observer(io_.get_executor(), observer_options());
  // Open two connections and leave them idle.
  {
    auto a = run(pool.acquire());
    auto b = run(pool.acquire());
    ASSERT_TRUE(a && b);
  }
  ASSERT_EQ(pool.idle(), 2u);
  auto killed = run(observer.query(
      "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1",
      params(opts_.application_name)));
  ASSERT_TRUE(killed) << to_string(killed.error());
  EXPECT_EQ(killed->int64(0, 0), 2);
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = backends(observer) == 0;
    if (!gone) run_for(io_, 20ms);
  }
  ASSERT_TRUE(gone);
  run_for(io_, 100ms);  // let the closed sockets reach us

  auto r = run(pool.query("SELECT 1"));
  ASSERT_TRUE(r) << to_string(r.error());
  EXPECT_TRUE(pool.healthy());
  EXPECT_EQ(pool.size(), 1u) << "both dead connections dropped, one new one opened";
}

TEST_F(PoolTest, CloseFailsWaitersAndLaterAcquires) {
  Options o = opts_;
  o.pool_size = 1;
  o.acquire_timeout = 5s;
  Pool pool(io_.get_executor(), o);
  auto held = run(pool.acquire());
  ASSERT_TRUE(held);
  std::optional<PgResult<Pool::Lease>> waiter;
  asio::co_spawn(
      io_, [&]() -> asio::awaitable<void> { waiter.emplace(co_await pool.acquire()); },
      asio::detached);
  run_for(io_, 50ms);
  EXPECT_FALSE(waiter.has_value());
  pool.close();
  ASSERT_TRUE(run_until([&] { return waiter.has_value(); }, 1s));
  ASSERT_FALSE(*waiter);
  EXPECT_EQ(waiter->error().kind, Kind::unavailable);
  auto later = run(pool.acquire());
  ASSERT_FALSE(later);
  EXPECT_EQ(later.error().kind, Kind::unavailable);
  held->release();  // closed, not returned
  EXPECT_EQ(pool.idle(), 0u);
}

}  // namespace
}  // namespace shopfloor::pg
