// What the MES handlers share on one shard (internal to src/mes): dependencies, the
// repository, the three caches, and the read/retire procedures that
// carry the module's consistency rules (service.hpp). Thread-safety: one per shard.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <string>

#include "auth/principal.hpp"
#include "cache/cache.hpp"
#include "core/problem.hpp"
#include "http/message.hpp"
#include "http/router.hpp"
#include "mes/change_set.hpp"
#include "mes/repository.hpp"
#include "mes/service.hpp"

namespace shopfloor::mes::detail {

namespace asio = boost::asio;

inline constexpr const char* kOrderNamespace = "order";
inline constexpr const char* kDashboardNamespace = "dashboard";

using Load = std::function<asio::awaitable<Result<std::string>>()>;

struct Context {
  explicit Context(Deps d);

  Deps deps;
  Repository repo;
  cache::Cache orders_list;
  cache::Cache order;
  cache::Cache dashboard;

  // Operator or admin (401/403 otherwise).
  asio::awaitable<Result<auth::Principal>> authorize(const http::Request& req);

  // The cache's get_or_load: it honours every retirement acknowledged before the read
  // started (the cache core never shares a load older than a retirement).
  asio::awaitable<Result<cache::Answer>> cached_read(cache::Cache& cache, std::string ns,
                                                     std::string key, Load load);

  // Whether a list or dashboard body loaded for `req` is kept gzip-compressed
  // (http::stored_body): when configured, and the answer may be stored or the client
  // takes gzip (otherwise it would only be inflated again at once).
  bool compress_bodies_for(const http::Request& req) const;

  // Retire what `change` can affect (everything when change.all). Never fails:
  // undeliverable retirements go to the engine's ledger. Returns whether all were
  // delivered now.
  asio::awaitable<bool> retire(const ChangeSet& change);
  asio::awaitable<bool> retire_everything();
  // After this service's own write, before answering: retire, and when the cache did not
  // take it, wait until every process's change feed has the write (pg/write_fence.hpp).
  asio::awaitable<void> retire_after_write(const ChangeSet& change);
};

// Today's date in UTC, YYYY-MM-DD: the service's notion of "today" (overdue, due_today).
std::string utc_today();

// Handlers, one per file (<resource>_<verb>.cpp).
asio::awaitable<http::Response> orders_get(Context& ctx, const http::Request& req);
asio::awaitable<http::Response> order_get(Context& ctx, const http::Request& req,
                                          const http::PathParams& params);
asio::awaitable<http::Response> orders_post(Context& ctx, const http::Request& req);
asio::awaitable<http::Response> order_status_post(Context& ctx, const http::Request& req,
                                                  const http::PathParams& params);
asio::awaitable<http::Response> dashboard_get(Context& ctx, const http::Request& req);
asio::awaitable<http::Response> events_get(Context& ctx, const http::Request& req);

// docs/openapi.yaml (generated openapi_yaml.cpp).
std::string_view openapi_yaml();

}  // namespace shopfloor::mes::detail
