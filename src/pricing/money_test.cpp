// Money, Qty, Minutes, Bp: the contract's text forms, checked arithmetic and the
// one rounding rule.
#include "pricing/money.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>

namespace shopfloor::pricing {
namespace {

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();

std::int64_t kopecks_of(std::string_view text) {
  auto m = Money::parse(text);
  EXPECT_TRUE(m.has_value()) << "'" << text << "' should parse";
  return m ? m->kopecks() : -1;
}

TEST(PricingMoneyParse, AcceptsZeroOneOrTwoFractionDigits) {
  EXPECT_EQ(kopecks_of("812.40"), 81'240);
  EXPECT_EQ(kopecks_of("812.4"), 81'240);
  EXPECT_EQ(kopecks_of("812"), 81'200);
  EXPECT_EQ(kopecks_of("0.05"), 5);
  EXPECT_EQ(kopecks_of("0.5"), 50);
  EXPECT_EQ(kopecks_of("0"), 0);
  EXPECT_EQ(kopecks_of("0.00"), 0);
  EXPECT_EQ(kopecks_of("007.10"), 710);                          // leading zeros carry no ambiguity
  EXPECT_EQ(kopecks_of("999999999999.99"), 99'999'999'999'999);  // numeric(14,2) max
}

TEST(PricingMoneyParse, AcceptsExactlyTheInt64Range) {
  EXPECT_EQ(kopecks_of("92233720368547758.07"), kMax);
  EXPECT_FALSE(Money::parse("92233720368547758.08"));
  EXPECT_FALSE(Money::parse("92233720368547758.1"));
  EXPECT_FALSE(Money::parse("92233720368547759"));
  EXPECT_FALSE(Money::parse("99999999999999999999999999"));
}

TEST(PricingMoneyParse, RejectsEverythingElseAsInvalidMoney) {
  for (std::string_view bad :
       {"",      ".",   "1.",   ".5",    "1.234", "812.400", "-1.00", "+1.00",
        "-0",    "1e3", "1E3",  "1.0e1", " 1.00", "1.00 ",   "1,00",  "1 000.00",
        "1.0.0", "abc", "0x10", "1.-1",  "1._0",  "NaN",     "inf",   "\xd9\xa1"}) {
    auto m = Money::parse(bad);
    ASSERT_FALSE(m.has_value()) << "'" << bad << "' should be rejected";
    EXPECT_EQ(m.error().kind, ProblemKind::bad_input);
    EXPECT_EQ(m.error().code, "invalid_money");
  }
  // An embedded NUL is not a terminator.
  EXPECT_FALSE(Money::parse(std::string_view("1.00\0", 5)));
}

TEST(PricingMoneyFormat, ExactlyTwoFractionDigits) {
  EXPECT_EQ(Money().to_string(), "0.00");
  EXPECT_EQ(Money::from_kopecks(5).to_string(), "0.05");
  EXPECT_EQ(Money::from_kopecks(50).to_string(), "0.50");
  EXPECT_EQ(Money::from_kopecks(81'240).to_string(), "812.40");
  EXPECT_EQ(Money::from_kopecks(100).to_string(), "1.00");
  EXPECT_EQ(Money::from_kopecks(-5).to_string(), "-0.05");
  EXPECT_EQ(Money::from_kopecks(-123'456).to_string(), "-1234.56");
  EXPECT_EQ(Money::from_kopecks(kMax).to_string(), "92233720368547758.07");
  EXPECT_EQ(Money::from_kopecks(kMin).to_string(), "-92233720368547758.08");
}

TEST(PricingMoneyFormat, RoundTripsThroughParse) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 10'000; ++i) {
    const auto k = static_cast<std::int64_t>(rng() >> (1 + rng() % 63));
    const Money m = Money::from_kopecks(k);
    auto back = Money::parse(m.to_string());
    ASSERT_TRUE(back) << m.to_string();
    ASSERT_EQ(*back, m);
  }
}

TEST(PricingMoneyArithmetic, CheckedNotWrapped) {
  const Money a = Money::from_kopecks(150);
  EXPECT_EQ(a.checked_add(Money::from_kopecks(250))->kopecks(), 400);
  EXPECT_EQ(a.checked_sub(Money::from_kopecks(250))->kopecks(), -100);
  EXPECT_EQ(a.checked_mul(1'000'000)->kopecks(), 150'000'000);

  auto add = Money::from_kopecks(kMax).checked_add(Money::from_kopecks(1));
  ASSERT_FALSE(add);
  EXPECT_EQ(add.error().code, "amount_out_of_range");
  EXPECT_EQ(add.error().kind, ProblemKind::bad_input);
  EXPECT_FALSE(Money::from_kopecks(kMin).checked_sub(Money::from_kopecks(1)));
  EXPECT_FALSE(Money::from_kopecks(kMax / 1'000'000 + 1).checked_mul(1'000'000));
  EXPECT_TRUE(Money::from_kopecks(kMax / 1'000'000).checked_mul(1'000'000));
  EXPECT_FALSE(Money::from_kopecks(kMin).checked_mul(-1));
  EXPECT_EQ(Money::from_kopecks(kMax).checked_add(Money())->kopecks(), kMax);
}

TEST(PricingFixedPoint, QtyMillionths) {
  EXPECT_EQ(Qty::parse("0.125")->micros, 125'000);
  EXPECT_EQ(Qty::parse("2")->micros, 2'000'000);
  EXPECT_EQ(Qty::parse("0.000001")->micros, 1);
  EXPECT_EQ(Qty::parse("2.350000")->micros, 2'350'000);
  EXPECT_EQ(Qty::parse("999999999999.999999")->micros, 999'999'999'999'999'999);  // numeric(18,6)
  for (std::string_view bad : {"0.0000001", "-1", "", "1e-3", "1.", ".1"}) {
    auto q = Qty::parse(bad);
    ASSERT_FALSE(q) << bad;
    EXPECT_EQ(q.error().code, "invalid_quantity");
  }
  EXPECT_EQ(Qty{125'000}.to_string(), "0.125");
  EXPECT_EQ(Qty{3'000'000}.to_string(), "3");
  EXPECT_EQ(Qty{1}.to_string(), "0.000001");
  EXPECT_EQ(Qty{0}.to_string(), "0");
}

TEST(PricingFixedPoint, MinutesMillionths) {
  EXPECT_EQ(Minutes::parse("0.75")->micros, 750'000);
  EXPECT_EQ(Minutes::parse("45")->micros, 45'000'000);
  EXPECT_EQ(Minutes::parse("1.2500")->micros, 1'250'000);  // numeric(12,4) text
  EXPECT_EQ(Minutes::parse("x").error().code, "invalid_minutes");
  EXPECT_EQ(Minutes{1'500'000}.to_string(), "1.5");
}

TEST(PricingFixedPoint, BasisPointsFromPercent) {
  EXPECT_EQ(Bp::parse_percent("2.5")->bp, 250);
  EXPECT_EQ(Bp::parse_percent("2.50")->bp, 250);
  EXPECT_EQ(Bp::parse_percent("18")->bp, 1'800);
  EXPECT_EQ(Bp::parse_percent("100")->bp, 10'000);
  EXPECT_EQ(Bp::parse_percent("0.01")->bp, 1);
  EXPECT_EQ(Bp::parse_percent("2.555").error().code, "invalid_percentage");
  EXPECT_FALSE(Bp::parse_percent("-5"));
  EXPECT_EQ(Bp{250}.to_percent_string(), "2.5");
  EXPECT_EQ(Bp{1'800}.to_percent_string(), "18");
  EXPECT_EQ(Bp{1}.to_percent_string(), "0.01");
}

TEST(PricingRoundHalfUp, HalvesGoUp) {
  // 12.345 RUB = 1234.5 kopecks -> 12.35 RUB; just below and above.
  EXPECT_EQ(round_half_up(12'345, 10), 1'235);
  EXPECT_EQ(round_half_up(12'344, 10), 1'234);
  EXPECT_EQ(round_half_up(12'346, 10), 1'235);
  EXPECT_EQ(round_half_up(1'234'499'999, 1'000'000), 1'234);
  EXPECT_EQ(round_half_up(1'234'500'000, 1'000'000), 1'235);
  EXPECT_EQ(round_half_up(5, 10), 1);   // 0.005 RUB -> 0.01
  EXPECT_EQ(round_half_up(4, 10), 0);   // 0.004 RUB -> 0.00
  EXPECT_EQ(round_half_up(25, 10), 3);  // not banker's rounding: 2.5 -> 3
  EXPECT_EQ(round_half_up(15, 10), 2);
  EXPECT_EQ(round_half_up(0, 7), 0);
  EXPECT_EQ(round_half_up(7, 1), 7);
}

TEST(PricingRoundHalfUp, OddDenominatorsAreExact) {
  EXPECT_EQ(round_half_up(1, 3), 0);                // 0.333
  EXPECT_EQ(round_half_up(2, 3), 1);                // 0.667
  EXPECT_EQ(round_half_up(3, 2), 2);                // 1.5
  EXPECT_EQ(round_half_up(1'990'000, 3), 663'333);  // 663'333.33
  EXPECT_EQ(round_half_up(89, 60), 1);
  EXPECT_EQ(round_half_up(90, 60), 2);  // exactly 1.5
}

TEST(PricingRoundHalfUp, DomainAndOverflow) {
  EXPECT_FALSE(round_half_up(-1, 10));
  EXPECT_FALSE(round_half_up(1, 0));
  EXPECT_FALSE(round_half_up(1, -10));
  const __int128 max = kMax;
  EXPECT_EQ(round_half_up(max, 1), kMax);
  EXPECT_EQ(round_half_up(max * 10 + 4, 10), kMax);
  EXPECT_FALSE(round_half_up(max * 10 + 5, 10));
  EXPECT_FALSE(round_half_up(max + 1, 1));
  // Huge denominators near the __int128 limit: no overflow inside the rule.
  const __int128 big = (static_cast<__int128>(1) << 126);
  EXPECT_EQ(round_half_up(big / 2, big), 1);
  EXPECT_EQ(round_half_up(big / 2 - 1, big), 0);
}

}  // namespace
}  // namespace shopfloor::pricing
