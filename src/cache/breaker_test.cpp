#include "cache/breaker.hpp"

#include <gtest/gtest.h>

namespace shopfloor::cache {
namespace {

using std::chrono::milliseconds;

TEST(Breaker, OpensAfterConsecutiveFailuresAndProbesOncePerInterval) {
  Breaker b(
      {.failure_threshold = 3, .open_for = milliseconds(100), .failing_for = milliseconds(0)});
  TimePoint t{};
  b.on_failure(t);
  b.on_failure(t);
  b.on_success();  // resets the run of failures
  b.on_failure(t);
  b.on_failure(t);
  EXPECT_TRUE(b.allow(t));
  b.on_failure(t);
  EXPECT_EQ(b.state(), Breaker::State::open);
  EXPECT_FALSE(b.allow(t + milliseconds(99)));
  EXPECT_TRUE(b.allow(t + milliseconds(100)));   // the probe
  EXPECT_FALSE(b.allow(t + milliseconds(101)));  // only one per interval
  b.on_failure(t + milliseconds(101));           // probe failed: wait a whole interval again
  EXPECT_FALSE(b.allow(t + milliseconds(200)));
  EXPECT_TRUE(b.allow(t + milliseconds(201)));
  b.on_success();
  EXPECT_EQ(b.state(), Breaker::State::closed);
  EXPECT_TRUE(b.allow(t + milliseconds(201)));
}

// A burst of failures (every command in flight timing out after one stall of this
// process) does not open it; failures that go on for `failing_for` do.
TEST(Breaker, OpensOnlyWhenTheFailuresLastFailingFor) {
  Breaker b(
      {.failure_threshold = 3, .open_for = milliseconds(500), .failing_for = milliseconds(100)});
  TimePoint t{};
  for (int i = 0; i < 20; ++i) b.on_failure(t + milliseconds(i % 3));
  EXPECT_EQ(b.state(), Breaker::State::closed) << "a 2 ms burst of 20 failures";
  b.on_success();
  b.on_failure(t + milliseconds(200));
  b.on_failure(t + milliseconds(260));
  EXPECT_EQ(b.state(), Breaker::State::closed) << "the success started a new run at 200 ms";
  b.on_failure(t + milliseconds(299));
  EXPECT_EQ(b.state(), Breaker::State::closed) << "3 failures over 99 ms";
  b.on_failure(t + milliseconds(300));
  EXPECT_EQ(b.state(), Breaker::State::open) << "4 failures over 100 ms";
  EXPECT_FALSE(b.allow(t + milliseconds(799)));
  EXPECT_TRUE(b.allow(t + milliseconds(800)));
}

}  // namespace
}  // namespace shopfloor::cache
