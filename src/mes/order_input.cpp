#include "mes/order_input.hpp"

#include <boost/json/value.hpp>
#include <charconv>
#include <chrono>
#include <initializer_list>

#include "mes/list_query.hpp"

namespace shopfloor::mes {
namespace {

namespace json = boost::json;

Problem bad(std::string code, std::string message) {
  return Problem::bad_input(std::move(code), std::move(message));
}

Result<void> only_fields(const json::object& body,
                         std::initializer_list<std::string_view> allowed) {
  for (const auto& field : body) {
    bool known = false;
    for (auto a : allowed) known = known || field.key() == a;
    if (!known) {
      std::string name;
      for (char c : field.key().substr(0, 40)) name.push_back(c >= 0x20 && c < 0x7f ? c : '?');
      return bad("unknown_field", "unknown field: " + name);
    }
  }
  return {};
}

// A required (or, with `required` false, optional) string field of 1..max_bytes bytes,
// without control characters and not blank.
Result<std::optional<std::string>> text_field(const json::object& body, std::string_view name,
                                              bool required, std::size_t max_bytes) {
  const json::value* v = body.if_contains(name);
  if (!v || v->is_null()) {
    if (required) return bad("missing_field", std::string(name) + " is required");
    return std::optional<std::string>();
  }
  if (!v->is_string()) return bad("wrong_type", std::string(name) + " must be a string");
  const json::string& s = v->get_string();
  bool blank = true;
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return bad("invalid_value", std::string(name) + " must not contain control characters");
    if (c != ' ') blank = false;
  }
  if (s.empty() || s.size() > max_bytes || blank)
    return bad("invalid_value",
               std::string(name) + " must be 1-" + std::to_string(max_bytes) + " bytes, not blank");
  return std::optional<std::string>(std::string(s));
}

Result<std::optional<long long>> int_field(const json::object& body, std::string_view name,
                                           bool required, long long lo, long long hi) {
  const json::value* v = body.if_contains(name);
  if (!v || v->is_null()) {
    if (required) return bad("missing_field", std::string(name) + " is required");
    return std::optional<long long>();
  }
  long long n = 0;
  if (v->is_int64()) {
    n = v->get_int64();
  } else if (v->is_uint64()) {
    n = hi + 1;  // beyond int64: certainly out of range
  } else {
    return bad("wrong_type", std::string(name) + " must be an integer");
  }
  if (n < lo || n > hi)
    return bad("invalid_value", std::string(name) + " must be from " + std::to_string(lo) + " to " +
                                    std::to_string(hi));
  return std::optional<long long>(n);
}

Result<Status> status_value(const json::value& v, std::string_view name) {
  if (!v.is_string()) return bad("wrong_type", std::string(name) + " must be a string");
  auto s = parse_status(v.get_string());
  if (!s)
    return bad("invalid_status",
               std::string(name) +
                   " must be one of new, approved, in_production, quality_check, ready, shipped, "
                   "cancelled");
  return *s;
}

}  // namespace

std::string format_order_number(long long id) {
  std::string digits = std::to_string(id);
  if (digits.size() < 7) digits.insert(0, 7 - digits.size(), '0');
  return "ORD-" + digits;
}

std::optional<long long> parse_order_number(std::string_view number) {
  constexpr std::string_view kPrefix = "ORD-";
  if (number.size() < kPrefix.size() + 7 || number.size() > kPrefix.size() + 18 ||
      number.substr(0, kPrefix.size()) != kPrefix)
    return std::nullopt;
  const std::string_view digits = number.substr(kPrefix.size());
  for (char c : digits)
    if (c < '0' || c > '9') return std::nullopt;
  long long id = 0;
  std::from_chars(digits.data(), digits.data() + digits.size(), id);
  if (id < 1 || format_order_number(id) != number) return std::nullopt;  // one spelling only
  return id;
}

bool valid_due_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (s[i] < '0' || s[i] > '9') return false;
  int y = 0, m = 0, d = 0;
  std::from_chars(s.data(), s.data() + 4, y);
  std::from_chars(s.data() + 5, s.data() + 7, m);
  std::from_chars(s.data() + 8, s.data() + 10, d);
  if (y < 2000 || y > 2099) return false;
  const std::chrono::year_month_day ymd{std::chrono::year(y),
                                        std::chrono::month(static_cast<unsigned>(m)),
                                        std::chrono::day(static_cast<unsigned>(d))};
  return ymd.ok();
}

Result<NewOrder> parse_new_order(const json::object& body) {
  if (auto r = only_fields(
          body, {"customer", "product_sku", "quantity", "work_center", "due_date", "priority"});
      !r)
    return r.error();
  NewOrder o;
  auto customer = text_field(body, "customer", true, kMaxNameBytes);
  if (!customer) return customer.error();
  auto sku = text_field(body, "product_sku", true, kMaxNameBytes);
  if (!sku) return sku.error();
  auto quantity = int_field(body, "quantity", true, 1, 1'000'000);
  if (!quantity) return quantity.error();
  auto work_center = text_field(body, "work_center", true, kMaxNameBytes);
  if (!work_center) return work_center.error();
  auto due = text_field(body, "due_date", true, 10);
  if (!due) {
    if (due.error().code == "invalid_value")
      return bad("invalid_value", "due_date must be a date YYYY-MM-DD (years 2000-2099)");
    return due.error();
  }
  if (!valid_due_date(**due))
    return bad("invalid_value", "due_date must be a date YYYY-MM-DD (years 2000-2099)");
  auto priority = int_field(body, "priority", false, 1, 5);
  if (!priority) return priority.error();

  o.customer = std::move(**customer);
  o.product_sku = std::move(**sku);
  o.quantity = static_cast<int>(**quantity);
  o.work_center = std::move(**work_center);
  o.due_date = std::move(**due);
  o.priority = static_cast<int>(priority->value_or(3));
  return o;
}

Result<StatusChange> parse_status_change(const json::object& body) {
  if (auto r = only_fields(body, {"status", "comment", "from"}); !r) return r.error();
  StatusChange c;
  const json::value* to = body.if_contains("status");
  if (!to || to->is_null()) return bad("missing_field", "status is required");
  auto status = status_value(*to, "status");
  if (!status) return status.error();
  c.to = *status;
  if (const json::value* from = body.if_contains("from"); from && !from->is_null()) {
    auto f = status_value(*from, "from");
    if (!f) return f.error();
    c.from = *f;
  }
  if (const json::value* comment = body.if_contains("comment"); comment && !comment->is_null()) {
    if (!comment->is_string()) return bad("wrong_type", "comment must be a string");
    if (comment->get_string().size() > 1000)
      return bad("invalid_value", "comment must be at most 1000 bytes");
    if (comment->get_string().subview().find('\0') != std::string_view::npos)
      return bad("invalid_value", "comment must not contain NUL characters");
    c.comment = std::string(comment->get_string());
  }
  return c;
}

}  // namespace shopfloor::mes
