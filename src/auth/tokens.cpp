// POST /tokens, DELETE /tokens/{name}, GET /tokens and the sf_tokens_changed feed.
#include "auth/tokens.hpp"

#include <openssl/rand.h>

#include <boost/json.hpp>

#include "auth/token_request.hpp"
#include "http/error_response.hpp"
#include "http/json_body.hpp"
#include "pg/pool.hpp"
#include "pg/write_fence.hpp"

namespace shopfloor::auth {
namespace {

namespace json = boost::json;
using boost::asio::awaitable;

// A revoked name may be issued again; a live one may not.
constexpr const char* kIssueSql = R"sql(
INSERT INTO api_tokens (name, role, token_hash) VALUES ($1, $2, $3)
ON CONFLICT (name) DO UPDATE
  SET role = EXCLUDED.role, token_hash = EXCLUDED.token_hash, created_at = now(), revoked_at = NULL
  WHERE api_tokens.revoked_at IS NOT NULL
RETURNING name)sql";
constexpr const char* kRevokeSql =
    "UPDATE api_tokens SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL "
    "RETURNING token_hash";
constexpr const char* kListSql = R"sql(
SELECT name, role, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
       to_char(revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
FROM api_tokens ORDER BY name)sql";

std::string new_secret() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("RAND_bytes failed");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s = "sft_";
  for (unsigned char b : bytes) {
    s.push_back(kHex[b >> 4]);
    s.push_back(kHex[b & 0xF]);
  }
  return s;
}

awaitable<http::Response> tokens_post(Authenticator& auth, const http::Request& req) {
  if (auto who = co_await auth.require(req, roles(Role::admin)); !who)
    co_return http::error_response(who.error());
  auto body = http::parse_json_object(req);
  if (!body) co_return http::error_response(body.error());
  auto token = parse_token_request(*body);
  if (!token) co_return http::error_response(token.error());
  auto issued = co_await issue_token(auth, token->name, token->role);
  if (!issued) co_return http::error_response(issued.error());
  json::object out{
      {"name", issued->name}, {"role", to_string(issued->role)}, {"token", issued->secret}};
  co_return http::Response::json(201, json::serialize(out));
}

awaitable<http::Response> tokens_delete(Authenticator& auth, const http::Request& req,
                                        const http::PathParams& params) {
  if (auto who = co_await auth.require(req, roles(Role::admin)); !who)
    co_return http::error_response(who.error());
  auto revoked = co_await revoke_token(auth, std::string(params.get("name")));
  if (!revoked) co_return http::error_response(revoked.error());
  http::Response r;
  r.status = 204;
  r.content_type.clear();
  co_return r;
}

awaitable<http::Response> tokens_get(Authenticator& auth, const http::Request& req) {
  if (auto who = co_await auth.require(req, roles(Role::admin)); !who)
    co_return http::error_response(who.error());
  auto tokens = co_await list_tokens(auth);
  if (!tokens) co_return http::error_response(tokens.error());
  json::array items;
  items.reserve(tokens->size());
  for (const TokenInfo& t : *tokens) {
    json::object o{{"name", t.name}, {"role", t.role}, {"created_at", t.created_at}};
    o["revoked_at"] = t.revoked_at ? json::value(*t.revoked_at) : json::value(nullptr);
    items.push_back(std::move(o));
  }
  co_return http::Response::json(200, json::serialize(json::object{{"items", std::move(items)}}));
}

}  // namespace

awaitable<Result<IssuedToken>> issue_token(Authenticator& auth, std::string name, Role role) {
  if (!valid_token_name(name)) co_return invalid_token_name();
  IssuedToken issued{std::move(name), role, new_secret()};
  const std::string hash = Authenticator::token_hash(issued.secret);
  auto rows = co_await auth.db().query(kIssueSql,
                                       pg::params(issued.name, std::string(to_string(role)), hash));
  if (!rows) co_return rows.error().to_problem();
  if (rows->size() == 0)
    co_return Problem::conflict("token_exists",
                                "a live token with this name exists; revoke it first");
  // A refusal for this hash may be cached (someone tried the secret before it existed).
  co_await auth.token_cache().retire_key(kTokenNamespace, hash);
  co_return issued;
}

awaitable<Result<void>> revoke_token(Authenticator& auth, std::string name) {
  if (!valid_token_name(name)) co_return Problem::not_found("no such token");
  auto rows = co_await auth.db().query(kRevokeSql, pg::params(name));
  if (!rows) co_return rows.error().to_problem();
  if (rows->size() == 0) co_return Problem::not_found("no live token with this name");
  // A revoked token must stop working everywhere before the answer: if the cache did not
  // take the retirement, wait until every process's change feed has it (write_fence.hpp).
  const bool delivered =
      co_await auth.token_cache().retire_key(kTokenNamespace, std::string(rows->text(0, 0)));
  if (!delivered) co_await pg::fence(auth.db());
  co_return Result<void>{};
}

awaitable<Result<std::vector<TokenInfo>>> list_tokens(Authenticator& auth) {
  auto rows = co_await auth.db().query(kListSql);
  if (!rows) co_return rows.error().to_problem();
  std::vector<TokenInfo> tokens;
  tokens.reserve(static_cast<std::size_t>(rows->size()));
  for (int i = 0; i < rows->size(); ++i) {
    TokenInfo t{std::string(rows->text(i, 0)), std::string(rows->text(i, 1)),
                std::string(rows->text(i, 2)), std::nullopt};
    if (!rows->is_null(i, 3)) t.revoked_at = std::string(rows->text(i, 3));
    tokens.push_back(std::move(t));
  }
  co_return tokens;
}

void add_token_routes(http::Router& router, Authenticator& auth) {
  router.add(http::Method::post, "/tokens",
             [&auth](const http::Request& req, const http::PathParams&) {
               return tokens_post(auth, req);
             });
  router.add(
      http::Method::get, "/tokens",
      [&auth](const http::Request& req, const http::PathParams&) { return tokens_get(auth, req); });
  router.add(http::Method::delete_, "/tokens/{name}",
             [&auth](const http::Request& req, const http::PathParams& p) {
               return tokens_delete(auth, req, p);
             });
}

pg::ChangeFeed token_feed(Authenticator& auth) {
  return pg::ChangeFeed{
      "sf_tokens_changed",
      [&auth](std::string payload) -> awaitable<void> {
        co_await auth.token_cache().retire_key(kTokenNamespace, payload);
      },
      [&auth]() -> awaitable<void> {
        co_await auth.token_cache().retire_namespace(kTokenNamespace);
      },
  };
}

}  // namespace shopfloor::auth
