// ChangeFeedListener against the real PostgreSQL: the trust it gives its owner waits for
// the handlers of what it delivered (change_feed.hpp, "Trust").
#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <utility>
#include <vector>

#include "pg/change_feed.hpp"
#include "pg/pgtest_env.hpp"
#include "pg/pool.hpp"

namespace shopfloor::pg {
namespace {

using namespace pgtest;

class ChangeFeedTest : public PgTest {};

// A heartbeat answered while a notification's handler still runs (its retirement slow,
// the cache hung) must not extend the trust: the owner would read the cache as if the
// change were retired. Once the handler ends, the newest such heartbeat vouches at once.
TEST_F(ChangeFeedTest, TrustWaitsUntilTheDeliveredNotificationsAreHandled) {
  const std::string channel = "sf_test_feed_" + id_;
  Options sender_opts = opts_;
  sender_opts.pool_size = 1;
  Pool sender(io_.get_executor(), sender_opts);

  asio::steady_timer hold(io_, Clock::time_point::max());  // the handler waits on it
  bool handling = false, handled = false;
  ChangeFeed feed{channel,
                  [&](std::string) -> asio::awaitable<void> {
                    handling = true;
                    co_await hold.async_wait(asio::as_tuple(asio::use_awaitable));
                    handling = false;
                    handled = true;
                  },
                  []() -> asio::awaitable<void> { co_return; }};
  std::vector<std::pair<Clock::time_point, Clock::time_point>> trusts;  // (when, until)
  ChangeFeedListener listener(io_.get_executor(), opts_, {feed}, [&](Clock::time_point until) {
    trusts.emplace_back(Clock::now(), until);
  });
  listener.start();
  ASSERT_TRUE(run_until([&] { return !trusts.empty() && trusts.back().second > Clock::now(); }, 5s))
      << "the first heartbeat after the resync did not vouch";

  auto sent = run(sender.query("SELECT pg_notify($1, 'change')", params(channel)));
  ASSERT_TRUE(sent) << to_string(sent.error());
  ASSERT_TRUE(run_until([&] { return handling; }, 5s));
  const std::size_t before = trusts.size();
  run_for(io_, 3 * Listener::heartbeat + 100ms);  // heartbeats are answered meanwhile
  EXPECT_EQ(trusts.size(), before) << "the trust was extended while a change was being handled";

  const auto released = Clock::now();
  hold.cancel();
  ASSERT_TRUE(run_until([&] { return handled && trusts.size() > before; }, 2s))
      << "the heartbeats answered during the handler did not vouch once it ended";
  // From a heartbeat of the last ~200 ms, not one from before the notification.
  EXPECT_GT(trusts.back().second,
            released + ChangeFeedListener::trust_window - Listener::heartbeat - 100ms);
  listener.stop();
  run_for(io_, 100ms);
}

}  // namespace
}  // namespace shopfloor::pg
