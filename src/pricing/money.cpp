// Parsing, formatting and checked arithmetic of the fixed-point pricing figures.
// One strict parser serves every type so the accepted syntax is the same
// everywhere: digits, optionally '.' and 1..N digits.
#include "pricing/money.hpp"

#include <limits>

namespace shopfloor::pricing {
namespace {

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

constexpr std::int64_t pow10(int n) {
  std::int64_t r = 1;
  for (int i = 0; i < n; ++i) r *= 10;
  return r;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// `text` as an integer count of 10^-fraction_digits units, or nullopt when it is
// not of the form digits['.'digits{1,fraction_digits}] or does not fit int64.
std::optional<std::int64_t> parse_unsigned_fixed(std::string_view text, int fraction_digits) {
  const std::size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view fraction =
      dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  if (whole.empty()) return std::nullopt;
  if (dot != std::string_view::npos &&
      (fraction.empty() || fraction.size() > static_cast<std::size_t>(fraction_digits))) {
    return std::nullopt;
  }
  std::int64_t value = 0;
  auto push_digit = [&value](char c) {
    return is_digit(c) && !__builtin_mul_overflow(value, 10, &value) &&
           !__builtin_add_overflow(value, c - '0', &value);
  };
  for (char c : whole) {
    if (!push_digit(c)) return std::nullopt;
  }
  for (char c : fraction) {
    if (!push_digit(c)) return std::nullopt;
  }
  // Scale up for the fraction digits not written ("812.4" -> 81240).
  const int missing = fraction_digits - static_cast<int>(fraction.size());
  if (__builtin_mul_overflow(value, pow10(missing), &value)) return std::nullopt;
  return value;
}

// Exact decimal text of value / 10^fraction_digits with `min_fraction` to
// `fraction_digits` fraction digits (trailing zeros beyond min_fraction dropped).
std::string format_fixed(std::int64_t value, int fraction_digits, int min_fraction) {
  std::string out;
  // Work in unsigned so INT64_MIN formats without overflow.
  std::uint64_t magnitude = static_cast<std::uint64_t>(value);
  if (value < 0) {
    out.push_back('-');
    magnitude = ~magnitude + 1;
  }
  const auto scale = static_cast<std::uint64_t>(pow10(fraction_digits));
  out += std::to_string(magnitude / scale);
  std::string fraction = std::to_string(magnitude % scale);
  fraction.insert(0, static_cast<std::size_t>(fraction_digits) - fraction.size(), '0');
  while (static_cast<int>(fraction.size()) > min_fraction && fraction.back() == '0') {
    fraction.pop_back();
  }
  if (!fraction.empty()) {
    out.push_back('.');
    out += fraction;
  }
  return out;
}

Problem out_of_range(const char* operation) {
  return Problem::bad_input("amount_out_of_range",
                            std::string("amount out of range in money ") + operation);
}

}  // namespace

Result<Money> Money::parse(std::string_view text) {
  if (auto kopecks = parse_unsigned_fixed(text, 2)) return Money(*kopecks);
  return Problem::bad_input("invalid_money",
                            "money must be a decimal string with at most two fraction digits, "
                            "e.g. \"812.40\"");
}

std::string Money::to_string() const {
  return format_fixed(kopecks_, 2, 2);
}

Result<Money> Money::checked_add(Money other) const {
  std::int64_t r = 0;
  if (__builtin_add_overflow(kopecks_, other.kopecks_, &r)) return out_of_range("addition");
  return Money(r);
}

Result<Money> Money::checked_sub(Money other) const {
  std::int64_t r = 0;
  if (__builtin_sub_overflow(kopecks_, other.kopecks_, &r)) return out_of_range("subtraction");
  return Money(r);
}

Result<Money> Money::checked_mul(std::int64_t factor) const {
  std::int64_t r = 0;
  if (__builtin_mul_overflow(kopecks_, factor, &r)) return out_of_range("multiplication");
  return Money(r);
}

Result<Qty> Qty::parse(std::string_view text) {
  if (auto v = parse_unsigned_fixed(text, kFractionDigits)) return Qty{*v};
  return Problem::bad_input("invalid_quantity",
                            "quantity must be an unsigned decimal with at most 6 fraction digits");
}

std::string Qty::to_string() const {
  return format_fixed(micros, kFractionDigits, 0);
}

Result<Minutes> Minutes::parse(std::string_view text) {
  if (auto v = parse_unsigned_fixed(text, kFractionDigits)) return Minutes{*v};
  return Problem::bad_input("invalid_minutes",
                            "minutes must be an unsigned decimal with at most 6 fraction digits");
}

std::string Minutes::to_string() const {
  return format_fixed(micros, kFractionDigits, 0);
}

Result<Bp> Bp::parse_percent(std::string_view text) {
  if (auto v = parse_unsigned_fixed(text, kFractionDigits)) return Bp{*v};
  return Problem::bad_input(
      "invalid_percentage",
      "percentage must be an unsigned decimal with at most 2 fraction digits");
}

std::string Bp::to_percent_string() const {
  return format_fixed(bp, kFractionDigits, 0);
}

std::optional<std::int64_t> round_half_up(__int128 numerator, __int128 denominator) noexcept {
  if (numerator < 0 || denominator <= 0) return std::nullopt;
  const __int128 quotient = numerator / denominator;
  const __int128 remainder = numerator % denominator;
  // "remainder >= denominator / 2" without the division (exact for odd
  // denominators) and without 2 * remainder (which could overflow).
  const __int128 rounded = remainder >= denominator - remainder ? quotient + 1 : quotient;
  if (rounded > kInt64Max) return std::nullopt;
  return static_cast<std::int64_t>(rounded);
}

}  // namespace shopfloor::pricing
