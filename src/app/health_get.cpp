// GET /health, /health/live, /health/ready and GET /metrics.
#include "app/common_routes.hpp"
#include "http/error_response.hpp"
#include "http/server.hpp"
#include "metrics/registry.hpp"

namespace shopfloor::app {

void add_common_routes(http::Router& router, const HealthState& health,
                       const cache::Engine& cache_engine, bool metrics_public) {
  router.add(
      http::Method::get, "/health",
      [&health, &cache_engine](const http::Request&,
                               const http::PathParams&) -> boost::asio::awaitable<http::Response> {
        const bool db = health.db_up.load(std::memory_order_relaxed);
        const bool cache = health.cache_up.load(std::memory_order_relaxed) &&
                           cache_engine.backend().ready() && cache_engine.cache_usable();
        std::string body = R"({"status":"ok","db":")";
        body += db ? "up" : "down";
        body += R"(","cache":")";
        body += cache ? "up" : "down";
        body += R"("})";
        co_return http::Response::json(200, std::move(body));
      });
  router.add(
      http::Method::get, "/health/live",
      [](const http::Request&, const http::PathParams&) -> boost::asio::awaitable<http::Response> {
        co_return http::Response::json(200, R"({"status":"live"})");
      });
  router.add(http::Method::get, "/health/ready",
             [&health](const http::Request&,
                       const http::PathParams&) -> boost::asio::awaitable<http::Response> {
               const bool db = health.db_up.load(std::memory_order_relaxed);
               const bool migrations = health.migrations_current.load(std::memory_order_relaxed);
               const bool ready = db && migrations;
               std::string body = ready ? R"({"status":"ready")" : R"({"status":"not_ready")";
               body += R"(,"db":")";
               body += db ? "up" : "down";
               body += R"(","migrations":")";
               body += migrations ? "current" : "pending";
               body += R"("})";
               http::Response r = http::Response::json(ready ? 200 : 503, std::move(body));
               co_return r;
             });
  router.add(http::Method::get, "/metrics",
             [metrics_public](const http::Request& req,
                              const http::PathParams&) -> boost::asio::awaitable<http::Response> {
               if (!metrics_public && !http::is_loopback(req.remote)) {
                 co_return http::error_response(Problem{ProblemKind::forbidden, "forbidden",
                                                        "metrics are served on loopback only"});
               }
               http::Response r;
               r.status = 200;
               r.content_type = "text/plain; version=0.0.4; charset=utf-8";
               r.body = metrics::default_registry().render();
               co_return r;
             });
}

}  // namespace shopfloor::app
