// Internal to the shop module: what its handlers share on one shard.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "cache/cache.hpp"
#include "http/message.hpp"
#include "http/router.hpp"
#include "shop/service.hpp"

namespace shopfloor::shop::detail {

inline constexpr const char* kCatalogNamespace = "catalog";

struct Context {
  explicit Context(Deps d) : deps(d), catalog(d.cache, "catalog", d.policies.catalog) {}
  Deps deps;
  cache::Cache catalog;
};

boost::asio::awaitable<http::Response> catalog_products_get(Context& ctx, const http::Request& req);
boost::asio::awaitable<http::Response> catalog_product_get(Context& ctx, const http::Request& req,
                                                           const http::PathParams& params);

}  // namespace shopfloor::shop::detail
