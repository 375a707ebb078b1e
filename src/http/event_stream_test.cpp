// EventStream: bounded queue, overflow drops the consumer, next() wakes on send and
// yields heartbeats; all on a real io_context, no network.
#include "http/event_stream.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <thread>

namespace shopfloor::http {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

TEST(EventStream, QueuedFramesComeOutTogetherThenClosedEndsIt) {
  asio::io_context ioc;
  auto s = std::make_shared<EventStream>(ioc.get_executor());
  EXPECT_TRUE(s->send("a\n\n"));
  EXPECT_TRUE(s->send("b\n\n"));
  s->close();
  EXPECT_FALSE(s->send("c\n\n"));
  auto f = asio::co_spawn(
      ioc,
      [s]() -> asio::awaitable<std::vector<std::string>> {
        std::vector<std::string> out;
        while (auto chunk = co_await s->next()) out.push_back(*chunk);
        co_return out;
      },
      asio::use_future);
  ioc.run();
  EXPECT_EQ(f.get(), std::vector<std::string>{"a\n\nb\n\n"});
  EXPECT_EQ(s->reason(), EventStream::Reason::closed);
}

TEST(EventStream, OverflowDropsTheSlowConsumer) {
  asio::io_context ioc;
  auto s = std::make_shared<EventStream>(ioc.get_executor(),
                                         EventStreamOptions{.max_queued_bytes = 100});
  for (int i = 0; i < 9; ++i) EXPECT_TRUE(s->send(std::string(10, 'x')));
  EXPECT_EQ(s->queued_bytes(), 90u);
  EXPECT_FALSE(s->send(std::string(20, 'y')));
  EXPECT_EQ(s->reason(), EventStream::Reason::overflow);
  EXPECT_EQ(s->queued_bytes(), 0u);  // memory released at once
  auto f = asio::co_spawn(ioc, s->next(), asio::use_future);
  ioc.run();
  EXPECT_FALSE(f.get().has_value());
}

TEST(EventStream, NextWakesOnASendFromAnotherThread) {
  asio::io_context ioc;
  auto s = std::make_shared<EventStream>(ioc.get_executor(),
                                         EventStreamOptions{.heartbeat_interval = 10s});
  auto f = asio::co_spawn(ioc, s->next(), asio::use_future);
  std::thread producer([s] {
    std::this_thread::sleep_for(50ms);
    s->send("id: 1\n\n");
  });
  const auto began = std::chrono::steady_clock::now();
  ioc.run();
  producer.join();
  EXPECT_EQ(f.get().value(), "id: 1\n\n");
  EXPECT_LT(std::chrono::steady_clock::now() - began, 5s);
}

TEST(EventStream, SilenceGivesAHeartbeatComment) {
  asio::io_context ioc;
  auto s = std::make_shared<EventStream>(ioc.get_executor(),
                                         EventStreamOptions{.heartbeat_interval = 20ms});
  auto f = asio::co_spawn(ioc, s->next(), asio::use_future);
  ioc.run();
  const std::string beat = f.get().value();
  EXPECT_EQ(beat.front(), ':');
  EXPECT_EQ(beat.substr(beat.size() - 2), "\n\n");
}

}  // namespace
}  // namespace shopfloor::http
