// ExactDecimal: a non-negative decimal of unbounded size, used by the calculator to
// keep every intermediate figure of a BOM explosion exact.
//
// Why not __int128: each BOM level multiplies by a quantity (scale 10^-6) and a
// scrap factor (scale 10^-4), so an exact needed quantity four levels down already
// has 40 fraction digits. Rounding between levels would add rounding points; a
// wider integer keeps the one rounding rule (money.hpp) at the end of each figure.
// Values are mantissa / 10^scale with a base-2^32 mantissa; only the operations the
// calculator needs exist. Sizes stay small: the BOM depth limit bounds the scale.
//
// Thread-safety: a plain value; copy freely.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace shopfloor::pricing {

class ExactDecimal {
 public:
  ExactDecimal() = default;  // 0

  // mantissa / 10^scale, e.g. (125, 3) is 0.125.
  static ExactDecimal from_fixed(std::uint64_t mantissa, unsigned scale);

  // *this *= factor / 10^factor_scale (exact: the scales add up).
  void multiply(std::uint64_t factor, unsigned factor_scale);
  // *this += other (exact: the smaller scale is widened).
  void add(const ExactDecimal& other);

  // The one rounding rule: *this / divisor rounded half-up to an integer; nullopt
  // when divisor is 0 or the result exceeds INT64_MAX.
  std::optional<std::int64_t> round_half_up_div(std::uint32_t divisor) const;

  bool is_zero() const noexcept { return limbs_.empty(); }
  unsigned scale() const noexcept { return scale_; }
  // Exact decimal text with trailing fraction zeros dropped ("302.022", "0").
  std::string to_string() const;

 private:
  void multiply_limbs(std::uint64_t factor);
  void multiply_pow10(unsigned exponent);
  void add_limbs(const std::vector<std::uint32_t>& other);
  std::uint32_t divide_limbs(std::uint32_t divisor);  // returns the remainder
  void trim() noexcept;

  std::vector<std::uint32_t> limbs_;  // little-endian mantissa; no high zero limbs
  unsigned scale_ = 0;
};

}  // namespace shopfloor::pricing
