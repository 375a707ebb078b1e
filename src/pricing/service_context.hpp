// Internal to the pricing module: what the Pricing API handlers share on one shard,
// and the handlers themselves (one file per resource and verb). The public face is
// service.hpp.
//
// Cache layout:
//   cache "calculation" (deps.policies.calculation, TTL default 10 min)
//     namespace "calc": one entry per canonical_request_key; retired by every price
//     write through the API (before it answers) and by every sf_pricing_changed
//     notification.
//   cache "products" (deps.policies.products)
//     namespace "products": the GET /products list; retired when the products table
//     changes (notification payload "products") or on resync.
//
// Thread-safety: none; one Context per shard, used on its thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <string_view>

#include "cache/cache.hpp"
#include "http/message.hpp"
#include "http/router.hpp"
#include "pricing/price_book_snapshot.hpp"
#include "pricing/service.hpp"
#include "pricing/stats.hpp"

namespace shopfloor::pricing::detail {

inline constexpr const char* kCalculationNamespace = "calc";
inline constexpr const char* kProductsNamespace = "products";

struct Context {
  explicit Context(Deps d);

  Deps deps;
  cache::Cache calculations;
  cache::Cache products;
  PriceBookSnapshot book;
  CalculationCounters counters;
  PricingStats& stats;
};

boost::asio::awaitable<http::Response> calculations_post(Context& ctx, const http::Request& req);
boost::asio::awaitable<http::Response> products_get(Context& ctx, const http::Request& req);
boost::asio::awaitable<http::Response> materials_get(Context& ctx, const http::Request& req);
boost::asio::awaitable<http::Response> material_put(Context& ctx, const http::Request& req,
                                                    const http::PathParams& params);
boost::asio::awaitable<http::Response> tariffs_get(Context& ctx, const http::Request& req);
boost::asio::awaitable<http::Response> tariff_put(Context& ctx, const http::Request& req,
                                                  const http::PathParams& params);

// docs/openapi-pricing.yaml, embedded at build time (openapi_text.cpp is generated).
std::string_view openapi_yaml();

}  // namespace shopfloor::pricing::detail
