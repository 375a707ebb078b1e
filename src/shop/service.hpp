// The Shop API (contract, "Shop API"): the public product catalog with list prices.
//
//   GET /catalog/products?category=&page=&page_size=
//       → {"items":[{"sku","name","category","list_price"}...],"page","page_size","total"}
//   GET /catalog/products/{sku} → {"sku","name","category","list_price"}; 404 when the
//       sku is unknown or not offered in the shop (list_price NULL).
// Public: no authentication. Query rules and cache keys: catalog_query.hpp.
//
// Caching: cache "catalog" (CachePolicies::catalog), namespace "catalog", one entry per
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

#include "cache/cache.hpp"
#include "http/router.hpp"
#include "pg/change_feed.hpp"

namespace shopfloor::pg {
class Pool;
}

namespace shopfloor::shop {

namespace detail {
struct Context;
}

// The catalog cache ("catalog" in metrics) and its TTL setting (app/config.cpp).
struct CachePolicies {
  // TTL of cached catalog pages and products. Default: 5 min.
  cache::Policy catalog{.ttl = std::chrono::milliseconds(300'000)};
};

// What the shard hands the service (the catalog is public: no authenticator); every
// reference must outlive it.
struct Deps {
  pg::Pool& db;
  cache::Engine& cache;
  const CachePolicies& policies;
};

class Service {
 public:
  explicit Service(Deps deps);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  void add_routes(http::Router& router);
  std::vector<pg::ChangeFeed> change_feeds();

 private:
  std::unique_ptr<detail::Context> ctx_;
};

}  // namespace shopfloor::shop
