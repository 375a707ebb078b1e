#include "mes/order_input.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace shopfloor::mes {
namespace {

boost::json::object obj(std::string_view text) {
  return boost::json::parse(text).as_object();
}

std::string new_order_error(std::string_view text) {
  auto r = parse_new_order(obj(text));
  return r ? "ok" : r.error().code;
}

constexpr const char* kValid = R"({"customer":"Uralmash","product_sku":"BRK-200","quantity":120,)"
                               R"("work_center":"CNC-1","due_date":"2026-12-01"})";

TEST(OrderNumber, CanonicalSpellingOnly) {
  EXPECT_EQ(format_order_number(42), "ORD-0000042");
  EXPECT_EQ(format_order_number(12345678), "ORD-12345678");
  EXPECT_EQ(parse_order_number("ORD-0000042"), 42);
  EXPECT_EQ(parse_order_number("ORD-12345678"), 12345678);
  EXPECT_FALSE(parse_order_number("ORD-42"));
  EXPECT_FALSE(parse_order_number("ORD-00000042"));
  EXPECT_FALSE(parse_order_number("ORD-0000000"));
  EXPECT_FALSE(parse_order_number("ord-0000042"));
  EXPECT_FALSE(parse_order_number("ORD-00000x2"));
  EXPECT_FALSE(parse_order_number("ORD-99999999999999999999"));
  EXPECT_FALSE(parse_order_number(""));
}

TEST(NewOrder, ValidWithDefaults) {
  auto o = parse_new_order(obj(kValid));
  ASSERT_TRUE(o);
  EXPECT_EQ(o->customer, "Uralmash");
  EXPECT_EQ(o->quantity, 120);
  EXPECT_EQ(o->priority, 3);
  EXPECT_EQ(o->due_date, "2026-12-01");
}

TEST(NewOrder, RejectsBadFields) {
  EXPECT_EQ(new_order_error(
                R"({"product_sku":"B","quantity":1,"work_center":"W","due_date":"2026-12-01"})"),
            "missing_field");
  EXPECT_EQ(new_order_error(R"({"customer":1,"product_sku":"B","quantity":1,)"
                            R"("work_center":"W","due_date":"2026-12-01"})"),
            "wrong_type");
  EXPECT_EQ(new_order_error(R"({"customer":"A","product_sku":"B","quantity":"1",)"
                            R"("work_center":"W","due_date":"2026-12-01"})"),
            "wrong_type");
  EXPECT_EQ(new_order_error(R"({"customer":"A","product_sku":"B","quantity":1.5,)"
                            R"("work_center":"W","due_date":"2026-12-01"})"),
            "wrong_type");
  EXPECT_EQ(new_order_error(R"({"customer":"A","product_sku":"B","quantity":0,)"
                            R"("work_center":"W","due_date":"2026-12-01"})"),
            "invalid_value");
  EXPECT_EQ(new_order_error(R"({"customer":"A","product_sku":"B","quantity":1000001,)"
                            R"("work_center":"W","due_date":"2026-12-01"})"),
            "invalid_value");
  EXPECT_EQ(new_order_error(R"({"customer":"A","product_sku":"B","quantity":18446744073709551615,)"
                            R"("work_center":"W","due_date":"2026-12-01"})"),
            "invalid_value");
  EXPECT_EQ(new_order_error(R"({"customer":"A","product_sku":"B","quantity":1,)"
                            R"("work_center":"W","due_date":"2026-02-30"})"),
            "invalid_value");
  EXPECT_EQ(new_order_error(R"({"customer":"A","product_sku":"B","quantity":1,)"
                            R"("work_center":"W","due_date":"26-12-01"})"),
            "invalid_value");
  EXPECT_EQ(new_order_error(R"({"customer":"A","product_sku":"B","quantity":1,"work_center":"W",)"
                            R"("due_date":"2026-12-01","priority":6})"),
            "invalid_value");
  EXPECT_EQ(new_order_error(R"({"customer":"A","product_sku":"B","quantity":1,"work_center":"W",)"
                            R"("due_date":"2026-12-01","priority":true})"),
            "wrong_type");
  EXPECT_EQ(new_order_error(R"({"customer":"   ","product_sku":"B","quantity":1,)"
                            R"("work_center":"W","due_date":"2026-12-01"})"),
            "invalid_value");
  EXPECT_EQ(new_order_error(R"({"customer":"A\u0000","product_sku":"B","quantity":1,)"
                            R"("work_center":"W","due_date":"2026-12-01"})"),
            "invalid_value");
  EXPECT_EQ(new_order_error(R"({"customer":"A","product_sku":"B","quantity":1,"work_center":"W",)"
                            R"("due_date":"2026-12-01","status":"shipped"})"),
            "unknown_field");
  EXPECT_EQ(new_order_error(kValid), "ok");
}

TEST(NewOrder, DueDates) {
  EXPECT_TRUE(valid_due_date("2028-02-29"));
  EXPECT_FALSE(valid_due_date("2027-02-29"));
  EXPECT_FALSE(valid_due_date("2026-13-01"));
  EXPECT_FALSE(valid_due_date("2026-00-10"));
  EXPECT_FALSE(valid_due_date("1999-12-31"));
  EXPECT_FALSE(valid_due_date("2026-1-01"));
  EXPECT_FALSE(valid_due_date("2026/12/01"));
}

TEST(StatusChangeInput, Parses) {
  auto c = parse_status_change(obj(R"({"status":"approved","comment":"ok","from":"new"})"));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->to, Status::approved);
  EXPECT_EQ(c->from, Status::new_);
  EXPECT_EQ(c->comment, "ok");
  auto plain = parse_status_change(obj(R"({"status":"cancelled"})"));
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->comment);
  EXPECT_FALSE(plain->from);

  auto code = [](std::string_view t) {
    auto r = parse_status_change(obj(t));
    return r ? "ok" : r.error().code;
  };
  EXPECT_EQ(code(R"({})"), "missing_field");
  EXPECT_EQ(code(R"({"status":"done"})"), "invalid_status");
  EXPECT_EQ(code(R"({"status":1})"), "wrong_type");
  EXPECT_EQ(code(R"({"status":"new","comment":5})"), "wrong_type");
  EXPECT_EQ(code(R"({"status":"new","extra":5})"), "unknown_field");
  EXPECT_EQ(code(R"({"status":"new","comment":")" + std::string(1001, 'x') + "\"}"),
            "invalid_value");
}

}  // namespace
}  // namespace shopfloor::mes
