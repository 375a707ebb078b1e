// Pricing API wiring: the shard's context, its routes and its change feed.
#include "pricing/service.hpp"

#include <spdlog/spdlog.h>

#include "pricing/service_context.hpp"

namespace shopfloor::pricing {

namespace asio = boost::asio;

namespace detail {

Context::Context(Deps d)
    : deps(d),
      calculations(d.cache, "calculation", d.policies.calculation),
      products(d.cache, "products", d.policies.products),
      book(d.db),
      stats(PricingStats::instance()) {}

}  // namespace detail

namespace {

// Tables whose change can alter a calculation but not the GET /products list.
bool affects_calculations_only(std::string_view table) {
  return table == "materials" || table == "work_centers" || table == "bom_lines" ||
         table == "routing_operations" || table == "pricing_parameters" ||
         table == "discount_tiers";
}

}  // namespace

Service::Service(Deps deps) : ctx_(std::make_unique<detail::Context>(deps)) {}
Service::~Service() = default;

void Service::add_routes(http::Router& router) {
  detail::Context* ctx = ctx_.get();
  using http::Method;
  using http::PathParams;
  using http::Request;
  router.add(Method::post, "/calculations", [ctx](const Request& req, const PathParams&) {
    return detail::calculations_post(*ctx, req);
  });
  router.add(Method::get, "/products", [ctx](const Request& req, const PathParams&) {
    return detail::products_get(*ctx, req);
  });
  router.add(Method::get, "/materials", [ctx](const Request& req, const PathParams&) {
    return detail::materials_get(*ctx, req);
  });
  router.add(Method::put, "/materials/{code}", [ctx](const Request& req, const PathParams& p) {
    return detail::material_put(*ctx, req, p);
  });
  router.add(Method::get, "/tariffs", [ctx](const Request& req, const PathParams&) {
    return detail::tariffs_get(*ctx, req);
  });
  router.add(Method::put, "/tariffs/{work_center}", [ctx](const Request& req, const PathParams& p) {
    return detail::tariff_put(*ctx, req, p);
  });
  router.add(Method::get, "/openapi.yaml",
             [](const Request&, const PathParams&) -> asio::awaitable<http::Response> {
               http::Response r = http::Response::json(200, std::string(detail::openapi_yaml()));
               r.content_type = "application/yaml";
               co_return r;
             });
}

std::vector<pg::ChangeFeed> Service::change_feeds() {
  detail::Context* ctx = ctx_.get();
  pg::ChangeFeed feed{
      "sf_pricing_changed",
      [ctx](std::string table) -> asio::awaitable<void> {
        spdlog::debug("pricing: {} changed: retiring cached calculations", table);
        co_await ctx->calculations.retire_namespace(detail::kCalculationNamespace);
        if (!affects_calculations_only(table)) {
          co_await ctx->products.retire_namespace(detail::kProductsNamespace);
        }
      },
      [ctx]() -> asio::awaitable<void> {
        co_await ctx->calculations.retire_namespace(detail::kCalculationNamespace);
        co_await ctx->products.retire_namespace(detail::kProductsNamespace);
      },
  };
  std::vector<pg::ChangeFeed> feeds;
  feeds.push_back(std::move(feed));
  return feeds;
}

}  // namespace shopfloor::pricing
