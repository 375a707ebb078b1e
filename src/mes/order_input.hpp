// Write requests of the MES API, validated completely before anything touches the
// database (a bad request never changes data), and order numbers. Pure; thread-safe.
//
//   POST /orders {"customer","product_sku","quantity","work_center","due_date",
//                 "priority"?}
//     customer, product_sku, work_center: strings of 1-200 bytes, no control characters,
//     not blank; quantity: integer 1..1,000,000; due_date: "YYYY-MM-DD", a real calendar
//     date in 2000..2099; priority: integer 1..5, default 3. Unknown fields are bad input.
//   POST /orders/{number}/status {"status","comment"?,"from"?}
//     status: a status name; comment: string of at most 1000 bytes; from (extension):
//     the status the caller believes the order has — if it has another one the change
//     is refused with 409 status_changed (optimistic concurrency for operators).
//
// Errors are Problem::bad_input with codes: unknown_field, missing_field, wrong_type,
// invalid_value (message names the field).
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/problem.hpp"
#include "mes/status.hpp"

namespace shopfloor::mes {

// "ORD-0000042" for 42: "ORD-" and at least 7 digits (sql/0004_mes.sql, mes_order_number).
std::string format_order_number(long long id);
// The id of a well-formed number in its canonical spelling, else nullopt (→ 404).
std::optional<long long> parse_order_number(std::string_view number);

struct NewOrder {
  std::string customer;
  std::string product_sku;
  int quantity = 0;
  std::string work_center;
  std::string due_date;  // YYYY-MM-DD, validated
  int priority = 3;
};
Result<NewOrder> parse_new_order(const boost::json::object& body);

struct StatusChange {
  Status to = Status::new_;
  std::optional<Status> from;
  std::optional<std::string> comment;
};
Result<StatusChange> parse_status_change(const boost::json::object& body);

// "YYYY-MM-DD" naming a real date with a year in [2000, 2099].
bool valid_due_date(std::string_view s);

}  // namespace shopfloor::mes
