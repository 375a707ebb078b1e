// HTTP server: the only translation unit that instantiates Beast.
//
// Shape follows Beast's example/http/server/awaitable: one accept coroutine, one
// coroutine per connection, expected outcomes (end_of_stream, timeout,
// operation_aborted) read with as_tuple, everything else thrown and logged where
// the session is spawned. Sessions are tracked in a list with a cancellation
// signal each (like the task_group of example/advanced/server-flex-awaitable) so
// shutdown can close idle ones, wait for busy ones a bounded time, then escalate.
#include "http/server.hpp"

#include <spdlog/spdlog.h>

#include <boost/algorithm/string/predicate.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/serialize.hpp>
#include <list>
#include <unordered_map>
#include <vector>

#include "http/beast_request.hpp"
#include "http/error_response.hpp"
#include "http/event_stream.hpp"
#include "http/request_id.hpp"
#include "http/request_parse.hpp"

namespace shopfloor::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using Clock = std::chrono::steady_clock;

constexpr auto nothrow_awaitable = asio::as_tuple(asio::use_awaitable);

// ---- Metrics of this component (one list) ---------------------------------
constexpr std::string_view kRequestsTotal = "shopfloor_http_requests_total";
constexpr std::string_view kRequestsTotalHelp = "HTTP requests answered, by route pattern.";
constexpr std::string_view kRequestDuration = "shopfloor_http_request_duration_seconds";
constexpr std::string_view kRequestDurationHelp =
    "Time from a request's first byte to its answer written, by route pattern.";
constexpr std::string_view kConnectionsActive = "shopfloor_http_connections_active";
constexpr std::string_view kConnectionsActiveHelp = "Open client connections.";
constexpr std::string_view kUnmatchedRoute = "unmatched";

// Lingering close after an error answer: how long, and how many bytes, we keep
// reading (and discarding) so the client's unsent upload does not turn our
// close into a reset that destroys the answer before the client reads it.
constexpr auto kLingerTime = std::chrono::milliseconds(1000);
constexpr std::size_t kLingerBytes = 1 << 20;
constexpr std::size_t kReadChunk = 16 * 1024;
// Socket send buffer of an event stream (Linux doubles it for bookkeeping).
constexpr int kStreamSendBuffer = 32 * 1024;

using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

// A JSON string literal (quotes, backslashes and control bytes escaped): keeps
// one access-log line one line and parseable whatever the client put in its
// target.
std::string quoted(std::string_view s) {
  return boost::json::serialize(boost::json::string_view(s.data(), s.size()));
}

bool is_protocol_error(const error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category();
}

// Lets the per-shard instrument caches be searched with a string_view.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};
template <class T>
using StringMap = std::unordered_map<std::string, T, StringHash, std::equal_to<>>;

// How a connection ends.
enum class Close {
  graceful,  // answered with Connection: close, or the client closed
  linger,    // after an error answer: half-close and drain briefly
  abort,     // timeout, reset, cancellation: just close
};

}  // namespace

bool is_loopback(const asio::ip::address& a) {
  if (a.is_v4()) return a.to_v4().is_loopback();
  const auto v6 = a.to_v6();
  if (v6.is_loopback()) return true;
  return v6.is_v4_mapped() && asio::ip::make_address_v4(asio::ip::v4_mapped, v6).is_loopback();
}

namespace detail {

// Control block of one connection, owned by ServerState::sessions. Lives exactly as
// long as the connection's coroutine (removed by SessionRelease).
struct SessionControl {
  enum class State {
    idle,       // waiting for the first byte of a request: closed at once on shutdown
    reading,    // a request has started arriving: allowed to finish
    busy,       // handler running or answer being written: allowed to finish
    streaming,  // writing an EventStream: closed (after what is queued) on shutdown
  };
  State state = State::idle;
  beast::tcp_stream* stream = nullptr;  // set while the coroutine runs
  std::shared_ptr<EventStream> events;  // set while streaming
  asio::cancellation_signal cancel;     // terminal cancellation of the coroutine
};

struct ServerState {
  ServerState(asio::io_context& ioc_, ServerOptions opts_, std::shared_ptr<const Router> router_,
              metrics::Registry& registry_)
      : ioc(ioc_),
        opts(std::move(opts_)),
        router(std::move(router_)),
        registry(registry_),
        connections_active(registry.gauge(kConnectionsActive, kConnectionsActiveHelp,
                                          {{"service", opts.service}})),
        acceptor(ioc_),
        drained(ioc_) {}

  asio::io_context& ioc;
  const ServerOptions opts;
  const std::shared_ptr<const Router> router;
  metrics::Registry& registry;
  metrics::Gauge& connections_active;
  tcp::acceptor acceptor;
  std::list<detail::SessionControl> sessions;
  bool started = false;
  bool stopping = false;
  bool shutdown_done = false;
  // Shutdown waits on this timer; the last session to end cancels it.
  asio::steady_timer drained;

  // Per-shard caches of instrument references: the registry's lookup takes a
  // mutex shared by all shards, which the request path must not touch.
  StringMap<metrics::Counter*> request_counters;
  StringMap<metrics::Histogram*> durations;

  metrics::Counter& requests_counter(std::string_view method, std::string_view route,
                                     unsigned status) {
    const std::string status_text = std::to_string(status);
    std::string key;
    key.reserve(method.size() + route.size() + status_text.size() + 2);
    key.append(method).append(1, '\0').append(route).append(1, '\0').append(status_text);
    auto it = request_counters.find(key);
    if (it == request_counters.end()) {
      auto& c = registry.counter(kRequestsTotal, kRequestsTotalHelp,
                                 {{"service", opts.service},
                                  {"method", std::string(method)},
                                  {"route", std::string(route)},
                                  {"status", status_text}});
      it = request_counters.emplace(std::move(key), &c).first;
    }
    return *it->second;
  }

  metrics::Histogram& duration_histogram(std::string_view route) {
    auto it = durations.find(route);
    if (it == durations.end()) {
      auto& h = registry.histogram(kRequestDuration, kRequestDurationHelp,
                                   {{"service", opts.service}, {"route", std::string(route)}});
      it = durations.emplace(std::string(route), &h).first;
    }
    return *it->second;
  }

  // Access log line and metrics for one answered request.
  void record(const Request& r, const Response& res, std::string_view route, std::size_t bytes,
              Clock::time_point started_at) {
    const auto elapsed = std::chrono::duration<double>(Clock::now() - started_at).count();
    const std::string_view method = to_string(r.method);
    requests_counter(method, route, res.status).inc();
    duration_histogram(route).observe(elapsed);
    if (!res.internal_detail.empty()) {
      spdlog::error("http: {} internal error answered as {} (request_id={}): {}", opts.service,
                    res.status, r.request_id, res.internal_detail);
    }
    if (spdlog::should_log(spdlog::level::info)) {
      const auto cache = res.header("X-Cache");
      spdlog::info(
          "http_access service={} method={} target={} status={} bytes={} duration_ms={:.3f} "
          "request_id={} remote={}{}{}",
          opts.service, method, quoted(r.target), res.status, bytes, elapsed * 1000.0, r.request_id,
          r.remote.to_string(), cache ? " cache=" : "", cache ? quoted(*cache) : std::string());
    }
  }

  void close_all_now() {
    error_code ec;
    acceptor.close(ec);
    for (auto& s : sessions) {
      if (s.events) s.events->close(EventStream::Reason::shutdown);
      s.cancel.emit(asio::cancellation_type::terminal);
      if (s.stream != nullptr) s.stream->close();
    }
  }
};

}  // namespace detail

namespace {

using Impl = detail::ServerState;

// Removes a session's control block when the session's completion handler is
// destroyed (after it ran, or with the io_context), as Beast's task_group does.
class SessionRelease {
 public:
  SessionRelease(std::shared_ptr<Impl> impl, std::list<detail::SessionControl>::iterator it)
      : impl_(std::move(impl)), it_(it) {}
  SessionRelease(SessionRelease&& o) noexcept : impl_(std::move(o.impl_)), it_(o.it_) {}
  SessionRelease(const SessionRelease&) = delete;
  SessionRelease& operator=(const SessionRelease&) = delete;
  SessionRelease& operator=(SessionRelease&&) = delete;
  ~SessionRelease() {
    if (!impl_) return;
    impl_->sessions.erase(it_);
    impl_->connections_active.add(-1);
    if (impl_->stopping && impl_->sessions.empty()) impl_->drained.cancel();
  }

 private:
  std::shared_ptr<Impl> impl_;
  std::list<detail::SessionControl>::iterator it_;
};

bhttp::response<bhttp::string_body> to_wire(Response& res, const std::string& request_id,
                                            unsigned version, bool keep_alive, bool head) {
  bhttp::response<bhttp::string_body> out;
  out.version(version);
  out.result(res.status);
  out.set(bhttp::field::server, "shopfloor");
  const bool bodiless = res.status == 204 || res.status == 304;
  if (!bodiless) out.set(bhttp::field::content_type, res.content_type);
  out.set("X-Request-Id", request_id);
  for (const auto& [name, value] : res.headers) out.insert(name, value);
  out.keep_alive(keep_alive);
  if (bodiless) {
    res.body.clear();
  } else if (head) {
    // A HEAD answer announces the GET body's length but carries no body.
    out.content_length(res.body.size());
  } else {
    out.body() = std::move(res.body);
    out.prepare_payload();
  }
  return out;
}

// Writes `res` within write_timeout. Returns the body bytes sent, or nothing on
// failure (the connection must then be dropped).
asio::awaitable<std::optional<std::size_t>> write_answer(Impl& self, beast::tcp_stream& stream,
                                                         Response& res,
                                                         const std::string& request_id,
                                                         unsigned version, bool keep_alive,
                                                         bool head) {
  auto out = to_wire(res, request_id, version, keep_alive, head);
  const std::size_t bytes = out.body().size();
  stream.expires_after(self.opts.write_timeout);
  auto [ec, n] = co_await bhttp::async_write(stream, out, nothrow_awaitable);
  if (ec) {
    spdlog::debug("http: {} writing answer to request {} failed: {}", self.opts.service, request_id,
                  ec.message());
    co_return std::nullopt;
  }
  co_return bytes;
}

// The status line and headers of a streaming answer. No Content-Length and no chunked
// framing: the body is the event stream and ends when the connection closes (which
// HTTP/1.0 and 1.1 clients, fetch() included, read as the end of the body).
std::string stream_head(const Response& res, const std::string& request_id, unsigned version) {
  std::string h = version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  h += std::to_string(res.status);
  h += ' ';
  h += std::string_view(bhttp::obsolete_reason(bhttp::int_to_status(res.status)));
  h += "\r\nServer: shopfloor\r\nContent-Type: ";
  h += res.content_type;
  h += "\r\nX-Request-Id: ";
  h += request_id;
  h += "\r\nConnection: close\r\n";
  for (const auto& [name, value] : res.headers) {
    h += name;
    h += ": ";
    h += value;
    h += "\r\n";
  }
  h += "\r\n";
  return h;
}

// Writes a streaming answer until its EventStream ends or a write fails (a peer that
// went away, or one that does not read within write_timeout). Returns the bytes sent.
asio::awaitable<std::size_t> write_stream(Impl& self, beast::tcp_stream& stream, Response& res,
                                          const std::string& request_id, unsigned version) {
  EventStream& events = *res.stream;
  // Bound what the kernel holds for a client that stops reading too: with the stream's
  // own queue (max_queued_bytes) that is all the memory a slow consumer can pin.
  error_code ignored;
  stream.socket().set_option(asio::socket_base::send_buffer_size(kStreamSendBuffer), ignored);
  std::string chunk = stream_head(res, request_id, version);
  std::size_t bytes = 0;
  bool head = true;
  while (true) {
    stream.expires_after(self.opts.write_timeout);
    auto [ec, n] = co_await asio::async_write(stream, asio::buffer(chunk), nothrow_awaitable);
    // Waiting for the next event is not a stalled write: no deadline meanwhile.
    stream.expires_never();
    if (ec) {
      spdlog::debug("http: {} event stream of request {} ended: {}", self.opts.service, request_id,
                    ec.message());
      events.close();
      break;
    }
    if (!head) bytes += n;
    head = false;
    auto next = co_await events.next();
    if (!next) break;
    chunk = std::move(*next);
  }
  if (events.reason() == EventStream::Reason::overflow) {
    spdlog::info("http: {} event stream of request {} dropped: the client does not keep up",
                 self.opts.service, request_id);
  }
  co_return bytes;
}

// Runs the routed handler (or the 404/405/400 answer) for one complete request.
// Sets `keep` to false when the connection must close after the answer.
asio::awaitable<Response> dispatch(Impl& self, Request& r, std::string_view& route, bool& keep) {
  RoutedRequest routed = route_request(*self.router, r);
  if (routed.answer) co_return std::move(*routed.answer);
  const RouteMatch& m = routed.match;
  route = m.route;
  std::string what;
  try {
    co_return co_await (*m.handler)(r, m.params);
  } catch (const boost::system::system_error& e) {
    if (self.stopping && e.code() == asio::error::operation_aborted) {
      // Cancelled by shutdown escalation (drain_timeout): expected, not a bug.
      spdlog::warn("http: {} handler for {} {} cancelled by shutdown (request_id={})",
                   self.opts.service, to_string(r.method), route, r.request_id);
      keep = false;
      co_return error_response(Problem::unavailable("server is shutting down"));
    }
    what = e.what();
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
    what = "non-standard exception";
  }
  // Whatever state the handler left behind is suspect: answer, then close.
  keep = false;
  co_return error_response({ProblemKind::internal, "internal_error",
                            fmt::format("{} handler for {} {} threw: {}", self.opts.service,
                                        to_string(r.method), route, what)});
}

// Answers a request the parser rejected, then the connection closes.
asio::awaitable<void> answer_bad_request(Impl& self, beast::tcp_stream& stream,
                                         const bhttp::request_parser<bhttp::string_body>& parser,
                                         const error_code& ec, const asio::ip::address& remote,
                                         Clock::time_point started_at) {
  Request r;
  r.remote = remote;
  std::optional<std::string_view> client_id;
  unsigned version = 11;
  {
    // Whatever the parser got before the error (the start line, then fields in
    // order; all fields when the declared body is too large) is there; the rest
    // keeps its empty defaults.
    const auto& h = parser.get();
    r.method = detail::to_method(h.method());
    r.target = std::string(h.target());
    if (h.version() == 10 || h.version() == 11) version = h.version();
    if (auto it = h.find("X-Request-Id"); it != h.end()) client_id = it->value();
  }
  r.request_id = choose_request_id(client_id);

  Response res = error_response(rejection_problem(detail::rejection_outcome(ec),
                                                  {self.opts.header_limit, self.opts.body_limit}));
  spdlog::debug("http: {} rejecting request from {}: {}", self.opts.service, remote.to_string(),
                ec.message());
  const auto bytes = co_await write_answer(self, stream, res, r.request_id, version, false, false);
  self.record(r, res, kUnmatchedRoute, bytes.value_or(0), started_at);
}

// Half-close, then read and discard for a short bounded time: see kLingerTime.
asio::awaitable<void> linger_close(beast::tcp_stream& stream) {
  error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec) co_return;
  stream.expires_after(kLingerTime);
  std::vector<char> scratch(kReadChunk);
  std::size_t total = 0;
  while (total < kLingerBytes) {
    auto [rec, n] = co_await stream.async_read_some(asio::buffer(scratch), nothrow_awaitable);
    if (rec) break;
    total += n;
  }
}

asio::awaitable<void> run_session(std::shared_ptr<Impl> self, tcp::socket socket,
                                  detail::SessionControl& ctl) {
  beast::tcp_stream stream(std::move(socket));
  ctl.stream = &stream;
  struct Detach {
    detail::SessionControl& c;
    ~Detach() { c.stream = nullptr; }
  } detach{ctl};

  const ServerOptions& opts = self->opts;
  error_code ec;
  stream.socket().set_option(tcp::no_delay(true), ec);
  const auto peer = stream.socket().remote_endpoint(ec);
  const asio::ip::address remote = ec ? asio::ip::address{} : peer.address();

  beast::flat_buffer buffer;
  bool first = true;
  Close close = Close::abort;
  // A new connection has header_timeout from accept for its whole first request.
  stream.expires_after(opts.header_timeout);

  while (!self->stopping) {
    // Phase 1: wait for the request's first byte (unless pipelined bytes are
    // already buffered). Shutdown cancels sessions waiting here.
    if (buffer.size() == 0) {
      ctl.state = detail::SessionControl::State::idle;
      if (!first) stream.expires_after(opts.idle_timeout);
      auto [rec, n] =
          co_await stream.async_read_some(buffer.prepare(kReadChunk), nothrow_awaitable);
      if (rec) {
        // end_of_stream: the client closed between requests, as it may.
        close = rec == asio::error::eof ? Close::graceful : Close::abort;
        break;
      }
      buffer.commit(n);
    }
    ctl.state = detail::SessionControl::State::reading;
    const auto started_at = Clock::now();
    if (!first) stream.expires_after(opts.header_timeout);
    first = false;

    // Phase 2: the complete request, bounded by header_timeout.
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(opts.header_limit));
    parser.body_limit(opts.body_limit);
    auto [rec, rn] = co_await bhttp::async_read_header(stream, buffer, parser, nothrow_awaitable);
    if (!rec && !parser.is_done()) {
      const auto& h = parser.get();
      if (h.version() >= 11 && boost::algorithm::iequals(h[bhttp::field::expect], "100-continue")) {
        static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        auto [wec, wn] = co_await asio::async_write(
            stream, asio::buffer(kContinue.data(), kContinue.size()), nothrow_awaitable);
        rec = wec;
      }
      if (!rec) {
        auto [bec, bn] = co_await bhttp::async_read(stream, buffer, parser, nothrow_awaitable);
        rec = bec;
      }
    }
    if (rec) {
      if (is_protocol_error(rec) && rec != bhttp::error::end_of_stream &&
          rec != bhttp::error::partial_message) {
        ctl.state = detail::SessionControl::State::busy;
        co_await answer_bad_request(*self, stream, parser, rec, remote, started_at);
        close = Close::linger;
      } else {
        // Timeout, reset, or the client gave up mid-request: nobody to answer.
        spdlog::debug("http: {} connection from {} closed while reading: {}", opts.service,
                      remote.to_string(), rec.message());
      }
      break;
    }

    // Phase 3: handle and answer.
    ctl.state = detail::SessionControl::State::busy;
    auto msg = parser.release();
    Request r = detail::to_request(msg);
    r.request_id = choose_request_id(r.header("x-request-id"));
    r.remote = remote;

    bool keep = msg.keep_alive();
    std::string_view route = kUnmatchedRoute;
    Response res = co_await dispatch(*self, r, route, keep);
    if (res.status < 200 || res.status > 599) {
      res = error_response(
          {ProblemKind::internal, "internal_error",
           fmt::format("handler for {} answered invalid status {}", route, res.status)});
    }
    if (res.stream) {
      if (res.status == 200 && r.method == Method::get && !self->stopping) {
        ctl.state = detail::SessionControl::State::streaming;
        ctl.events = res.stream;
        const auto bytes = co_await write_stream(*self, stream, res, r.request_id, msg.version());
        ctl.events.reset();
        self->record(r, res, route, bytes, started_at);
        close = Close::graceful;
        break;
      }
      // HEAD, an error, or shutdown under way: an ordinary answer without the stream.
      res.stream->close();
      res.stream.reset();
    }
    // Shutdown may have begun while the handler ran: answer, then close.
    keep = keep && !self->stopping;
    const auto bytes = co_await write_answer(*self, stream, res, r.request_id, msg.version(), keep,
                                             r.method == Method::head);
    self->record(r, res, route, bytes.value_or(0), started_at);
    if (!bytes) break;
    if (!keep) {
      close = Close::graceful;
      break;
    }
  }
  if (self->stopping && close == Close::abort) close = Close::graceful;

  if (close == Close::linger) {
    co_await linger_close(stream);
  } else if (close == Close::graceful) {
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  }
}

void start_session(const std::shared_ptr<Impl>& self, tcp::socket socket) {
  auto it = self->sessions.emplace(self->sessions.end());
  self->connections_active.add(1);
  asio::co_spawn(
      self->ioc, run_session(self, std::move(socket), *it),
      asio::bind_cancellation_slot(
          it->cancel.slot(),
          [release = SessionRelease(self, it), service = self->opts.service](std::exception_ptr e) {
            if (!e) return;
            try {
              std::rethrow_exception(e);
            } catch (const boost::system::system_error& se) {
              // Cancelled by shutdown escalation or the destructor: expected.
              if (se.code() == asio::error::operation_aborted) return;
              spdlog::warn("http: {} connection ended with error: {}", service, se.what());
            } catch (const std::exception& ex) {
              spdlog::error("http: {} connection ended with exception: {}", service, ex.what());
            } catch (...) {
              spdlog::error("http: {} connection ended with unknown exception", service);
            }
          }));
}

asio::awaitable<void> accept_loop(std::shared_ptr<Impl> self) {
  while (true) {
    auto [ec, socket] = co_await self->acceptor.async_accept(nothrow_awaitable);
    if (self->stopping || !self->acceptor.is_open()) co_return;
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      // e.g. EMFILE: back off instead of spinning the shard on a full fd table.
      spdlog::warn("http: {} accept failed: {}", self->opts.service, ec.message());
      asio::steady_timer pause(self->ioc, std::chrono::milliseconds(50));
      co_await pause.async_wait(nothrow_awaitable);
      continue;
    }
    start_session(self, std::move(socket));
  }
}

}  // namespace

Server::Server(asio::io_context& ioc, ServerOptions opts, std::shared_ptr<const Router> router,
               metrics::Registry& registry)
    : impl_(std::make_shared<detail::ServerState>(ioc, std::move(opts), std::move(router),
                                                  registry)) {
  if (!impl_->router) throw std::invalid_argument("http::Server: router is null");
}

Server::~Server() {
  if (!impl_) return;
  impl_->stopping = true;
  impl_->close_all_now();
}

void Server::start() {
  detail::ServerState& s = *impl_;
  if (s.started) throw std::logic_error("http::Server::start called twice");
  const tcp::endpoint ep(asio::ip::make_address(s.opts.address), s.opts.port);
  s.acceptor.open(ep.protocol());
  s.acceptor.set_option(asio::socket_base::reuse_address(true));
  if (s.opts.reuse_port) s.acceptor.set_option(ReusePort(true));
  s.acceptor.bind(ep);
  s.acceptor.listen(asio::socket_base::max_listen_connections);
  s.started = true;
  // debug: `shopfloor serve` says once per API where it listens; a line per shard adds nothing.
  spdlog::debug("http: {} listening on {}:{}", s.opts.service,
                s.acceptor.local_endpoint().address().to_string(),
                s.acceptor.local_endpoint().port());
  asio::co_spawn(s.ioc, accept_loop(impl_), [service = s.opts.service](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      spdlog::error("http: {} accept loop ended: {}", service, ex.what());
    }
  });
}

asio::ip::tcp::endpoint Server::local_endpoint() const {
  return impl_->acceptor.local_endpoint();
}

asio::awaitable<void> Server::shutdown() {
  std::shared_ptr<detail::ServerState> self = impl_;
  if (self->stopping) co_return;
  self->stopping = true;
  const auto begun = Clock::now();
  error_code ec;
  self->acceptor.close(ec);

  // Idle keep-alive connections have nothing in flight: close them now. Event streams
  // never finish by themselves: end them (what is queued is still written).
  std::size_t idle = 0;
  for (auto& s : self->sessions) {
    if (s.state == detail::SessionControl::State::idle && s.stream != nullptr) {
      s.stream->cancel();
      ++idle;
    } else if (s.events) {
      s.events->close(EventStream::Reason::shutdown);
      ++idle;
    }
  }
  spdlog::info("http: {} shutting down: {} connections ({} idle closed)", self->opts.service,
               self->sessions.size(), idle);

  if (!self->sessions.empty()) {
    self->drained.expires_after(self->opts.drain_timeout);
    co_await self->drained.async_wait(nothrow_awaitable);
  }
  if (!self->sessions.empty()) {
    spdlog::warn("http: {} drain_timeout reached; closing {} busy connections", self->opts.service,
                 self->sessions.size());
    self->close_all_now();
    self->drained.expires_after(std::chrono::seconds(1));
    if (!self->sessions.empty()) co_await self->drained.async_wait(nothrow_awaitable);
    if (!self->sessions.empty()) {
      spdlog::error("http: {} {} connections ignored cancellation; giving up waiting",
                    self->opts.service, self->sessions.size());
    }
  }
  self->shutdown_done = true;
  spdlog::info("http: {} shut down in {} ms", self->opts.service,
               std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - begun).count());
}

}  // namespace shopfloor::http
