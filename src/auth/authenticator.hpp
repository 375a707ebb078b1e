// Authenticator: `Authorization: Bearer <token>` → Principal, with the lookup cached.
//
// The bootstrap admin token (SHOPFLOOR_ADMIN_TOKEN) is compared in constant time and
// never stored. Other tokens are looked up by their SHA-256 (only hashes are stored)
// in the "tokens" cache namespace, one key per hash; an unknown or revoked token is
// cached too (as a refusal), so guessing tokens does not load the database. Revoking
// retires the key before answering, and the api_tokens trigger retires it in every
// other process (see token_feed()).
//
// Errors: no credentials → 401 unauthorized; unknown/revoked → 401 invalid_token;
// role not allowed → 403 forbidden; database down on a miss → 503.
// Thread-safety: one per shard (uses that shard's pool and cache).
#pragma once

#include <boost/asio/awaitable.hpp>

#include "auth/principal.hpp"
#include "cache/cache.hpp"
#include "core/problem.hpp"
#include "http/message.hpp"

namespace shopfloor::pg {
class Pool;
}

namespace shopfloor::auth {

inline constexpr const char* kTokenNamespace = "tokens";

// The token lookup cache (its name in metrics: "token").
struct CachePolicies {
  // TTL of a cached token lookup; revocation retires it at once. Default: 60 s.
  cache::Policy token{.ttl = std::chrono::milliseconds(60'000)};
};

class Authenticator {
 public:
  Authenticator(pg::Pool& db, cache::Cache& tokens, std::string admin_token);

  boost::asio::awaitable<Result<Principal>> require(const http::Request& req, RoleSet allowed);

  cache::Cache& token_cache() { return tokens_; }
  pg::Pool& db() { return db_; }

  // Lower-case hex SHA-256 of a token secret: what api_tokens.token_hash holds.
  static std::string token_hash(std::string_view token);

 private:
  boost::asio::awaitable<Result<Principal>> lookup(const std::string& token);

  pg::Pool& db_;
  cache::Cache& tokens_;
  std::string admin_token_;
};

}  // namespace shopfloor::auth
