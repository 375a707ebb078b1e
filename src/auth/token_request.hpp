// The body of POST /tokens {"name":"acme","role":"partner"} and token names. Pure.
//
// Members: name (string, [a-z0-9._-]{1,64}) and role ("admin", "operator", "partner"),
// both required; any other member is bad input. Errors are Problem::bad_input with
// codes unknown_field, invalid_name, invalid_role (HTTP 400).
//
// Thread-safety: pure functions.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "auth/principal.hpp"
#include "core/problem.hpp"

namespace shopfloor::auth {

inline constexpr std::size_t kMaxTokenNameBytes = 64;

// [a-z0-9._-]{1,64}: also what DELETE /tokens/{name} accepts.
bool valid_token_name(std::string_view name);
// 400 invalid_name, saying what a name may be.
Problem invalid_token_name();

struct TokenRequest {
  std::string name;
  Role role = Role::partner;
};

Result<TokenRequest> parse_token_request(const boost::json::object& body);

}  // namespace shopfloor::auth
