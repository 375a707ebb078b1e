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
  const bool compress = ctx.compress_bodies_for(req);
  if (!list_is_tagged(*query)) {
    Load load = [&repo, &query, &today, compress]() -> asio::awaitable<Result<std::string>> {
      auto page = co_await repo.list(*query, today);
      if (!page) co_return page.error();
      co_return http::stored_body(std::move(page->body), compress);
    };
    auto answer = co_await ctx.cached_read(ctx.orders_list, std::move(ns), std::move(key), load);
    co_return http::cached_response(std::move(answer), req);
  }
  // Unfiltered: the page is filed under its orders' ids (list_query.hpp).
  cache::TaggedLoader load = [&repo, &query, &today,
                              compress]() -> asio::awaitable<Result<cache::Loaded>> {
    auto page = co_await repo.list(*query, today);
    if (!page) co_return page.error();
    cache::Loaded out{http::stored_body(std::move(page->body), compress), {}};
    out.tags.reserve(page->ids.size());
    for (long long id : page->ids) out.tags.push_back(list_tag(id));
    co_return out;
  };
  auto answer =
      co_await ctx.orders_list.get_or_load_tagged(std::move(ns), std::move(key), std::move(load));
  co_return http::cached_response(std::move(answer), req);
}

}  // namespace shopfloor::mes::detail
