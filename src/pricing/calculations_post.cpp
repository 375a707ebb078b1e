// POST /calculations (partner or admin): validate, then answer from the "calc"
// namespace or calculate on the shard's current price book. Every authenticated call
// is counted and logged per partner.
#include <spdlog/spdlog.h>

#include <chrono>

#include "auth/authenticator.hpp"
#include "http/cached_response.hpp"
#include "http/error_response.hpp"
#include "http/json_body.hpp"
#include "pricing/calculation_codec.hpp"
#include "pricing/service_context.hpp"

namespace shopfloor::pricing::detail {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

asio::awaitable<Result<std::string>> calculate_answer(Context& ctx,
                                                      const CalculationRequest& request) {
  auto book = co_await ctx.book.current();
  if (!book) co_return book.error();
  const auto started = Clock::now();
  auto calculation = calculate(**book, request);
  ctx.stats.calculation_seconds.observe(
      std::chrono::duration<double>(Clock::now() - started).count());
  if (!calculation) co_return calculation.error();
  co_return render_calculation(*calculation, request,
                               rfc3339_utc(std::chrono::system_clock::now()));
}

}  // namespace

asio::awaitable<http::Response> calculations_post(Context& ctx, const http::Request& req) {
  auto who =
      co_await ctx.deps.auth.require(req, auth::roles(auth::Role::admin, auth::Role::partner));
  if (!who) co_return http::error_response(who.error());

  const auto started = Clock::now();
  Result<CalculationRequest> request = Problem::internal("unset");
  std::string key;  // percent-encoded: safe to log whatever the client sent
  Result<cache::Answer> answer = Problem::internal("unset");
  if (auto body = http::parse_json_object(req); !body) {
    answer = body.error();
  } else if (request = parse_calculation_request(*body); !request) {
    answer = request.error();
  } else {
    key = canonical_request_key(*request);
    const CalculationRequest& r = *request;
    answer = co_await ctx.calculations.get_or_load(
        kCalculationNamespace, key, [&ctx, &r]() -> asio::awaitable<Result<std::string>> {
          co_return co_await calculate_answer(ctx, r);
        });
  }

  const Problem problem = answer ? Problem{} : answer.error();  // error() returns a copy
  const Problem* failure = answer ? nullptr : &problem;
  const std::string_view result = calculation_result(failure);
  ctx.counters.get(who->name, result).inc();
  spdlog::info(
      "pricing_calculation partner={} role={} request={} result={} code={} cache={} "
      "duration_ms={:.2f} request_id={}",
      who->name, auth::to_string(who->role), key.empty() ? "-" : key, result,
      failure ? failure->code : "-", answer ? cache::to_string(answer->source) : "-",
      std::chrono::duration<double, std::milli>(Clock::now() - started).count(), req.request_id);

  if (!answer) co_return http::error_response(answer.error());
  co_return http::cached_response(std::move(answer), req);
}

}  // namespace shopfloor::pricing::detail
