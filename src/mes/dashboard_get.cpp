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
  Load load = [&repo, &today]() { return repo.dashboard(today); };
  auto answer = co_await ctx.cached_read(ctx.dashboard, kDashboardNamespace, today, load);
  co_return http::cached_response(std::move(answer));
}

}  // namespace shopfloor::mes::detail
