// POST /orders/{number}/status: one transition of the contract's table, in one
// transaction (repository.hpp); retires what it can affect, then 200 with the order.
#include "http/error_response.hpp"
#include "http/json_body.hpp"
#include "mes/context.hpp"
#include "mes/order_input.hpp"

namespace shopfloor::mes::detail {

asio::awaitable<http::Response> order_status_post(Context& ctx, const http::Request& req,
                                                  const http::PathParams& params) {
  if (auto who = co_await ctx.authorize(req); !who) co_return http::error_response(who.error());
  const auto id = parse_order_number(params.get("number"));
  if (!id) co_return http::error_response(Problem::not_found("no order with this number"));
  auto body = http::parse_json_object(req);
  if (!body) co_return http::error_response(body.error());
  auto change = parse_status_change(*body);
  if (!change) co_return http::error_response(change.error());

  std::optional<ChangeSet> uncertain;
  auto written = co_await ctx.repo.change_status(*id, std::move(*change), uncertain);
  if (uncertain)
    co_await ctx.retire_after_write(*uncertain);  // perhaps applied: never stale after it
  if (!written) co_return http::error_response(written.error());
  co_await ctx.retire_after_write(written->change);  // before answering: read-your-writes
  co_return http::Response::json(200, std::move(written->body));
}

}  // namespace shopfloor::mes::detail
