// OrderEvents: frames carry numbers and statuses only; Last-Event-ID replays what was
// missed, or says reset when it cannot.
#include "mes/order_events.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

namespace shopfloor::mes {
namespace {

namespace asio = boost::asio;

std::string drain(asio::io_context& ioc, const std::shared_ptr<http::EventStream>& s) {
  s->close();
  auto f = asio::co_spawn(
      ioc,
      [s]() -> asio::awaitable<std::string> {
        std::string all;
        while (auto chunk = co_await s->next()) all += *chunk;
        co_return all;
      },
      asio::use_future);
  ioc.restart();
  ioc.run();
  return f.get();
}

ChangeSet change(long long id) {
  ChangeSet c;
  c.order_ids = {id, id};
  c.statuses = {Status::approved, Status::new_};
  c.customers = {"<b>Secret customer</b>"};
  c.work_centers = {"CNC-1"};
  return c;
}

TEST(OrderEvents, DataHasOrderNumbersAndStatusesOnly) {
  const std::string d = OrderEvents::event_data(change(42));
  EXPECT_EQ(d, R"({"orders":["ORD-0000042"],"statuses":["approved","new"]})");
  ChangeSet all;
  all.all = true;
  EXPECT_EQ(OrderEvents::event_data(all), R"({"all":true})");
}

TEST(OrderEvents, FreshSubscriberGetsReadyThenLiveEvents) {
  asio::io_context ioc;
  OrderEvents hub;
  auto s = std::make_shared<http::EventStream>(ioc.get_executor());
  hub.subscribe(s, std::nullopt);
  EXPECT_EQ(hub.subscribers(), 1u);
  hub.publish(change(7));
  const std::string out = drain(ioc, s);
  EXPECT_NE(out.find("event: ready\n"), std::string::npos);
  EXPECT_NE(out.find("event: orders\ndata: {\"orders\":[\"ORD-0000007\"]"), std::string::npos);
  EXPECT_EQ(out.find("Secret"), std::string::npos);
}

TEST(OrderEvents, LastEventIdReplaysWhatWasMissed) {
  asio::io_context ioc;
  OrderEvents hub;
  hub.publish(change(1));
  const std::string seen = hub.last_id();
  hub.publish(change(2));
  hub.publish(change(3));
  auto s = std::make_shared<http::EventStream>(ioc.get_executor());
  hub.subscribe(s, seen);
  const std::string out = drain(ioc, s);
  EXPECT_EQ(out.find("ORD-0000001"), std::string::npos);
  EXPECT_NE(out.find("ORD-0000002"), std::string::npos);
  EXPECT_NE(out.find("ORD-0000003"), std::string::npos);
  EXPECT_EQ(out.find("event: reset"), std::string::npos);
}

TEST(OrderEvents, UnknownOrTooOldIdAsksForAReset) {
  asio::io_context ioc;
  OrderEvents hub;
  hub.publish(change(1));
  const std::string old = hub.last_id();
  for (std::size_t i = 0; i < OrderEvents::kReplay + 5; ++i) hub.publish(change(2));
  for (std::string id : {std::string("123-4"), std::string("garbage"), old}) {
    auto s = std::make_shared<http::EventStream>(
        ioc.get_executor(), http::EventStreamOptions{.max_queued_bytes = 1 << 20});
    hub.subscribe(s, id);
    const std::string out = drain(ioc, s);
    EXPECT_NE(out.find("event: reset"), std::string::npos) << id;
    EXPECT_EQ(out.find("ORD-0000002"), std::string::npos) << id;
  }
}

TEST(OrderEvents, OverflowingSubscriberIsForgotten) {
  asio::io_context ioc;
  OrderEvents hub;
  auto s = std::make_shared<http::EventStream>(ioc.get_executor(),
                                               http::EventStreamOptions{.max_queued_bytes = 400});
  hub.subscribe(s, std::nullopt);
  for (int i = 0; i < 20; ++i) hub.publish(change(i + 1));
  EXPECT_EQ(s->reason(), http::EventStream::Reason::overflow);
  EXPECT_EQ(hub.subscribers(), 0u);
}

}  // namespace
}  // namespace shopfloor::mes
