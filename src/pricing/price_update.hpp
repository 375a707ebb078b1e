// Reading the body of a reference-data write: PUT /materials/{code} {"price":"812.40"}
// and PUT /tariffs/{work_center} {"hourly_rate":"4200.00"}. Pure.
//
// The body must hold exactly the one money member named by the caller, as a string in
// the contract's money form (Money::parse: "812", "812.4", "812.40"; no sign, no
// exponent, no float). Violations are bad_input (HTTP 400):
//   member missing                         missing_field
//   any other member                       unknown_field
//   not a string (812.40 as a number too)  invalid_money   (binary floats are refused)
//   not money text                         invalid_money
//   below the minimum                      invalid_money   (material prices must be > 0)
//   above the column's range               amount_out_of_range (numeric(14,2))
//
// Thread-safety: pure functions.
#pragma once

#include <boost/json/object.hpp>
#include <string_view>

#include "core/problem.hpp"
#include "pricing/money.hpp"

namespace shopfloor::pricing {

// The largest amount numeric(14,2) holds: 999 999 999 999.99 RUB.
inline constexpr Money kMaxStoredMoney = Money::from_kopecks(99'999'999'999'999);

struct PriceField {
  std::string_view name;  // "price" or "hourly_rate"
  Money minimum;          // smallest accepted value
};

Result<Money> parse_price_update(const boost::json::object& body, PriceField field);

}  // namespace shopfloor::pricing
