// Schoolbook arithmetic on base-2^32 limbs: multiply and divide by one machine word,
// add two mantissas. Nothing here can overflow; size grows instead.
#include "pricing/exact_decimal.hpp"

#include <algorithm>
#include <limits>

namespace shopfloor::pricing {
namespace {

constexpr std::uint32_t kTen9 = 1'000'000'000;  // largest power of ten in a limb
constexpr unsigned kTen9Digits = 9;

constexpr std::uint32_t pow10_u32(unsigned n) {
  std::uint32_t r = 1;
  for (unsigned i = 0; i < n; ++i) r *= 10;
  return r;
}

}  // namespace

ExactDecimal ExactDecimal::from_fixed(std::uint64_t mantissa, unsigned scale) {
  ExactDecimal d;
  d.limbs_ = {static_cast<std::uint32_t>(mantissa), static_cast<std::uint32_t>(mantissa >> 32)};
  d.scale_ = scale;
  d.trim();
  return d;
}

void ExactDecimal::multiply(std::uint64_t factor, unsigned factor_scale) {
  multiply_limbs(factor);
  scale_ = is_zero() ? 0 : scale_ + factor_scale;
}

void ExactDecimal::add(const ExactDecimal& other) {
  if (other.is_zero()) return;
  if (other.scale_ > scale_) {
    multiply_pow10(other.scale_ - scale_);
    scale_ = other.scale_;
    add_limbs(other.limbs_);
  } else if (other.scale_ < scale_) {
    ExactDecimal widened = other;
    widened.multiply_pow10(scale_ - other.scale_);
    add_limbs(widened.limbs_);
  } else {
    add_limbs(other.limbs_);
  }
}

std::optional<std::int64_t> ExactDecimal::round_half_up_div(std::uint32_t divisor) const {
  if (divisor == 0) return std::nullopt;
  // value = M / D with D = divisor * 10^scale. Half-up: floor((2M + D) / 2D), and
  // floor(floor(x / a) / b) == floor(x / ab), so divide by 2, divisor and the
  // powers of ten one word at a time.
  ExactDecimal denominator = from_fixed(divisor, 0);
  denominator.multiply_pow10(scale_);
  ExactDecimal t = *this;
  t.multiply_limbs(2);
  t.add_limbs(denominator.limbs_);
  t.divide_limbs(2);
  t.divide_limbs(divisor);
  unsigned digits = scale_;
  for (; digits >= kTen9Digits; digits -= kTen9Digits) t.divide_limbs(kTen9);
  if (digits > 0) t.divide_limbs(pow10_u32(digits));
  if (t.limbs_.size() > 2) return std::nullopt;
  std::uint64_t v = 0;
  for (std::size_t i = t.limbs_.size(); i-- > 0;) v = (v << 32) | t.limbs_[i];
  if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(v);
}

std::string ExactDecimal::to_string() const {
  // Peel nine decimal digits at a time from a copy of the mantissa.
  ExactDecimal rest = *this;
  std::string digits;  // reversed
  while (!rest.is_zero()) {
    std::uint32_t chunk = rest.divide_limbs(kTen9);
    for (unsigned i = 0; i < kTen9Digits; ++i, chunk /= 10) {
      digits.push_back(static_cast<char>('0' + chunk % 10));
    }
  }
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  if (digits.empty()) digits = "0";
  if (digits.size() <= scale_) digits.append(scale_ - digits.size() + 1, '0');
  std::reverse(digits.begin(), digits.end());
  std::string out = digits;
  if (scale_ > 0) {
    out.insert(out.size() - scale_, ".");
    while (out.back() == '0') out.pop_back();
    if (out.back() == '.') out.pop_back();
  }
  return out;
}

void ExactDecimal::multiply_limbs(std::uint64_t factor) {
  unsigned __int128 carry = 0;
  for (std::uint32_t& limb : limbs_) {
    const unsigned __int128 t = static_cast<unsigned __int128>(limb) * factor + carry;
    limb = static_cast<std::uint32_t>(t);
    carry = t >> 32;
  }
  while (carry != 0) {
    limbs_.push_back(static_cast<std::uint32_t>(carry));
    carry >>= 32;
  }
  trim();
}

void ExactDecimal::multiply_pow10(unsigned exponent) {
  for (; exponent >= kTen9Digits; exponent -= kTen9Digits) multiply_limbs(kTen9);
  if (exponent > 0) multiply_limbs(pow10_u32(exponent));
}

void ExactDecimal::add_limbs(const std::vector<std::uint32_t>& other) {
  if (limbs_.size() < other.size()) limbs_.resize(other.size(), 0);
  std::uint64_t carry = 0;
  for (std::size_t i = 0; i < limbs_.size(); ++i) {
    const std::uint64_t t = std::uint64_t{limbs_[i]} + (i < other.size() ? other[i] : 0) + carry;
    limbs_[i] = static_cast<std::uint32_t>(t);
    carry = t >> 32;
    if (carry == 0 && i >= other.size()) break;
  }
  if (carry != 0) limbs_.push_back(static_cast<std::uint32_t>(carry));
}

std::uint32_t ExactDecimal::divide_limbs(std::uint32_t divisor) {
  std::uint64_t remainder = 0;
  for (std::size_t i = limbs_.size(); i-- > 0;) {
    const std::uint64_t t = (remainder << 32) | limbs_[i];
    limbs_[i] = static_cast<std::uint32_t>(t / divisor);
    remainder = t % divisor;
  }
  trim();
  return static_cast<std::uint32_t>(remainder);
}

void ExactDecimal::trim() noexcept {
  while (!limbs_.empty() && limbs_.back() == 0) limbs_.pop_back();
}

}  // namespace shopfloor::pricing
