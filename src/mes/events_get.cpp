// GET /events: the order change events as Server-Sent Events (order_events.hpp).
//
// Authentication is the same bearer token as every other MES route, in the
// Authorization header. The console reads the stream with fetch() and a small SSE
// parser (web/live.js) rather than EventSource, because EventSource cannot send headers:
// the alternatives — the token in the URL, or a cookie — would put the secret in logs
// and history, or open the stream (and a CSRF surface) to any page of the origin. fetch()
// also lets the client send Last-Event-ID itself when it reconnects.
//
// A token revoked while its stream is open: the stream carries only order numbers and
// statuses, and every reload the client makes with it is refused at once; the stream
// itself ends at the next reconnect (at the latest when the connection drops).
#include <boost/asio/this_coro.hpp>

#include "http/error_response.hpp"
#include "http/event_stream.hpp"
#include "http/static_files.hpp"
#include "mes/context.hpp"
#include "mes/order_events.hpp"

namespace shopfloor::mes::detail {

asio::awaitable<http::Response> events_get(Context& ctx, const http::Request& req) {
  if (auto who = co_await ctx.authorize(req); !who) co_return http::error_response(who.error());
  auto stream = std::make_shared<http::EventStream>(co_await asio::this_coro::executor);
  OrderEvents::instance().subscribe(stream, req.header("last-event-id"));
  http::Response r;
  r.status = 200;
  r.content_type = "text/event-stream; charset=utf-8";
  r.headers = http::console_security_headers();
  r.headers.emplace_back("Cache-Control", "no-store");
  r.headers.emplace_back("X-Accel-Buffering", "no");  // proxies: do not buffer the stream
  r.stream = std::move(stream);
  co_return r;
}

}  // namespace shopfloor::mes::detail
