// Role names (principal.hpp).
#include "auth/principal.hpp"

namespace shopfloor::auth {

std::optional<Role> parse_role(std::string_view s) {
  if (s == "admin") return Role::admin;
  if (s == "operator") return Role::operator_;
  if (s == "partner") return Role::partner;
  return std::nullopt;
}

std::string_view to_string(Role r) {
  switch (r) {
    case Role::admin:
      return "admin";
    case Role::operator_:
      return "operator";
    case Role::partner:
      return "partner";
  }
  return "partner";
}

}  // namespace shopfloor::auth
