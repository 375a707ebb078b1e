// GET /orders: the list, cached per normalised query (list_query.hpp).
#include "http/cached_response.hpp"
#include "http/error_response.hpp"
#include "mes/context.hpp"
#include "mes/list_query.hpp"

namespace shopfloor::mes::detail {

asio::awaitable<http::Response> orders_get(Context& ctx, const http::Request& req) {
  if (auto who = co_await ctx.authorize(req); !who) co_return http::error_response(who.error());
  auto query = parse_list_query(req.query);
  if (!query) co_return http::error_response(query.error());

  std::string today = utc_today();
  std::string ns = list_namespace(*query);
  std::string key = list_cache_key(*query, today);
  Repository& repo = ctx.repo;
  Load load = [&repo, &query, &today]() { return repo.list(*query, today); };
  auto answer = co_await ctx.cached_read(ctx.orders_list, std::move(ns), std::move(key), load);
  co_return http::cached_response(std::move(answer));
}

}  // namespace shopfloor::mes::detail
