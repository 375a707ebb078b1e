#include "mes/status.hpp"

#include <gtest/gtest.h>

namespace shopfloor::mes {
namespace {

TEST(Status, NamesRoundTrip) {
  for (Status s : kAllStatuses) EXPECT_EQ(parse_status(to_string(s)), s);
  EXPECT_FALSE(parse_status("New"));
  EXPECT_FALSE(parse_status(""));
  EXPECT_FALSE(parse_status("in production"));
}

TEST(Status, TransitionTableIsExactlyTheContracts) {
  using S = Status;
  const std::vector<std::pair<S, S>> allowed = {{S::new_, S::approved},
                                                {S::new_, S::cancelled},
                                                {S::approved, S::in_production},
                                                {S::approved, S::cancelled},
                                                {S::in_production, S::quality_check},
                                                {S::in_production, S::cancelled},
                                                {S::quality_check, S::ready},
                                                {S::quality_check, S::in_production},
                                                {S::ready, S::shipped}};
  int count = 0;
  for (S from : kAllStatuses) {
    for (S to : kAllStatuses) {
      const bool expected =
          std::find(allowed.begin(), allowed.end(), std::make_pair(from, to)) != allowed.end();
      EXPECT_EQ(status_transition_allowed(from, to), expected)
          << to_string(from) << " -> " << to_string(to);
      count += expected;
    }
  }
  EXPECT_EQ(count, 9);
  EXPECT_TRUE(is_final(S::shipped));
  EXPECT_TRUE(is_final(S::cancelled));
  EXPECT_FALSE(is_final(S::ready));
}

}  // namespace
}  // namespace shopfloor::mes
