// Money and the fixed-point figures of pricing: every amount, quantity, time and
// percentage is an exact integer in a documented unit, never a binary float.
//
//   Money    kopecks (1/100 RUB) as int64         "812.40"  -> 81'240
//   Qty      millionths of a unit as int64        "0.125"   -> 125'000
//   Minutes  millionths of a minute as int64      "1.5"     -> 1'500'000
//   Bp       basis points (1/100 of a percent)    "2.5" %   -> 250; 10'000 = 100 %
//
// These scales hold every value the pricing schema can store exactly (numeric(14,2)
// prices, numeric(18,6) quantities, numeric(12,4) minutes, numeric(5,2) percentages),
// so loading the database never rounds. Arithmetic on them is checked: an overflow
// is an error value, never wrap-around or undefined behaviour.
//
// The one rounding rule of pricing is `round_half_up` below: an exact non-negative
// quotient is rounded to the nearest kopeck, exact halves away from zero (0.005 RUB
// -> 0.01 RUB). docs/pricing.md lists the only places it is applied.
//
// Thread-safety: plain values; copy freely.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/problem.hpp"

namespace shopfloor::pricing {

// An amount of roubles held as an integer number of kopecks. May be negative in
// arithmetic, but the contract's text form (`parse`) is unsigned.
class Money {
 public:
  constexpr Money() noexcept = default;  // 0.00
  static constexpr Money from_kopecks(std::int64_t kopecks) noexcept { return Money(kopecks); }
  constexpr std::int64_t kopecks() const noexcept { return kopecks_; }

  // Parses the contract's decimal form: one or more ASCII digits, optionally a '.'
  // and one or two digits ("812", "812.4", "812.40"; also PostgreSQL's numeric
  // text). Rejects the empty string, signs, white space, exponents, a lone '.',
  // more than two fraction digits and values above INT64_MAX kopecks, with
  // bad_input "invalid_money".
  static Result<Money> parse(std::string_view text);

  // "1234.50": exactly two fraction digits, no grouping, '-' before negatives.
  std::string to_string() const;

  // Checked arithmetic: overflow of int64 kopecks -> bad_input "amount_out_of_range".
  Result<Money> checked_add(Money other) const;
  Result<Money> checked_sub(Money other) const;
  Result<Money> checked_mul(std::int64_t factor) const;

  friend constexpr auto operator<=>(Money, Money) noexcept = default;

 private:
  constexpr explicit Money(std::int64_t kopecks) noexcept : kopecks_(kopecks) {}
  std::int64_t kopecks_ = 0;
};

// A quantity in millionths of its unit: kg/m/pcs/l of a material per unit of the
// parent, or a count of sub-assemblies per unit of the parent.
struct Qty {
  static constexpr std::int64_t kScale = 1'000'000;
  static constexpr int kFractionDigits = 6;
  std::int64_t micros = 0;

  // Unsigned decimal with at most 6 fraction digits ("0.125", "3", "2.000000").
  // Errors: bad_input "invalid_quantity".
  static Result<Qty> parse(std::string_view text);
  // Shortest exact decimal: "0.125", "3".
  std::string to_string() const;
  friend constexpr auto operator<=>(Qty, Qty) noexcept = default;
};

// A duration in millionths of a minute (routing setup and run times).
struct Minutes {
  static constexpr std::int64_t kScale = 1'000'000;
  static constexpr int kFractionDigits = 6;
  std::int64_t micros = 0;

  // Unsigned decimal with at most 6 fraction digits ("45", "0.75").
  // Errors: bad_input "invalid_minutes".
  static Result<Minutes> parse(std::string_view text);
  std::string to_string() const;
  friend constexpr auto operator<=>(Minutes, Minutes) noexcept = default;
};

// A percentage in basis points: 1 bp = 0.01 %, 10'000 bp = 100 %.
struct Bp {
  static constexpr std::int64_t kScale = 10'000;  // bp in 1 (i.e. in 100 %)
  static constexpr int kFractionDigits = 2;       // of the percent form
  std::int64_t bp = 0;

  // Parses a percentage (not a fraction): "2.5" -> 250 bp, "18" -> 1800 bp. Unsigned,
  // at most 2 fraction digits. Errors: bad_input "invalid_percentage".
  static Result<Bp> parse_percent(std::string_view text);
  // Shortest exact percentage without the sign: "2.5", "18".
  std::string to_percent_string() const;
  friend constexpr auto operator<=>(Bp, Bp) noexcept = default;
};

// THE rounding rule: numerator / denominator rounded to the nearest integer, an
// exact half rounded up (away from zero). Defined for numerator >= 0 and
// denominator > 0 only (every rounded pricing figure is non-negative); returns
// nullopt outside that domain or when the result exceeds INT64_MAX.
std::optional<std::int64_t> round_half_up(__int128 numerator, __int128 denominator) noexcept;

}  // namespace shopfloor::pricing
