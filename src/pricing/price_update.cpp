// PUT /materials/{code} and PUT /tariffs/{work_center} bodies.
#include "pricing/price_update.hpp"

#include <boost/json/serialize.hpp>
#include <string>

namespace shopfloor::pricing {

namespace json = boost::json;

Result<Money> parse_price_update(const json::object& body, PriceField field) {
  const std::string name(field.name);
  for (const auto& member : body) {
    if (member.key() != field.name) {
      return Problem::bad_input("unknown_field",
                                "unknown field " + json::serialize(json::string(member.key())) +
                                    "; the body is {\"" + name + "\":\"<amount>\"}");
    }
  }
  const json::value* v = body.if_contains(field.name);
  if (!v) return Problem::bad_input("missing_field", name + " is required");
  if (!v->is_string()) {
    return Problem::bad_input("invalid_money",
                              name + " must be a decimal string such as \"812.40\", not a number");
  }
  auto money = Money::parse(v->as_string());
  if (!money) {
    return Problem::bad_input("invalid_money",
                              name +
                                  " must be a decimal string with at most two fraction "
                                  "digits, such as \"812.40\"");
  }
  if (*money < field.minimum) {
    return Problem::bad_input("invalid_money",
                              name + " must be at least " + field.minimum.to_string());
  }
  if (*money > kMaxStoredMoney) {
    return Problem::bad_input("amount_out_of_range",
                              name + " must be at most " + kMaxStoredMoney.to_string());
  }
  return *money;
}

}  // namespace shopfloor::pricing
