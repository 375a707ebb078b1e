// The Pricing API (contract, "Pricing API"): exact cost calculations for partners'
// systems, and the reference data they are made from.
//
//   POST /calculations         partner|admin  cached per canonical request ("calc")
//   GET  /products             partner|admin  cached (catalog/"products")
//   GET  /materials            partner|admin  {"items":[...],"price_list_version"}
//   PUT  /materials/{code}     admin          {"price":"812.40"}
//   GET  /tariffs              partner|admin  {"items":[...],"price_list_version"}
//   PUT  /tariffs/{work_center} admin         {"hourly_rate":"4200.00"}
//   GET  /openapi.yaml         public         docs/openapi-pricing.yaml (Pricing + Shop)
//
// Freshness: a calculation answered from the cache was calculated after the last
// price write this service acknowledged (writes retire the "calc" namespace before
// answering) and, for changes made directly in the database, no longer than the
// change feed's delivery (well under 1 s) before. A calculation that misses the cache
// checks price_list_version first (PriceBookSnapshot), so it is never computed on an
// old book. Each answer carries the price_list_version it was computed with and
// calculated_at.
//
// Degradation: cache down → answered by the calculator (X-Cache: BYPASS); database
// down → cache hits are still answered, the rest 503.
//
// Lifetime: the routes added by add_routes() and the feeds from change_feeds() refer
// to this Service: it must outlive the Router/Server and the Listener using them.
// Thread-safety: none; one Service per I/O thread (shard), used only on that thread.
#pragma once

#include <memory>
#include <vector>

#include "auth/authenticator.hpp"
#include "cache/cache.hpp"
#include "http/router.hpp"
#include "pg/change_feed.hpp"

namespace shopfloor::pricing {

namespace detail {
struct Context;
}

// The Pricing caches, each with its own name in metrics ("calculation", "products")
// and its own TTL setting (app/config.cpp).
struct CachePolicies {
  // TTL of a cached cost calculation. Default: 10 min.
  cache::Policy calculation{.ttl = std::chrono::milliseconds(600'000)};
  // TTL of the cached GET /products list. Default: 5 min.
  cache::Policy products{.ttl = std::chrono::milliseconds(300'000)};
};

// What the shard hands the service; every reference must outlive it.
struct Deps {
  pg::Pool& db;
  cache::Engine& cache;
  const CachePolicies& policies;
  auth::Authenticator& auth;
};

class Service {
 public:
  explicit Service(Deps deps);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  void add_routes(http::Router& router);

  // sf_pricing_changed (payload: the changed table): retires "calc", and "products" as
  // well when the products table changed; on_resync retires both.
  std::vector<pg::ChangeFeed> change_feeds();

 private:
  std::unique_ptr<detail::Context> ctx_;
};

}  // namespace shopfloor::pricing
