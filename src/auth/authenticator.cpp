#include "auth/authenticator.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <array>

#include "pg/pool.hpp"

namespace shopfloor::auth {
namespace {

constexpr const char* kLookupSql =
    "SELECT name, role FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL";

Problem unauthorized(std::string code, std::string message) {
  return Problem{ProblemKind::unauthorized, std::move(code), std::move(message)};
}

}  // namespace

Authenticator::Authenticator(pg::Pool& db, cache::Cache& tokens, std::string admin_token)
    : db_(db), tokens_(tokens), admin_token_(std::move(admin_token)) {}

std::string Authenticator::token_hash(std::string_view token) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest.data());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(digest.size() * 2);
  for (unsigned char b : digest) {
    hex.push_back(kHex[b >> 4]);
    hex.push_back(kHex[b & 0xF]);
  }
  return hex;
}

boost::asio::awaitable<Result<Principal>> Authenticator::lookup(const std::string& token) {
  const std::string hash = token_hash(token);
  // Cached value: "name\trole" for a valid token, "" for unknown or revoked.
  auto answer = co_await tokens_.get_or_load(
      kTokenNamespace, hash, [this, &hash]() -> boost::asio::awaitable<Result<std::string>> {
        auto rows = co_await db_.query(kLookupSql, pg::params(hash));
        if (!rows) co_return rows.error().to_problem();
        if (rows->size() == 0) co_return std::string();
        co_return std::string(rows->text(0, 0)) + "\t" + std::string(rows->text(0, 1));
      });
  if (!answer) co_return answer.error();
  const std::string& v = answer->value;
  const auto tab = v.find('\t');
  auto role =
      tab == std::string::npos ? std::nullopt : parse_role(std::string_view(v).substr(tab + 1));
  if (!role) co_return unauthorized("invalid_token", "the bearer token is unknown or revoked");
  co_return Principal{v.substr(0, tab), *role};
}

boost::asio::awaitable<Result<Principal>> Authenticator::require(const http::Request& req,
                                                                 RoleSet allowed) {
  auto header = req.header("authorization");
  if (!header) co_return unauthorized("unauthorized", "an Authorization: Bearer token is required");
  std::string_view h = *header;
  constexpr std::string_view kScheme = "Bearer ";
  if (h.size() <= kScheme.size() || h.substr(0, kScheme.size()) != kScheme)
    co_return unauthorized("unauthorized", "the Authorization header must be: Bearer <token>");
  const std::string token(h.substr(kScheme.size()));
  if (token.size() > 256)
    co_return unauthorized("invalid_token", "the bearer token is unknown or revoked");

  Principal who;
  if (!admin_token_.empty() && token.size() == admin_token_.size() &&
      CRYPTO_memcmp(token.data(), admin_token_.data(), token.size()) == 0) {
    who = Principal{"admin", Role::admin};
  } else {
    auto found = co_await lookup(token);
    if (!found) co_return found.error();
    who = std::move(*found);
  }
  if (!allowed.contains(who.role))
    co_return Problem{ProblemKind::forbidden, "forbidden",
                      "role " + std::string(to_string(who.role)) + " may not do this"};
  co_return who;
}

}  // namespace shopfloor::auth
