// POST /tokens body validation.
#include "auth/token_request.hpp"

namespace shopfloor::auth {

bool valid_token_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxTokenNameBytes) return false;
  for (const char c : name) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Problem invalid_token_name() {
  return Problem::bad_input("invalid_name",
                            "name must be 1-64 characters of a-z, 0-9, '.', '_', '-'");
}

Result<TokenRequest> parse_token_request(const boost::json::object& body) {
  for (const auto& field : body) {
    if (field.key() != "name" && field.key() != "role") {
      return Problem::bad_input("unknown_field", "unknown field: " + std::string(field.key()));
    }
  }
  const boost::json::value* name = body.if_contains("name");
  if (!name || !name->is_string() || !valid_token_name(name->as_string())) {
    return invalid_token_name();
  }
  const boost::json::value* role_v = body.if_contains("role");
  std::optional<Role> role;
  if (role_v && role_v->is_string()) role = parse_role(role_v->as_string());
  if (!role) {
    return Problem::bad_input("invalid_role", "role must be one of: admin, operator, partner");
  }
  return TokenRequest{std::string(name->as_string()), *role};
}

}  // namespace shopfloor::auth
