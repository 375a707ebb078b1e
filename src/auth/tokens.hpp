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
#pragma once

#include "auth/authenticator.hpp"
#include "http/router.hpp"
#include "pg/change_feed.hpp"

namespace shopfloor::auth {

void add_token_routes(http::Router& router, Authenticator& auth);

// Channel sf_tokens_changed: payload is the token hash whose lookup must be retired.
pg::ChangeFeed token_feed(Authenticator& auth);

}  // namespace shopfloor::auth
