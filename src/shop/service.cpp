// Shop API wiring: routes and the change feed that keeps the catalog cache fresh.
#include "shop/service.hpp"

#include "shop/service_context.hpp"

namespace shopfloor::shop {

namespace asio = boost::asio;

namespace {

// Pricing tables that do not feed the catalog (see sql/0002_pricing.sql); any other
// payload, "products" above all, retires the catalog.
bool leaves_catalog_unchanged(std::string_view table) {
  return table == "materials" || table == "work_centers" || table == "bom_lines" ||
         table == "routing_operations" || table == "pricing_parameters" ||
         table == "discount_tiers";
}

}  // namespace

Service::Service(Deps deps) : ctx_(std::make_unique<detail::Context>(deps)) {}
Service::~Service() = default;

void Service::add_routes(http::Router& router) {
  detail::Context* ctx = ctx_.get();
  router.add(http::Method::get, "/catalog/products",
             [ctx](const http::Request& req, const http::PathParams&) {
               return detail::catalog_products_get(*ctx, req);
             });
  router.add(http::Method::get, "/catalog/products/{sku}",
             [ctx](const http::Request& req, const http::PathParams& p) {
               return detail::catalog_product_get(*ctx, req, p);
             });
}

std::vector<pg::ChangeFeed> Service::change_feeds() {
  detail::Context* ctx = ctx_.get();
  pg::ChangeFeed feed{
      "sf_pricing_changed",
      [ctx](std::string table) -> asio::awaitable<void> {
        if (leaves_catalog_unchanged(table)) co_return;
        co_await ctx->catalog.retire_namespace(detail::kCatalogNamespace);
      },
      [ctx]() -> asio::awaitable<void> {
        co_await ctx->catalog.retire_namespace(detail::kCatalogNamespace);
      },
  };
  std::vector<pg::ChangeFeed> feeds;
  feeds.push_back(std::move(feed));
  return feeds;
}

}  // namespace shopfloor::shop
