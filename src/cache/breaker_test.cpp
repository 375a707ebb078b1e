#include "cache/breaker.hpp"

#include <gtest/gtest.h>

namespace shopfloor::cache {
namespace {

using std::chrono::milliseconds;

TEST(Breaker, OpensAfterConsecutiveFailuresAndProbesOncePerInterval) {
  Breaker b({.failure_threshold = 3, .open_for = milliseconds(100)});
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

}  // namespace
}  // namespace shopfloor::cache
