// Principal and roles (contract, "Authentication"): who is calling, and what each
// role may do. Pure values; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shopfloor::auth {

enum class Role : std::uint8_t { admin = 1, operator_ = 2, partner = 4 };

std::optional<Role> parse_role(std::string_view s);  // "admin", "operator", "partner"
std::string_view to_string(Role r);

// A set of roles, e.g. roles(Role::admin, Role::operator_). (A bit set rather than an
// initializer_list: g++ 12 cannot take a braced list inside co_await.)
struct RoleSet {
  std::uint8_t bits = 0;
  bool contains(Role r) const { return bits & static_cast<std::uint8_t>(r); }
};
template <class... R>
constexpr RoleSet roles(R... r) {
  return RoleSet{static_cast<std::uint8_t>((static_cast<std::uint8_t>(r) | ...))};
}

struct Principal {
  std::string name;
  Role role = Role::partner;
};

}  // namespace shopfloor::auth
