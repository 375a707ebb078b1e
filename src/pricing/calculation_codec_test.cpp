// The POST /calculations body rules and the answer's shape, on values alone.
#include "pricing/calculation_codec.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace shopfloor::pricing {
namespace {

namespace json = boost::json;

Result<CalculationRequest> parse(std::string_view text) {
  return parse_calculation_request(json::parse(text).as_object());
}

std::string error_code(std::string_view text) {
  auto r = parse(text);
  EXPECT_FALSE(r) << text;
  if (r) return "(parsed)";
  EXPECT_EQ(r.error().kind, ProblemKind::bad_input) << text;
  return r.error().code;
}

TEST(CalculationCodec, ParsesTheContractsRequest) {
  auto r = parse(R"({"product_sku":"BRK-200","quantity":120})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->product_sku, "BRK-200");
  EXPECT_EQ(r->quantity, 120);
  EXPECT_TRUE(r->material_overrides.empty());

  r = parse(
      R"({"material_overrides":{"PNT-RAL7035":"PNT-RAL9005"},"quantity":1,"product_sku":"X"})");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->material_overrides.size(), 1u);
  EXPECT_EQ(r->material_overrides.at("PNT-RAL7035"), "PNT-RAL9005");
}

TEST(CalculationCodec, EquivalentBodiesGiveTheSameCacheKey) {
  const char* bodies[] = {
      R"({"product_sku":"BRK-200","quantity":120})",
      R"({ "quantity" : 120 ,
           "product_sku" : "BRK-200" })",
      R"({"product_sku":"BRK-200","quantity":120,"material_overrides":{}})",
  };
  const std::string key = canonical_request_key(*parse(bodies[0]));
  for (const char* b : bodies) EXPECT_EQ(canonical_request_key(*parse(b)), key) << b;

  const std::string a = canonical_request_key(
      *parse(R"({"product_sku":"P","quantity":2,"material_overrides":{"A":"B","C":"D"}})"));
  const std::string b = canonical_request_key(
      *parse(R"({"material_overrides":{"C":"D","A":"B"},"quantity":2,"product_sku":"P"})"));
  EXPECT_EQ(a, b);
  EXPECT_NE(a, key);
}

TEST(CalculationCodec, QuantityMustBeAnIntegerInRange) {
  EXPECT_EQ(error_code(R"({"product_sku":"X","quantity":0})"), "quantity_out_of_range");
  EXPECT_EQ(error_code(R"({"product_sku":"X","quantity":-5})"), "quantity_out_of_range");
  EXPECT_EQ(error_code(R"({"product_sku":"X","quantity":1000001})"), "quantity_out_of_range");
  EXPECT_EQ(error_code(R"({"product_sku":"X","quantity":18446744073709551615})"),
            "quantity_out_of_range");
  EXPECT_EQ(error_code(R"({"product_sku":"X","quantity":1.5})"), "invalid_quantity");
  EXPECT_EQ(error_code(R"({"product_sku":"X","quantity":120.0})"), "invalid_quantity");
  EXPECT_EQ(error_code(R"({"product_sku":"X","quantity":"120"})"), "invalid_quantity");
  EXPECT_EQ(error_code(R"({"product_sku":"X","quantity":null})"), "invalid_quantity");
  EXPECT_TRUE(parse(R"({"product_sku":"X","quantity":1})"));
  EXPECT_TRUE(parse(R"({"product_sku":"X","quantity":1000000})"));
}

TEST(CalculationCodec, RefusesMalformedBodies) {
  EXPECT_EQ(error_code(R"({"quantity":1})"), "missing_field");
  EXPECT_EQ(error_code(R"({"product_sku":"X"})"), "missing_field");
  EXPECT_EQ(error_code(R"({"product_sku":"","quantity":1})"), "invalid_product_sku");
  EXPECT_EQ(error_code(R"({"product_sku":42,"quantity":1})"), "invalid_product_sku");
  EXPECT_EQ(
      error_code(R"({"product_sku":")" + std::string(kMaxSkuBytes + 1, 'A') + R"(","quantity":1})"),
      "invalid_product_sku");
  EXPECT_EQ(error_code(R"({"product_sku":"X","quantity":1,"qty":2})"), "unknown_field");
  EXPECT_EQ(error_code(R"({"product_sku":"X","quantity":1,"material_overrides":[]})"),
            "invalid_material_overrides");
  EXPECT_EQ(error_code(R"({"product_sku":"X","quantity":1,"material_overrides":null})"),
            "invalid_material_overrides");
  EXPECT_EQ(error_code(R"({"product_sku":"X","quantity":1,"material_overrides":{"A":1}})"),
            "invalid_material_overrides");
  // The unknown member's name is quoted through JSON: no raw control characters.
  auto r = parse(R"({"product_sku":"X","quantity":1,"a\nb":1})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message.find('\n'), std::string::npos);
}

TEST(CalculationCodec, RendersTheContractsAnswer) {
  Calculation c;
  c.product_sku = "BRK-200";
  c.quantity = 120;
  c.unit_cost = Money::from_kopecks(136'173);
  c.total_cost = Money::from_kopecks(16'340'731);
  c.breakdown = {Money::from_kopecks(4'609'706), Money::from_kopecks(6'388'500),
                 Money::from_kopecks(663'333),   Money::from_kopecks(2'099'077),
                 Money::from_kopecks(3'440'154), Money::from_kopecks(860'039)};
  c.price_list_version = 42;
  const std::string body = render_calculation(c, {"BRK-200", 120, {}}, "2026-11-24T09:30:00Z");
  EXPECT_EQ(body,
            R"({"product_sku":"BRK-200","quantity":120,"currency":"RUB","unit_cost":"1361.73",)"
            R"("total_cost":"163407.31","breakdown":{"materials":"46097.06","machine":"63885.00",)"
            R"("setup":"6633.33","overhead":"20990.77","margin":"34401.54","discount":"8600.39"},)"
            R"("price_list_version":42,"calculated_at":"2026-11-24T09:30:00Z"})");

  const std::string with = render_calculation(c, {"BRK-200", 120, {{"A", "B"}}}, "t");
  EXPECT_NE(with.find(R"("material_overrides":{"A":"B"})"), std::string::npos);
}

TEST(CalculationCodec, Rfc3339InUtc) {
  using namespace std::chrono;
  const sys_seconds t = sys_days{year{2026} / 11 / 24} + hours{9} + minutes{30} + seconds{5};
  EXPECT_EQ(rfc3339_utc(t), "2026-11-24T09:30:05Z");
  EXPECT_EQ(rfc3339_utc(system_clock::time_point(t) + milliseconds(999)), "2026-11-24T09:30:05Z");
}

}  // namespace
}  // namespace shopfloor::pricing
