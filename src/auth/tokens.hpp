// Token administration (contract: POST /tokens, DELETE /tokens/{name}; admin only, on
// the MES API) and the change feed that retires cached token lookups when api_tokens
// is changed by anyone.
//
//   POST /tokens {"name":"acme","role":"partner"} → 201 {"name","role","token"}: the
//     secret is shown once; only its SHA-256 is stored. A name in use → 409
//     token_exists (a revoked name may be issued again). Names: [a-z0-9._-]{1,64}.
//   DELETE /tokens/{name} → 204; the token stops working before the answer (its cached
//     lookup is retired); unknown or already revoked → 404.
//   GET /tokens → 200 {"items":[{"name","role","created_at","revoked_at"}]} (extension).
//
// The operations behind the routes are functions, so `shopfloor admin tokens` runs the
// very same ones (same SQL, same retirement, same write fence).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "auth/authenticator.hpp"
#include "http/router.hpp"
#include "pg/change_feed.hpp"

namespace shopfloor::auth {

struct IssuedToken {
  std::string name;
  Role role = Role::partner;
  std::string secret;  // shown once; only its SHA-256 is stored
};

struct TokenInfo {
  std::string name, role, created_at;  // created_at: RFC 3339 UTC
  std::optional<std::string> revoked_at;
};

// Issues a token (400 invalid_name, 409 token_exists, 503 database down).
boost::asio::awaitable<Result<IssuedToken>> issue_token(Authenticator& auth, std::string name,
                                                        Role role);
// Revokes a live token; when it returns, no process serves the token's cached lookup any
// more: its key is retired, or — the cache did not take it — the write fence waited for
// every process's change feed (needs a ChangeFeedListener in this process;
// pg/write_fence.hpp). 404 when there is no live token of that name.
boost::asio::awaitable<Result<void>> revoke_token(Authenticator& auth, std::string name);
// Every token, live and revoked, by name.
boost::asio::awaitable<Result<std::vector<TokenInfo>>> list_tokens(Authenticator& auth);

void add_token_routes(http::Router& router, Authenticator& auth);

// Channel sf_tokens_changed: payload is the token hash whose lookup must be retired.
pg::ChangeFeed token_feed(Authenticator& auth);

}  // namespace shopfloor::auth
