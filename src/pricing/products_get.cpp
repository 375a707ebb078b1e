// GET /products (partner or admin): {"items":[{"sku","name","category"}...]}, every
// product a calculation may name, ordered by sku; cached in products/"products".
#include <boost/json.hpp>

#include "auth/authenticator.hpp"
#include "http/cached_response.hpp"
#include "http/error_response.hpp"
#include "pricing/repository.hpp"
#include "pricing/service_context.hpp"

namespace shopfloor::pricing::detail {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

asio::awaitable<Result<std::string>> load_products(pg::Pool& db) {
  auto products = co_await list_products(db);
  if (!products) co_return products.error();
  json::array items;
  items.reserve(products->size());
  for (const ProductSummary& p : *products) {
    items.push_back(json::object{{"sku", p.sku}, {"name", p.name}, {"category", p.category}});
  }
  co_return json::serialize(json::object{{"items", std::move(items)}});
}

}  // namespace

asio::awaitable<http::Response> products_get(Context& ctx, const http::Request& req) {
  auto who =
      co_await ctx.deps.auth.require(req, auth::roles(auth::Role::admin, auth::Role::partner));
  if (!who) co_return http::error_response(who.error());
  if (!req.query.empty()) {
    co_return http::error_response(
        Problem::bad_input("unknown_parameter", "GET /products takes no query parameters"));
  }
  pg::Pool& db = ctx.deps.db;
  auto answer = co_await ctx.products.get_or_load(
      kProductsNamespace, "all",
      [&db]() -> asio::awaitable<Result<std::string>> { co_return co_await load_products(db); });
  if (!answer) co_return http::error_response(answer.error());
  co_return http::cached_response(std::move(answer), req);
}

}  // namespace shopfloor::pricing::detail
