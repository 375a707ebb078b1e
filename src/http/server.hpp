// HTTP/1.1 server: Beast coroutines on one io_context, routing to Handlers.
//
// One Server per io_context thread ("shard"); with reuse_port every shard binds
// the same port and the kernel spreads connections. A Server lives on its
// io_context's executor and is NOT thread-safe: call start(), local_endpoint()
// and shutdown() from that thread (or before run()). Destroy it before its
// io_context. The Router is shared read-only by all shards; metrics instruments
// are shared atomics.
//
// Per connection: keep-alive; one request at a time (pipelined requests are
// answered in order). Every answer carries X-Request-Id (the client's if sane,
// else 16 generated hex chars), Content-Type and `Server: shopfloor`. HEAD is
// answered like GET without a body when only a GET route exists.
//
// Deadlines (all per connection, via the stream's expires_after):
//   - a new connection must deliver a complete request (headers and body)
//     within header_timeout of being accepted;
//   - between keep-alive requests the connection may idle for idle_timeout;
//     once the next request's first byte arrives, the complete request must
//     follow within header_timeout;
//   - writing an answer must finish within write_timeout.
// On expiry the connection is closed without an answer. A stalled client only
// ever holds its own coroutine, never another client's.
//
// Bad requests: a malformed request → 400 envelope and close; headers over
// header_limit → 400 (code header_too_large) and close; a body over body_limit
// (declared or streamed) → 413 and close. Error answers that close the
// connection shut down the sending side first and briefly drain what the client
// still sends, so a client that is mid-upload reads the answer instead of a
// reset. `Expect: 100-continue` is honoured (answered before the body is read).
//
// A handler that throws → 500 envelope (code internal_error), logged at error
// level with the request id; the connection is closed and the server keeps
// serving.
//
// Streaming answers (Server-Sent Events): a GET handler may answer 200 with
// Response::stream set (http/event_stream.hpp). The server writes the status and headers
// with `Connection: close` and no length, then each chunk the stream yields, each write
// bounded by write_timeout (a client that stops reading is dropped), until the stream
// ends or the client goes away; then the connection closes. The access line is logged
// when the stream ends. On shutdown streams are ended at once (their queued frames are
// still written), so open streams do not hold up the drain. A stream's socket send buffer
// is kept small (32 KiB) so a client that stops reading pins little kernel memory either.
//
// Observability: one spdlog info line per request (`http_access service=…
// method=… target="…" status=… bytes=… duration_ms=… request_id=… remote=…
// cache=…`), and per server the metrics listed at the top of server.cpp
// (shopfloor_http_requests_total{service,method,route,status},
// shopfloor_http_request_duration_seconds{service,route}, …), where `route` is
// the route pattern, or "unmatched" for requests no route took (404, 405, 400,
// 413): bounded cardinality whatever clients send.
//
// Shutdown (graceful, bounded): see shutdown().
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "http/router.hpp"
#include "metrics/registry.hpp"

namespace shopfloor::http {

namespace detail {
struct ServerState;  // server.cpp
}  // namespace detail

struct ServerOptions {
  // Label in logs and metrics ("mes", "pricing", "shop").
  // Default: "mes".
  std::string service = "mes";

  // Listen address (IPv4 or IPv6 literal) and TCP port; port 0 picks a free port
  // (see local_endpoint()).
  // Default: "127.0.0.1", 8080.
  std::string address = "127.0.0.1";
  std::uint16_t port = 8080;

  // Largest accepted request body in bytes; larger → 413 and close.
  // Default: 1 MiB.
  std::size_t body_limit = 1 << 20;

  // Largest accepted request line + headers in bytes; larger → 400 and close.
  // Default: 16 KiB.
  std::size_t header_limit = 16 * 1024;

  // Time to receive a complete request (headers and body) once it has started,
  // or, on a new connection, since the connection was accepted.
  // Default: 10000 ms.
  std::chrono::milliseconds header_timeout{10000};

  // Keep-alive: how long a connection may sit idle between requests.
  // Default: 60000 ms.
  std::chrono::milliseconds idle_timeout{60000};

  // Time to write one answer to the client.
  // Default: 10000 ms.
  std::chrono::milliseconds write_timeout{10000};

  // Graceful shutdown bound: how long in-flight requests may take to finish
  // before their connections are closed regardless.
  // Default: 10000 ms.
  std::chrono::milliseconds drain_timeout{10000};

  // SO_REUSEPORT, so one Server per io_context thread can bind the same port.
  // Default: true.
  bool reuse_port = true;
};

// 127.0.0.0/8, ::1, and IPv4-mapped loopback (::ffff:127.x.y.z).
bool is_loopback(const asio::ip::address& a);

class Server {
 public:
  Server(asio::io_context& ioc, ServerOptions opts, std::shared_ptr<const Router> router,
         metrics::Registry& registry);
  // Closes the listener and every connection at once (no drain); prefer
  // co_await shutdown() first.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts accepting. Throws boost::system::system_error when the
  // address is invalid or the bind/listen fails (e.g. port in use without
  // reuse_port). Call once.
  void start();

  // The bound endpoint; useful with port 0 in tests.
  asio::ip::tcp::endpoint local_endpoint() const;

  // Graceful shutdown: stop accepting (new connections are refused); idle
  // keep-alive connections are closed at once; requests in flight finish and
  // are answered with `Connection: close`. After drain_timeout the remaining
  // connections are closed and their handlers cancelled (terminal cancellation
  // of the awaited operation). Completes when all connections have ended, or,
  // should a handler ignore cancellation, one second after that escalation (an
  // error is logged). Call once, on the server's executor; later calls complete
  // at once.
  asio::awaitable<void> shutdown();

 private:
  std::shared_ptr<detail::ServerState> impl_;  // shared with the running coroutines
};

}  // namespace shopfloor::http
