// What a service module (mes, pricing, shop) gets from the app on each I/O thread, and
// what it gives back: routes, and the database change feeds that retire its caches.
//
// A module instance lives on one io_context thread (one per shard) and uses only that
// thread's pool and cache engine. Change feeds are taken from the first shard's
// instance only: the app's one LISTEN connection per process calls them, and the
// retirements they make reach every thread and process through the cache itself.
#pragma once

#include "cache/cache.hpp"

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <string>
#include <vector>

namespace shopfloor::pg {
class Pool;
}
namespace shopfloor::auth {
class Authenticator;
}

namespace shopfloor::api {

// Per-cache TTL and limits (each documented in app/config.cpp's settings table).
struct CachePolicies {
  cache::Policy orders_list, order, dashboard, calculation, catalog, token;
};

struct Deps {
  pg::Pool& db;
  cache::Engine& cache;
  const CachePolicies& policies;
  auth::Authenticator& auth;
};

// A PostgreSQL NOTIFY channel a module listens to. on_change runs for each
// notification (payload as sent by the trigger); on_resync runs after every
// (re)connect of the listening connection, when notifications may have been missed,
// and must retire everything the channel could have told about.
struct ChangeFeed {
  std::string channel;
  std::function<boost::asio::awaitable<void>(std::string payload)> on_change;
  std::function<boost::asio::awaitable<void>()> on_resync;
};

}  // namespace shopfloor::api
