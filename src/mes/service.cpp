// mes::Service wiring (routes, change feeds) and the shared read/retire procedures.
#include "mes/service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstdio>
#include <memory>

#include "auth/authenticator.hpp"
#include "http/gzip.hpp"
#include "mes/context.hpp"
#include "mes/list_query.hpp"
#include "mes/order_events.hpp"
#include "mes/order_input.hpp"
#include "pg/write_fence.hpp"

namespace shopfloor::mes {

namespace asio = boost::asio;

namespace detail {
namespace {

using asio::awaitable;

// Runs the tasks concurrently (the Redis client pipelines them) and returns when all are
// done. Retirements never throw; should one, it is logged and the others still finish.
template <class T>
awaitable<void> run_all(std::vector<awaitable<T>> tasks) {
  if (tasks.empty()) co_return;
  auto ex = co_await asio::this_coro::executor;
  auto remaining = std::make_shared<std::size_t>(tasks.size());
  auto done = std::make_shared<asio::steady_timer>(ex, asio::steady_timer::time_point::max());
  for (auto& task : tasks) {
    // A task may run (and even finish) inside co_spawn: `remaining` is checked before
    // every wait, and the timer is cancelled only when it reaches 0.
    asio::co_spawn(ex, std::move(task), [remaining, done](std::exception_ptr e) {
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          spdlog::error("mes: cache retirement failed: {}", ex.what());
        }
      }
      if (--*remaining == 0) done->cancel();
    });
  }
  while (*remaining > 0) co_await done->async_wait(asio::as_tuple(asio::use_awaitable));
}

// One retirement owning its arguments (the tasks run after the caller's temporaries are
// gone); clears `delivered` when the cache did not take it. (The result is kept in a
// variable: g++ 12 miscompiles a co_await inside an if condition here.)
using Delivered = std::shared_ptr<bool>;
awaitable<void> retire_one(cache::Cache& cache, std::string ns, Delivered delivered) {
  const bool ok = co_await cache.retire_namespace(std::move(ns));
  if (!ok) *delivered = false;
}
awaitable<void> retire_one_key(cache::Cache& cache, std::string ns, std::string key,
                               Delivered delivered) {
  const bool ok = co_await cache.retire_key(std::move(ns), std::move(key));
  if (!ok) *delivered = false;
}

awaitable<void> retire_tagged(cache::Cache& cache, std::string ns, std::vector<std::string> tags,
                              Delivered delivered) {
  const bool ok = co_await cache.retire_tags(std::move(ns), std::move(tags));
  if (!ok) *delivered = false;
}

// At most this many retirements in flight at once (resync: hundreds of customers).
constexpr std::size_t kRetireBatch = 64;

awaitable<void> retire_namespaces(cache::Cache& cache, std::vector<std::string> namespaces,
                                  Delivered delivered) {
  for (std::size_t at = 0; at < namespaces.size(); at += kRetireBatch) {
    std::vector<awaitable<void>> batch;
    for (std::size_t i = at; i < std::min(namespaces.size(), at + kRetireBatch); ++i)
      batch.push_back(retire_one(cache, namespaces[i], delivered));
    co_await run_all(std::move(batch));
  }
}

awaitable<void> sleep_for(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor);
  t.expires_after(d);
  co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
}

}  // namespace

Context::Context(Deps d)
    : deps(d),
      repo(d.db),
      orders_list(d.cache, "orders_list", d.policies.orders_list),
      order(d.cache, "order", d.policies.order),
      dashboard(d.cache, "dashboard", d.policies.dashboard) {}

awaitable<Result<auth::Principal>> Context::authorize(const http::Request& req) {
  co_return co_await deps.auth.require(req, auth::roles(auth::Role::admin, auth::Role::operator_));
}

awaitable<Result<cache::Answer>> Context::cached_read(cache::Cache& cache, std::string ns,
                                                      std::string key, Load load) {
  co_return co_await cache.get_or_load(std::move(ns), std::move(key), std::move(load));
}

bool Context::compress_bodies_for(const http::Request& req) const {
  return deps.policies.compress_bodies && (deps.cache.cache_usable() || http::accepts_gzip(req));
}

awaitable<bool> Context::retire(const ChangeSet& change) {
  if (change.all) co_return co_await retire_everything();
  auto delivered = std::make_shared<bool>(true);
  std::vector<awaitable<void>> tasks;
  if (!change.history_only) {
    for (std::string& ns : affected_list_namespaces(change))
      tasks.push_back(retire_one(orders_list, std::move(ns), delivered));
    std::vector<std::string> tags;
    for (long long id : change.order_ids) tags.push_back(list_tag(id));
    for (std::string& ns : tagged_list_namespaces(change))
      tasks.push_back(retire_tagged(orders_list, std::move(ns), tags, delivered));
    tasks.push_back(retire_one(dashboard, kDashboardNamespace, delivered));
  }
  for (long long id : change.order_ids)
    tasks.push_back(retire_one_key(order, kOrderNamespace, format_order_number(id), delivered));
  co_await run_all(std::move(tasks));
  if (change.txid != 0 && *delivered) RetiredWrites::instance().add(change.txid);
  co_return *delivered;
}

awaitable<void> Context::retire_after_write(const ChangeSet& change) {
  // Not delivered: other processes may serve the old entries until their change feed
  // retires them; the answer waits for that (pg/write_fence.hpp).
  const bool delivered = co_await retire(change);
  if (!delivered) co_await pg::fence(deps.db);
}

awaitable<bool> Context::retire_everything() {
  std::vector<std::string> namespaces;
  // Customer and work-centre namespaces need their names; the database may be briefly
  // unreachable (this runs right after the listener reconnected, e.g. while PostgreSQL
  // restarts). Until they are read this resync is not finished, so the change feed
  // vouches for nothing and every lookup of the process bypasses the cache
  // (pg/change_feed.hpp "Trust"): the lists filtered by those names are never served
  // unretired. Tried until they are read (never given up: serving without having retired
  // them could serve a list older than a change this process never heard of), with an
  // error line every 30 s while it lasts.
  auto next_error = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (int attempt = 1;; ++attempt) {
    auto names = co_await repo.names();
    if (names) {
      namespaces = every_list_namespace(names->customers, names->work_centers);
      if (attempt > 1) spdlog::info("mes: customer and work centre names read (try {})", attempt);
      break;
    }
    if (std::chrono::steady_clock::now() > next_error) {
      spdlog::error(
          "mes: still cannot read customer and work centre names (try {}): {}; every lookup "
          "keeps bypassing the cache until they are read",
          attempt, names.error().message);
      next_error += std::chrono::seconds(30);
    }
    if (attempt == 1)
      spdlog::warn(
          "mes: cannot read customer and work centre names yet; retrying (lookups "
          "bypass the cache meanwhile)");
    co_await sleep_for(std::chrono::milliseconds(std::min(100 * attempt, 1000)));
  }
  auto delivered = std::make_shared<bool>(true);
  std::vector<awaitable<void>> tasks;
  tasks.push_back(retire_namespaces(orders_list, std::move(namespaces), delivered));
  tasks.push_back(retire_one(order, kOrderNamespace, delivered));
  tasks.push_back(retire_one(dashboard, kDashboardNamespace, delivered));
  co_await run_all(std::move(tasks));
  co_return *delivered;
}

std::string utc_today() {
  using namespace std::chrono;
  const year_month_day d{floor<days>(system_clock::now())};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(d.year()),
                static_cast<unsigned>(d.month()), static_cast<unsigned>(d.day()));
  return buf;
}

}  // namespace detail

Service::Service(Deps deps) : ctx_(std::make_unique<detail::Context>(deps)) {}
Service::~Service() = default;

void Service::add_routes(http::Router& router) {
  detail::Context* ctx = ctx_.get();
  using http::Method;
  using http::PathParams;
  using http::Request;
  router.add(Method::get, "/orders", [ctx](const Request& req, const PathParams&) {
    return detail::orders_get(*ctx, req);
  });
  router.add(Method::post, "/orders", [ctx](const Request& req, const PathParams&) {
    return detail::orders_post(*ctx, req);
  });
  router.add(Method::get, "/orders/{number}", [ctx](const Request& req, const PathParams& p) {
    return detail::order_get(*ctx, req, p);
  });
  router.add(Method::post, "/orders/{number}/status",
             [ctx](const Request& req, const PathParams& p) {
               return detail::order_status_post(*ctx, req, p);
             });
  router.add(Method::get, "/dashboard", [ctx](const Request& req, const PathParams&) {
    return detail::dashboard_get(*ctx, req);
  });
  router.add(Method::get, "/events", [ctx](const Request& req, const PathParams&) {
    return detail::events_get(*ctx, req);
  });
  router.add(Method::get, "/openapi.yaml",
             [](const Request&, const PathParams&) -> asio::awaitable<http::Response> {
               http::Response r;
               r.body = std::string(detail::openapi_yaml());
               r.content_type = "application/yaml";
               co_return r;
             });
}

std::vector<pg::ChangeFeed> Service::change_feeds() {
  detail::Context* ctx = ctx_.get();
  std::vector<pg::ChangeFeed> feeds;
  feeds.push_back(pg::ChangeFeed{
      kOrdersChannel,
      [ctx](std::string payload) -> asio::awaitable<void> {
        ChangeSet change = parse_change_event(payload);
        if (change.all) spdlog::info("mes: orders changed in bulk; retiring every cached answer");
        // This process's own write, already retired before it was answered.
        if (change.txid != 0 && RetiredWrites::instance().contains(change.txid)) {
          OrderEvents::instance().publish(change);
          co_return;
        }
        change.txid = 0;  // (retired by the feed: nothing to remember)
        co_await ctx->retire(change);
        // Live consoles hear of every change, own writes included (GET /events), only
        // once it is retired: the reload an event triggers must not get the old answer.
        OrderEvents::instance().publish(change);
      },
      [ctx]() -> asio::awaitable<void> {
        spdlog::info("mes: change feed (re)connected; retiring every cached answer");
        co_await ctx->retire_everything();
        OrderEvents::instance().publish_reset();
      },
  });
  // The dashboard lists every work centre (sql/0002's work_centers, owned by the pricing
  // reference data): a work centre added, removed or renamed by anyone shows there.
  feeds.push_back(pg::ChangeFeed{
      kReferenceDataChannel,
      [ctx](std::string table) -> asio::awaitable<void> {
        if (table != "work_centers") co_return;
        co_await ctx->dashboard.retire_namespace(detail::kDashboardNamespace);
      },
      [ctx]() -> asio::awaitable<void> {
        co_await ctx->dashboard.retire_namespace(detail::kDashboardNamespace);
      },
  });
  return feeds;
}

}  // namespace shopfloor::mes
