// ExactDecimal: exact products and sums at any scale, rounded by the one rule;
// cross-checked against __int128 wherever __int128 can hold the value.
#include "pricing/exact_decimal.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>

#include "pricing/money.hpp"

namespace shopfloor::pricing {
namespace {

TEST(PricingExactDecimal, ExactProductsAndSums) {
  // The worked example: 120 brackets need 120 x 1 x 1.02 bases, each 2.35 kg x 1.05.
  ExactDecimal bases = ExactDecimal::from_fixed(120, 0);
  bases.multiply(1'000'000, 6);  // 1 per unit
  bases.multiply(10'200, 4);     // + 2 % scrap
  EXPECT_EQ(bases.to_string(), "122.4");
  ExactDecimal steel = bases;
  steel.multiply(2'350'000, 6);
  steel.multiply(10'500, 4);
  EXPECT_EQ(steel.to_string(), "302.022");
  EXPECT_EQ(steel.scale(), 20u);

  ExactDecimal sum = ExactDecimal::from_fixed(5, 1);  // 0.5
  sum.add(steel);                                     // wider scale on the right
  EXPECT_EQ(sum.to_string(), "302.522");
  ExactDecimal other = ExactDecimal::from_fixed(1, 0);
  other.add(ExactDecimal::from_fixed(25, 2));  // wider scale on the left after add
  other.add(ExactDecimal::from_fixed(3, 0));   // narrower scale on the right
  EXPECT_EQ(other.to_string(), "4.25");
  EXPECT_EQ(ExactDecimal().to_string(), "0");
  EXPECT_TRUE(ExactDecimal::from_fixed(0, 9).is_zero());
  EXPECT_EQ(ExactDecimal::from_fixed(7, 30).to_string(), "0.000000000000000000000000000007");
}

TEST(PricingExactDecimal, RoundsHalfUpOnce) {
  EXPECT_EQ(ExactDecimal::from_fixed(5, 1).round_half_up_div(1), 1);       // 0.5
  EXPECT_EQ(ExactDecimal::from_fixed(49'999, 5).round_half_up_div(1), 0);  // 0.49999
  EXPECT_EQ(ExactDecimal::from_fixed(25, 1).round_half_up_div(1), 3);      // 2.5
  EXPECT_EQ(ExactDecimal::from_fixed(90, 0).round_half_up_div(60), 2);     // 1.5
  EXPECT_EQ(ExactDecimal::from_fixed(89, 0).round_half_up_div(60), 1);
  EXPECT_EQ(ExactDecimal::from_fixed(1'990'000, 0).round_half_up_div(3), 663'333);
  EXPECT_EQ(ExactDecimal().round_half_up_div(60), 0);
  EXPECT_FALSE(ExactDecimal::from_fixed(1, 0).round_half_up_div(0));
  // 0.5 kopeck after 40 fraction digits of intermediate scale.
  ExactDecimal half = ExactDecimal::from_fixed(5, 1);
  for (int i = 0; i < 10; ++i) half.multiply(10'000, 4);
  EXPECT_EQ(half.scale(), 41u);
  EXPECT_EQ(half.round_half_up_div(1), 1);
}

TEST(PricingExactDecimal, GrowsInsteadOfOverflowing) {
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  ExactDecimal v = ExactDecimal::from_fixed(static_cast<std::uint64_t>(kMax), 0);
  EXPECT_EQ(v.round_half_up_div(1), kMax);
  v.add(ExactDecimal::from_fixed(4, 1));  // INT64_MAX + 0.4 still rounds to INT64_MAX
  EXPECT_EQ(v.round_half_up_div(1), kMax);
  v.add(ExactDecimal::from_fixed(1, 1));  // + 0.5 rounds beyond it
  EXPECT_FALSE(v.round_half_up_div(1));

  // Forty multiplications by ~2^64 then as many divisions bring it back exactly.
  ExactDecimal big = ExactDecimal::from_fixed(3, 0);
  for (int i = 0; i < 40; ++i) big.multiply(10'000'000'000'000'000'000u, 19);
  EXPECT_EQ(big.scale(), 760u);
  EXPECT_EQ(big.to_string(), "3");
  big.multiply(std::numeric_limits<std::uint64_t>::max(), 0);
  EXPECT_FALSE(big.round_half_up_div(1));
  EXPECT_EQ(big.to_string(), "55340232221128654845");
}

TEST(PricingExactDecimal, AgreesWithInt128WhereItFits) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20'000; ++i) {
    const std::uint64_t a = rng() >> 34;  // < 2^30
    const std::uint64_t b = rng() >> 34;
    const std::uint64_t c = rng() >> 44;  // < 2^20
    const unsigned sa = static_cast<unsigned>(rng() % 7);
    const unsigned sb = static_cast<unsigned>(rng() % 7);
    const auto divisor = static_cast<std::uint32_t>(1 + rng() % 100);
    // (a / 10^sa) * (b / 10^sb) + c, exactly, then / divisor rounded half-up.
    ExactDecimal x = ExactDecimal::from_fixed(a, sa);
    x.multiply(b, sb);
    x.add(ExactDecimal::from_fixed(c, 0));
    __int128 scale = 1;
    for (unsigned k = 0; k < sa + sb; ++k) scale *= 10;
    const __int128 numerator = static_cast<__int128>(a) * b + static_cast<__int128>(c) * scale;
    ASSERT_EQ(x.round_half_up_div(divisor), round_half_up(numerator, scale * divisor))
        << a << " " << sa << " " << b << " " << sb << " " << c << " / " << divisor;
  }
}

}  // namespace
}  // namespace shopfloor::pricing
