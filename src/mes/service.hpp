// mes::Service: the MES API of CONTRACT.md — orders (list, one, create, status change),
// the dashboard and /openapi.yaml — with every read cached and every write retiring
// exactly the cached answers it can affect before it is answered.
//
// Routes (all but /openapi.yaml need an operator or admin bearer token; the app adds
// /tokens, /health and /metrics):
//   GET  /orders                  cache "orders_list", X-Cache
//   GET  /orders/{number}         cache "order", X-Cache
//   POST /orders                  201
//   POST /orders/{number}/status  200; 404; 409 invalid_transition | status_changed
//   GET  /dashboard               cache "dashboard", X-Cache
//   GET  /events                  Server-Sent Events of order changes (order_events.hpp)
//   GET  /openapi.yaml            docs/openapi.yaml, compiled in
//
// Consistency:
//   - A write commits, then retires (change_set.hpp): the list namespaces its old and new
//     values can affect, the order's key, the dashboard; only then it answers. A read
//     that starts after that answer never joins a load that began before it
//     (the cache core refuses to share a load older than a retirement), so it sees it.
//   - Changes by anyone else reach change_feeds(): the orders trigger notifies
//     sf_orders_changed and on_change retires the same entries (within milliseconds of
//     the commit). Events of this process's own writes, already retired before they
//     were answered, are skipped (RetiredWrites, by transaction id): a second
//     retirement would only throw away what readers loaded in between. on_resync (the listening
//     connection was (re)established, events may have been lost) retires everything: every list
//     namespace — "all", each status, each customer and work centre any order ever had
//     (order_counts keeps old names) — the "order" namespace and the dashboard. Direct writes to
//     order_status_history retire those orders' entries (sql/0006), and a change of the
//     work_centers table (sf_pricing_changed) retires the dashboard, which lists every work centre.
//   - When the cache cannot be reached the engine answers from the database (BYPASS)
//     and keeps undelivered retirements in its ledger until they are delivered
//     (cache/cache.hpp).
// TTLs come from mes::CachePolicies (orders_list, order, dashboard).
//
// Thread-safety: one Service per I/O thread (shard), created, used and destroyed on that
// thread; it uses that shard's pool, cache engine and authenticator. Take change_feeds()
// from one instance only (the app's single LISTEN connection calls them). The Router it
// adds routes to, and the feeds, must not outlive it.
#pragma once

#include <memory>
#include <vector>

#include "auth/authenticator.hpp"
#include "cache/cache.hpp"
#include "http/router.hpp"
#include "pg/change_feed.hpp"

namespace shopfloor::mes {

namespace detail {
struct Context;
}

// The MES caches, each with its own name in metrics ("orders_list", "order",
// "dashboard") and its own TTL setting (app/config.cpp).
struct CachePolicies {
  // TTL of cached order lists. Default: 30 s.
  cache::Policy orders_list{.ttl = std::chrono::milliseconds(30'000)};
  // TTL of a cached order. Default: 30 s.
  cache::Policy order{.ttl = std::chrono::milliseconds(30'000)};
  // TTL of the cached dashboard. Default: 10 s.
  cache::Policy dashboard{.ttl = std::chrono::milliseconds(10'000)};
  // Store list and dashboard bodies gzip-compressed (http/cached_response.hpp): about a
  // quarter of the bytes in Redis and on the wire, sent as stored to clients that accept
  // gzip. Default: on.
  bool compress_bodies = true;
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
  std::vector<pg::ChangeFeed> change_feeds();

 private:
  std::unique_ptr<detail::Context> ctx_;
};

}  // namespace shopfloor::mes
