// PUT /materials/{code} and /tariffs/{work_center} bodies, on values alone.
#include "pricing/price_update.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace shopfloor::pricing {
namespace {

const PriceField kPrice{"price", Money::from_kopecks(1)};
const PriceField kRate{"hourly_rate", Money()};

Result<Money> parse(std::string_view text, PriceField field = kPrice) {
  return parse_price_update(boost::json::parse(text).as_object(), field);
}

std::string error_code(std::string_view text, PriceField field = kPrice) {
  auto r = parse(text, field);
  EXPECT_FALSE(r) << text;
  if (r) return "(parsed)";
  EXPECT_EQ(r.error().kind, ProblemKind::bad_input);
  return r.error().code;
}

TEST(PriceUpdate, AcceptsTheContractsMoneyForms) {
  EXPECT_EQ(parse(R"({"price":"812.40"})")->kopecks(), 81'240);
  EXPECT_EQ(parse(R"({"price":"812.4"})")->kopecks(), 81'240);
  EXPECT_EQ(parse(R"({"price":"812"})")->kopecks(), 81'200);
  EXPECT_EQ(parse(R"({"hourly_rate":"4200.00"})", kRate)->kopecks(), 420'000);
  EXPECT_EQ(parse(R"({"hourly_rate":"0"})", kRate)->kopecks(), 0);  // not priced yet
  EXPECT_EQ(parse(R"({"price":"999999999999.99"})")->kopecks(), kMaxStoredMoney.kopecks());
}

TEST(PriceUpdate, RefusesEverythingElse) {
  EXPECT_EQ(error_code(R"({"price":812.40})"), "invalid_money");  // a binary float
  EXPECT_EQ(error_code(R"({"price":812})"), "invalid_money");
  EXPECT_EQ(error_code(R"({"price":"-1.00"})"), "invalid_money");
  EXPECT_EQ(error_code(R"({"price":"1.005"})"), "invalid_money");
  EXPECT_EQ(error_code(R"({"price":"1e3"})"), "invalid_money");
  EXPECT_EQ(error_code(R"({"price":" 1.00"})"), "invalid_money");
  EXPECT_EQ(error_code(R"({"price":""})"), "invalid_money");
  EXPECT_EQ(error_code(R"({"price":"0.00"})"), "invalid_money");  // materials: price > 0
  EXPECT_EQ(error_code(R"({"price":"1000000000000.00"})"), "amount_out_of_range");
  EXPECT_EQ(error_code(R"({"price":"99999999999999999999"})"), "invalid_money");
  EXPECT_EQ(error_code(R"({})"), "missing_field");
  EXPECT_EQ(error_code(R"({"price":"1.00","name":"x"})"), "unknown_field");
  EXPECT_EQ(error_code(R"({"hourly_rate":"1.00"})"), "unknown_field");  // the wrong resource
}

}  // namespace
}  // namespace shopfloor::pricing
