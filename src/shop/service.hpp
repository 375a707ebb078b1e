// The Shop API (contract, "Shop API"): the public product catalog with list prices.
//
//   GET /catalog/products?category=&page=&page_size=
//       → {"items":[{"sku","name","category","list_price"}...],"page","page_size","total"}
//   GET /catalog/products/{sku} → {"sku","name","category","list_price"}; 404 when the
//       sku is unknown or not offered in the shop (list_price NULL).
// Public: no authentication. Query rules and cache keys: catalog_query.hpp.
//
// Caching: cache "catalog" (deps.policies.catalog), namespace "catalog", one entry per
// canonical query or sku; 404s are not cached. Freshness: the products table's
// trigger sends sf_pricing_changed with payload "products"; change_feeds() retires
// the namespace on it (and on resync), so a change made anywhere is served within the
// feed's delivery time (well under 1 s). There is no write endpoint here.
//
// Degradation: cache down → answered from PostgreSQL (X-Cache: BYPASS); database
// down → cached pages are still answered, the rest 503.
//
// Lifetime: routes and feeds refer to this Service; it must outlive the Router/Server
// and the Listener using them.
// Thread-safety: none; one Service per I/O thread (shard), used only on that thread.
#pragma once

#include <memory>
#include <vector>

#include "api/deps.hpp"
#include "http/router.hpp"

namespace shopfloor::shop {

namespace detail {
struct Context;
}

class Service {
 public:
  explicit Service(api::Deps deps);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  void add_routes(http::Router& router);
  std::vector<api::ChangeFeed> change_feeds();

 private:
  std::unique_ptr<detail::Context> ctx_;
};

}  // namespace shopfloor::shop
