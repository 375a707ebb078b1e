// GET /dashboard: counts per status, overdue, due today, in production per work centre.
// Cached under today's date (overdue and due_today move with the calendar).
#include "http/cached_response.hpp"
#include "http/error_response.hpp"
#include "mes/context.hpp"

namespace shopfloor::mes::detail {

asio::awaitable<http::Response> dashboard_get(Context& ctx, const http::Request& req) {
  if (auto who = co_await ctx.authorize(req); !who) co_return http::error_response(who.error());
  if (!req.query.empty())
    co_return http::error_response(
        Problem::bad_input("unknown_parameter", "GET /dashboard takes no query parameters"));
  std::string today = utc_today();
  Repository& repo = ctx.repo;
  const bool compress = ctx.compress_bodies_for(req);
  Load load = [&repo, &today, compress]() -> asio::awaitable<Result<std::string>> {
    auto body = co_await repo.dashboard(today);
    if (!body) co_return body.error();
    co_return http::stored_body(std::move(*body), compress);
  };
  auto answer = co_await ctx.cached_read(ctx.dashboard, kDashboardNamespace, today, load);
  co_return http::cached_response(std::move(answer), req);
}

}  // namespace shopfloor::mes::detail
