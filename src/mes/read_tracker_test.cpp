#include "mes/read_tracker.hpp"

#include <gtest/gtest.h>

#include <optional>

namespace shopfloor::mes {
namespace {

TEST(ReadTracker, OnlyReadsOverlappingAnOlderReadOfTheSameKeyAreAtRisk) {
  ReadTracker t;
  auto a = t.begin("k", 5);
  EXPECT_FALSE(a.may_join_older());
  auto same_epoch = t.begin("k", 5);
  EXPECT_FALSE(same_epoch.may_join_older());
  auto other_key = t.begin("j", 6);
  EXPECT_FALSE(other_key.may_join_older());
  auto later = t.begin("k", 6);  // a retirement happened since `a` started
  EXPECT_TRUE(later.may_join_older());
  EXPECT_EQ(t.active_keys(), 2u);
}

TEST(ReadTracker, FinishedReadsNoLongerCount) {
  ReadTracker t;
  {
    auto a = t.begin("k", 1);
    auto b = t.begin("k", 1);
  }
  EXPECT_EQ(t.active_keys(), 0u);
  std::optional<ReadTracker::Ticket> old(t.begin("k", 1));
  auto mid = t.begin("k", 2);
  EXPECT_TRUE(mid.may_join_older());
  old.reset();
  auto fresh = t.begin("k", 3);
  EXPECT_TRUE(fresh.may_join_older());  // `mid` (epoch 2) is still in progress
  auto same = t.begin("k", 2);
  EXPECT_FALSE(same.may_join_older());
}

TEST(ReadTracker, EpochIsProcessWide) {
  const auto before = retirement_epoch().load();
  retirement_epoch().fetch_add(1);
  EXPECT_EQ(retirement_epoch().load(), before + 1);
}

}  // namespace
}  // namespace shopfloor::mes
