// GET /catalog/products and GET /catalog/products/{sku}: cached catalog reads.
#include <boost/json.hpp>

#include "http/cached_response.hpp"
#include "http/error_response.hpp"
#include "shop/repository.hpp"
#include "shop/service_context.hpp"

namespace shopfloor::shop::detail {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

json::object product_json(const CatalogProduct& p) {
  return json::object{{"sku", p.sku},
                      {"name", p.name},
                      {"category", p.category},
                      {"list_price", p.list_price},
                      {"currency", "RUB"}};
}

asio::awaitable<Result<std::string>> load_page(pg::Pool& db, const CatalogQuery& q) {
  auto page = co_await list_catalog(db, q);
  if (!page) co_return page.error();
  json::array items;
  items.reserve(page->items.size());
  for (const CatalogProduct& p : page->items) items.push_back(product_json(p));
  co_return json::serialize(json::object{{"items", std::move(items)},
                                         {"page", q.page},
                                         {"page_size", q.page_size},
                                         {"total", page->total}});
}

asio::awaitable<Result<std::string>> load_product(pg::Pool& db, const std::string& sku) {
  auto product = co_await find_catalog_product(db, sku);
  if (!product) co_return product.error();
  if (!*product) {
    co_return Problem{ProblemKind::not_found, "unknown_product", "no such product in the catalog"};
  }
  co_return json::serialize(product_json(**product));
}

}  // namespace

asio::awaitable<http::Response> catalog_products_get(Context& ctx, const http::Request& req) {
  auto query = parse_catalog_query(req.query);
  if (!query) co_return http::error_response(query.error());
  pg::Pool& db = ctx.deps.db;
  const CatalogQuery& q = *query;
  auto answer = co_await ctx.catalog.get_or_load(
      kCatalogNamespace, catalog_list_key(q),
      [&db, &q]() -> asio::awaitable<Result<std::string>> { co_return co_await load_page(db, q); });
  if (!answer) co_return http::error_response(answer.error());
  co_return http::cached_response(std::move(answer), req);
}

asio::awaitable<http::Response> catalog_product_get(Context& ctx, const http::Request& req,
                                                    const http::PathParams& params) {
  const std::string sku(params.get("sku"));
  if (!req.query.empty()) {
    co_return http::error_response(
        Problem::bad_input("unknown_parameter", "this resource takes no query parameters"));
  }
  if (sku.empty() || sku.size() > kMaxSkuBytes) {
    co_return http::error_response(
        Problem{ProblemKind::not_found, "unknown_product", "no such product in the catalog"});
  }
  pg::Pool& db = ctx.deps.db;
  auto answer =
      co_await ctx.catalog.get_or_load(kCatalogNamespace, catalog_item_key(sku),
                                       [&db, &sku]() -> asio::awaitable<Result<std::string>> {
                                         co_return co_await load_product(db, sku);
                                       });
  if (!answer) co_return http::error_response(answer.error());
  co_return http::cached_response(std::move(answer), req);
}

}  // namespace shopfloor::shop::detail
