// GET /orders/{number}: one order with its history, cached per number.
#include "http/cached_response.hpp"
#include "http/error_response.hpp"
#include "mes/context.hpp"
#include "mes/order_input.hpp"

namespace shopfloor::mes::detail {

asio::awaitable<http::Response> order_get(Context& ctx, const http::Request& req,
                                          const http::PathParams& params) {
  if (auto who = co_await ctx.authorize(req); !who) co_return http::error_response(who.error());
  std::string number(params.get("number"));
  const auto id = parse_order_number(number);
  if (!id) co_return http::error_response(Problem::not_found("no order with this number"));

  Repository& repo = ctx.repo;
  const long long order_id = *id;
  Load load = [&repo, order_id]() { return repo.order(order_id); };
  auto answer = co_await ctx.cached_read(ctx.order, kOrderNamespace, std::move(number), load);
  co_return http::cached_response(std::move(answer), req);
}

}  // namespace shopfloor::mes::detail
