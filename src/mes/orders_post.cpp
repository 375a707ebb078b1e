// POST /orders: create an order (status new); retires what it can affect, then 201.
#include "http/error_response.hpp"
#include "http/json_body.hpp"
#include "mes/context.hpp"
#include "mes/order_input.hpp"

namespace shopfloor::mes::detail {

asio::awaitable<http::Response> orders_post(Context& ctx, const http::Request& req) {
  if (auto who = co_await ctx.authorize(req); !who) co_return http::error_response(who.error());
  auto body = http::parse_json_object(req);
  if (!body) co_return http::error_response(body.error());
  auto order = parse_new_order(*body);
  if (!order) co_return http::error_response(order.error());

  std::optional<ChangeSet> uncertain;
  auto written = co_await ctx.repo.create(std::move(*order), uncertain);
  if (uncertain)
    co_await ctx.retire_after_write(*uncertain);  // perhaps applied: never stale after it
  if (!written) co_return http::error_response(written.error());
  co_await ctx.retire_after_write(written->change);  // before answering: read-your-writes
  co_return http::Response::json(201, std::move(written->body));
}

}  // namespace shopfloor::mes::detail
