// Server tests: a real Server on port 0 in this process (its io_context on a
// background thread), driven by a Beast client over real sockets. No mocks.
#include "http/server.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "http/error_response.hpp"
#include "http/event_stream.hpp"
#include "http/json_body.hpp"

namespace shopfloor::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kClientTimeout = 3s;

// Blocking-style client with a deadline on every operation: each call runs a
// private io_context until the one async operation completes or times out.
class Client {
 public:
  explicit Client(std::uint16_t port) : endpoint_(asio::ip::make_address("127.0.0.1"), port) {}

  error_code connect() {
    error_code result = asio::error::would_block;
    stream_.expires_after(kClientTimeout);
    stream_.async_connect(endpoint_, [&](error_code ec) { result = ec; });
    drive();
    return result;
  }

  error_code send(const std::string& raw) {
    error_code result = asio::error::would_block;
    stream_.expires_after(kClientTimeout);
    asio::async_write(stream_, asio::buffer(raw), [&](error_code ec, std::size_t) { result = ec; });
    drive();
    return result;
  }

  // Reads one response (interim 1xx included). `head`: the request was HEAD.
  error_code read(bhttp::response<bhttp::string_body>& out, bool head = false) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.skip(head);
    error_code result = asio::error::would_block;
    stream_.expires_after(kClientTimeout);
    bhttp::async_read(stream_, buffer_, parser, [&](error_code ec, std::size_t) { result = ec; });
    drive();
    if (!result) out = parser.release();
    return result;
  }

  // Waits for the server to close: returns true if it did within `limit`
  // (EOF or reset), false if the connection stayed open (or sent data).
  bool closed_within(std::chrono::milliseconds limit) {
    const auto deadline = Clock::now() + limit;
    for (int reads = 0; reads < 1000 && Clock::now() < deadline; ++reads) {
      error_code result = asio::error::would_block;
      std::size_t n = 0;
      char scratch[512];
      stream_.expires_at(deadline);
      stream_.async_read_some(asio::buffer(scratch), [&](error_code ec, std::size_t got) {
        result = ec;
        n = got;
      });
      drive();
      if (result == asio::error::eof || result == asio::error::connection_reset) return true;
      if (result) return false;  // timeout
      (void)n;                   // unexpected bytes: keep reading until close or deadline
    }
    return false;
  }

  // Reads raw bytes until `needle` has arrived (or the deadline, or close); returns all
  // read so far.
  std::string read_until(std::string_view needle, std::chrono::milliseconds limit = 2000ms) {
    const auto deadline = Clock::now() + limit;
    while (raw_.find(needle) == std::string::npos && Clock::now() < deadline) {
      error_code result = asio::error::would_block;
      char scratch[4096];
      std::size_t n = 0;
      stream_.expires_at(deadline);
      stream_.async_read_some(asio::buffer(scratch), [&](error_code ec, std::size_t got) {
        result = ec;
        n = got;
      });
      drive();
      raw_.append(scratch, n);
      if (result) break;
    }
    return raw_;
  }

  std::string request(const std::string& raw, bhttp::response<bhttp::string_body>& out) {
    if (auto ec = send(raw)) return "send: " + ec.message();
    if (auto ec = read(out)) return "read: " + ec.message();
    return {};
  }

 private:
  void drive() {
    ioc_.restart();
    ioc_.run();
  }

  tcp::endpoint endpoint_;
  asio::io_context ioc_;
  beast::tcp_stream stream_{ioc_};
  beast::flat_buffer buffer_;
  std::string raw_;
};

std::string get(std::string_view path, std::string_view extra_headers = "") {
  return "GET " + std::string(path) + " HTTP/1.1\r\nHost: test\r\n" + std::string(extra_headers) +
         "\r\n";
}

boost::json::object json_of(const std::string& body) {
  return boost::json::parse(body).as_object();
}

bool is_generated_id(std::string_view id) {
  return id.size() == 16 && id.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

class HttpServer : public ::testing::Test {
 protected:
  void Start(ServerOptions opts = {}) {
    auto router = std::make_shared<Router>();
    router->add(Method::get, "/hello",
                [](const Request& req, const PathParams&) -> asio::awaitable<Response> {
                  Response r = Response::json(200, R"({"hello":"world"})");
                  r.headers.emplace_back("X-Cache", "MISS");
                  co_return r;
                });
    router->add(Method::get, "/items/{id}",
                [](const Request& req, const PathParams& p) -> asio::awaitable<Response> {
                  boost::json::object o;
                  o["id"] = p.get("id");
                  o["page"] = req.query_param("page").value_or("");
                  co_return Response::json(200, boost::json::serialize(o));
                });
    router->add(Method::post, "/echo",
                [](const Request& req, const PathParams&) -> asio::awaitable<Response> {
                  auto body = parse_json_object(req);
                  if (!body) co_return error_response(body.error());
                  co_return Response::json(200, boost::json::serialize(*body));
                });
    router->add(Method::get, "/boom",
                [](const Request&, const PathParams&) -> asio::awaitable<Response> {
                  throw std::runtime_error("kaboom");
                  co_return Response{};
                });
    router->add(Method::get, "/slow",
                [this](const Request&, const PathParams&) -> asio::awaitable<Response> {
                  ++handlers_entered_;
                  asio::steady_timer t(co_await asio::this_coro::executor, 300ms);
                  co_await t.async_wait(asio::use_awaitable);
                  co_return Response::json(200, R"({"slow":true})");
                });

    router->add(Method::get, "/stall",
                [this](const Request&, const PathParams&) -> asio::awaitable<Response> {
                  ++handlers_entered_;
                  asio::steady_timer t(co_await asio::this_coro::executor, 5s);
                  co_await t.async_wait(asio::use_awaitable);
                  co_return Response::json(200, R"({"stalled":true})");
                });

    router->add(Method::get, "/stream",
                [this](const Request&, const PathParams&) -> asio::awaitable<Response> {
                  auto events = std::make_shared<EventStream>(co_await asio::this_coro::executor);
                  events->send("data: 1\n\n");
                  {
                    std::lock_guard lock(stream_mutex_);
                    stream_ = events;
                  }
                  Response r;
                  r.content_type = "text/event-stream";
                  r.headers.emplace_back("Cache-Control", "no-store");
                  r.stream = events;
                  co_return r;
                });

    opts.service = "test";
    opts.address = "127.0.0.1";
    opts.port = 0;
    server_ = std::make_unique<Server>(ioc_, opts, router, registry_);
    server_->start();
    port_ = server_->local_endpoint().port();
    thread_ = std::thread([this] { ioc_.run(); });
  }

  // Waits (bounded) until a /slow or /stall handler is running: an event,
  // not a guess at how long the request takes to get there.
  bool WaitForHandler(int count = 1) {
    const auto deadline = Clock::now() + 10s;
    while (handlers_entered_ < count && Clock::now() < deadline) {
      std::this_thread::sleep_for(1ms);
    }
    return handlers_entered_ >= count;
  }

  // Graceful shutdown on the server's thread; bounded wait.
  std::future<void> BeginShutdown() {
    shut_down_ = true;
    return asio::co_spawn(ioc_, server_->shutdown(), asio::use_future);
  }

  void TearDown() override {
    if (server_ && !shut_down_) {
      auto done = BeginShutdown();
      EXPECT_EQ(done.wait_for(5s), std::future_status::ready);
    }
    work_.reset();
    ioc_.stop();
    if (thread_.joinable()) thread_.join();
    server_.reset();
  }

  asio::io_context ioc_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(ioc_);
  metrics::Registry registry_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  std::uint16_t port_ = 0;
  bool shut_down_ = false;
  std::atomic<int> handlers_entered_{0};
  std::mutex stream_mutex_;
  std::shared_ptr<EventStream> stream_;  // the last /stream answer's
};

TEST_F(HttpServer, KeepAliveServesTwoRequestsOnOneConnection) {
  Start();
  Client c(port_);
  ASSERT_FALSE(c.connect());
  for (int i = 0; i < 2; ++i) {
    bhttp::response<bhttp::string_body> res;
    ASSERT_EQ(c.request(get("/hello"), res), "") << "request " << i;
    EXPECT_EQ(res.result_int(), 200u);
    EXPECT_EQ(res.body(), R"({"hello":"world"})");
    EXPECT_EQ(res[bhttp::field::server], "shopfloor");
    EXPECT_EQ(res[bhttp::field::content_type], "application/json");
    EXPECT_EQ(res["X-Cache"], "MISS");
    EXPECT_TRUE(is_generated_id(res["X-Request-Id"])) << res["X-Request-Id"];
    EXPECT_TRUE(res.keep_alive());
  }
}

TEST_F(HttpServer, PipelinedRequestsAnsweredInOrder) {
  Start();
  Client c(port_);
  ASSERT_FALSE(c.connect());
  ASSERT_FALSE(c.send(get("/items/1") + get("/items/2?page=3")));
  bhttp::response<bhttp::string_body> a, b;
  ASSERT_FALSE(c.read(a));
  ASSERT_FALSE(c.read(b));
  EXPECT_EQ(json_of(a.body()).at("id").as_string(), "1");
  EXPECT_EQ(json_of(b.body()).at("id").as_string(), "2");
  EXPECT_EQ(json_of(b.body()).at("page").as_string(), "3");
}

TEST_F(HttpServer, MalformedRequestLineGets400AndClose) {
  Start();
  Client c(port_);
  ASSERT_FALSE(c.connect());
  bhttp::response<bhttp::string_body> res;
  ASSERT_EQ(c.request("GET /hello HTTP/1.1 extra\r\nHost: x\r\n\r\n", res), "");
  EXPECT_EQ(res.result_int(), 400u);
  EXPECT_EQ(res[bhttp::field::content_type], "application/json");
  EXPECT_EQ(json_of(res.body()).at("error").at("code").as_string(), "malformed_request");
  EXPECT_TRUE(is_generated_id(res["X-Request-Id"]));
  EXPECT_FALSE(res.keep_alive());
  EXPECT_TRUE(c.closed_within(2000ms));
}

TEST_F(HttpServer, MalformedTargetGets400AndConnectionStays) {
  Start();
  Client c(port_);
  ASSERT_FALSE(c.connect());
  bhttp::response<bhttp::string_body> res;
  ASSERT_EQ(c.request(get("/items/%zz"), res), "");
  EXPECT_EQ(res.result_int(), 400u);
  EXPECT_EQ(json_of(res.body()).at("error").at("code").as_string(), "malformed_target");
  ASSERT_EQ(c.request(get("/items/ok"), res), "");
  EXPECT_EQ(res.result_int(), 200u);
}

TEST_F(HttpServer, DeclaredBodyOverLimitGets413AndClose) {
  ServerOptions opts;
  opts.body_limit = 1024;
  Start(opts);
  Client c(port_);
  ASSERT_FALSE(c.connect());
  // The client starts uploading; the server answers from the header alone.
  const std::string head =
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "X-Request-Id: upload-1\r\nContent-Length: 5000\r\n\r\n";
  bhttp::response<bhttp::string_body> res;
  ASSERT_EQ(c.request(head + std::string(2000, ' '), res), "");
  EXPECT_EQ(res.result_int(), 413u);
  EXPECT_EQ(json_of(res.body()).at("error").at("code").as_string(), "payload_too_large");
  EXPECT_EQ(res["X-Request-Id"], "upload-1");
  EXPECT_FALSE(res.keep_alive());
  EXPECT_TRUE(c.closed_within(3000ms));
}

TEST_F(HttpServer, ChunkedBodyOverLimitGets413) {
  ServerOptions opts;
  opts.body_limit = 1024;
  Start(opts);
  Client c(port_);
  ASSERT_FALSE(c.connect());
  const std::string req =
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n\r\n800\r\n" +
      std::string(0x800, ' ') + "\r\n0\r\n\r\n";
  bhttp::response<bhttp::string_body> res;
  ASSERT_EQ(c.request(req, res), "");
  EXPECT_EQ(res.result_int(), 413u);
  EXPECT_TRUE(c.closed_within(3000ms));
}

TEST_F(HttpServer, BodyWithinLimitIsServed) {
  ServerOptions opts;
  opts.body_limit = 1024;
  Start(opts);
  Client c(port_);
  ASSERT_FALSE(c.connect());
  const std::string body = R"({"quantity":120,"note":"x"})";
  bhttp::response<bhttp::string_body> res;
  ASSERT_EQ(c.request("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      "Content-Length: " +
                          std::to_string(body.size()) + "\r\n\r\n" + body,
                      res),
            "");
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(json_of(res.body()).at("quantity").as_int64(), 120);

  // Wrong content type: the handler's parse_json_object answers 415.
  ASSERT_EQ(c.request("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                      "Content-Length: 2\r\n\r\n{}",
                      res),
            "");
  EXPECT_EQ(res.result_int(), 415u);
}

TEST_F(HttpServer, ExpectContinueIsHonoured) {
  Start();
  Client c(port_);
  ASSERT_FALSE(c.connect());
  const std::string body = R"({"a":1})";
  ASSERT_FALSE(
      c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
             "Expect: 100-continue\r\nContent-Length: " +
             std::to_string(body.size()) + "\r\n\r\n"));
  bhttp::response<bhttp::string_body> interim;
  ASSERT_FALSE(c.read(interim));
  EXPECT_EQ(interim.result_int(), 100u);
  ASSERT_FALSE(c.send(body));
  bhttp::response<bhttp::string_body> res;
  ASSERT_FALSE(c.read(res));
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res.body(), body);
}

TEST_F(HttpServer, SilentClientIsClosedAfterHeaderTimeoutWhileOthersAreServed) {
  // Long enough that "served promptly" (under half of it) holds on a loaded
  // 2-core machine under ASan, yet a server that let the stalled clients hold
  // up the busy one would make it wait the whole header timeout.
  ServerOptions opts;
  opts.header_timeout = 2000ms;
  Start(opts);
  Client silent(port_);
  Client stalled(port_);
  ASSERT_FALSE(silent.connect());
  ASSERT_FALSE(stalled.connect());
  const auto t0 = Clock::now();
  ASSERT_FALSE(stalled.send("GET /hello HTTP/1.1\r\nHost:"));  // never finishes its headers

  // Meanwhile another client is served promptly, again and again.
  Client busy(port_);
  ASSERT_FALSE(busy.connect());
  for (int i = 0; i < 5; ++i) {
    const auto r0 = Clock::now();
    bhttp::response<bhttp::string_body> res;
    ASSERT_EQ(busy.request(get("/hello"), res), "");
    EXPECT_EQ(res.result_int(), 200u);
    EXPECT_LT(Clock::now() - r0, 1000ms) << "request " << i << " was held up";
  }

  EXPECT_TRUE(silent.closed_within(10000ms));
  const auto waited = Clock::now() - t0;
  EXPECT_GE(waited, 1900ms);  // not before its header timeout (it connected just before t0)
  EXPECT_LT(waited, 10000ms);
  EXPECT_TRUE(stalled.closed_within(5000ms));
  // The busy client's keep-alive connection is unaffected (idle_timeout is 60 s).
  bhttp::response<bhttp::string_body> res;
  ASSERT_EQ(busy.request(get("/hello"), res), "");
  EXPECT_EQ(res.result_int(), 200u);
}

TEST_F(HttpServer, IdleKeepAliveConnectionClosedAfterIdleTimeout) {
  ServerOptions opts;
  opts.idle_timeout = 300ms;
  Start(opts);
  Client c(port_);
  ASSERT_FALSE(c.connect());
  bhttp::response<bhttp::string_body> res;
  ASSERT_EQ(c.request(get("/hello"), res), "");
  const auto t0 = Clock::now();
  EXPECT_TRUE(c.closed_within(3000ms));
  EXPECT_GE(Clock::now() - t0, 250ms);
}

TEST_F(HttpServer, RequestIdEchoedWhenSaneElseGenerated) {
  Start();
  Client c(port_);
  ASSERT_FALSE(c.connect());
  bhttp::response<bhttp::string_body> res;
  ASSERT_EQ(c.request(get("/hello", "X-Request-Id: client-id-42\r\n"), res), "");
  EXPECT_EQ(res["X-Request-Id"], "client-id-42");

  ASSERT_EQ(c.request(get("/hello", "X-Request-Id: has space\r\n"), res), "");
  EXPECT_TRUE(is_generated_id(res["X-Request-Id"])) << res["X-Request-Id"];

  ASSERT_EQ(c.request(get("/hello", "X-Request-Id: " + std::string(129, 'a') + "\r\n"), res), "");
  EXPECT_TRUE(is_generated_id(res["X-Request-Id"]));

  ASSERT_EQ(c.request(get("/hello"), res), "");
  const std::string first(res["X-Request-Id"]);
  ASSERT_EQ(c.request(get("/hello"), res), "");
  EXPECT_TRUE(is_generated_id(first));
  EXPECT_NE(first, std::string(res["X-Request-Id"]));

  // Error answers carry it too.
  ASSERT_EQ(c.request(get("/nowhere", "X-Request-Id: lost-1\r\n"), res), "");
  EXPECT_EQ(res.result_int(), 404u);
  EXPECT_EQ(res["X-Request-Id"], "lost-1");
}

TEST_F(HttpServer, ThrowingHandlerGets500AndServerKeepsServing) {
  Start();
  {
    Client c(port_);
    ASSERT_FALSE(c.connect());
    bhttp::response<bhttp::string_body> res;
    ASSERT_EQ(c.request(get("/boom"), res), "");
    EXPECT_EQ(res.result_int(), 500u);
    const auto err = json_of(res.body()).at("error").as_object();
    EXPECT_EQ(err.at("code").as_string(), "internal_error");
    EXPECT_EQ(res.body().find("kaboom"), std::string::npos);  // detail only in the log
    EXPECT_TRUE(is_generated_id(res["X-Request-Id"]));
    EXPECT_TRUE(c.closed_within(2000ms));
  }
  Client next(port_);
  ASSERT_FALSE(next.connect());
  bhttp::response<bhttp::string_body> res;
  ASSERT_EQ(next.request(get("/hello"), res), "");
  EXPECT_EQ(res.result_int(), 200u);
}

TEST_F(HttpServer, NotFoundAndMethodNotAllowedEnvelopes) {
  Start();
  Client c(port_);
  ASSERT_FALSE(c.connect());
  bhttp::response<bhttp::string_body> res;
  ASSERT_EQ(c.request(get("/nowhere"), res), "");
  EXPECT_EQ(res.result_int(), 404u);
  EXPECT_EQ(json_of(res.body()).at("error").at("code").as_string(), "not_found");

  ASSERT_EQ(c.request("DELETE /hello HTTP/1.1\r\nHost: x\r\n\r\n", res), "");
  EXPECT_EQ(res.result_int(), 405u);
  EXPECT_EQ(res[bhttp::field::allow], "GET, HEAD");
  EXPECT_EQ(json_of(res.body()).at("error").at("code").as_string(), "method_not_allowed");
  EXPECT_TRUE(res.keep_alive());
}

TEST_F(HttpServer, HeadIsGetWithoutBody) {
  Start();
  Client c(port_);
  ASSERT_FALSE(c.connect());
  ASSERT_FALSE(c.send("HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  bhttp::response<bhttp::string_body> res;
  ASSERT_FALSE(c.read(res, /*head=*/true));
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res[bhttp::field::content_length],
            std::to_string(std::string(R"({"hello":"world"})").size()));
  EXPECT_TRUE(res.body().empty());
  EXPECT_TRUE(is_generated_id(res["X-Request-Id"]));
  // The connection is still in sync: no stray body bytes.
  ASSERT_EQ(c.request(get("/hello"), res), "");
  EXPECT_EQ(res.body(), R"({"hello":"world"})");
}

TEST_F(HttpServer, MetricsUseRoutePatternsNotPaths) {
  Start();
  Client c(port_);
  ASSERT_FALSE(c.connect());
  bhttp::response<bhttp::string_body> res;
  ASSERT_EQ(c.request(get("/items/1"), res), "");
  ASSERT_EQ(c.request(get("/items/2"), res), "");
  ASSERT_EQ(c.request(get("/nowhere/3"), res), "");
  // The server records a request after its answer is written, so the client
  // may be a moment ahead: wait (bounded) for the last one to be counted.
  const std::string last_count =
      "shopfloor_http_requests_total{method=\"GET\",route=\"unmatched\","
      "service=\"test\",status=\"404\"} 1\n";
  std::string text = registry_.render();
  for (int i = 0; i < 100 && text.find(last_count) == std::string::npos; ++i) {
    std::this_thread::sleep_for(10ms);
    text = registry_.render();
  }
  EXPECT_NE(text.find("shopfloor_http_requests_total{method=\"GET\",route=\"/items/{id}\","
                      "service=\"test\",status=\"200\"} 2\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("shopfloor_http_requests_total{method=\"GET\",route=\"unmatched\","
                      "service=\"test\",status=\"404\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("shopfloor_http_request_duration_seconds_count{route=\"/items/{id}\","
                      "service=\"test\"} 2\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("/items/1"), std::string::npos);
  EXPECT_NE(text.find("shopfloor_http_connections_active{service=\"test\"} 1\n"), std::string::npos)
      << text;
}

TEST_F(HttpServer, GracefulShutdownFinishesInFlightRequest) {
  Start();
  Client idle(port_);
  ASSERT_FALSE(idle.connect());
  bhttp::response<bhttp::string_body> res;
  ASSERT_EQ(idle.request(get("/hello"), res), "");  // now an idle keep-alive connection

  Client slow(port_);
  ASSERT_FALSE(slow.connect());
  ASSERT_FALSE(slow.send(get("/slow")));
  ASSERT_TRUE(WaitForHandler());  // the handler is now sleeping its 300 ms

  const auto t0 = Clock::now();
  auto done = BeginShutdown();

  // The idle connection is closed at once, not after its 60 s idle_timeout.
  EXPECT_TRUE(idle.closed_within(1000ms));
  EXPECT_LT(Clock::now() - t0, 1000ms);

  // The listener is closed: new connections are refused.
  Client late(port_);
  EXPECT_EQ(late.connect(), asio::error::connection_refused);

  // The in-flight request still gets its answer, marked as the last one.
  bhttp::response<bhttp::string_body> slow_res;
  ASSERT_FALSE(slow.read(slow_res));
  EXPECT_EQ(slow_res.result_int(), 200u);
  EXPECT_EQ(slow_res.body(), R"({"slow":true})");
  EXPECT_FALSE(slow_res.keep_alive());
  EXPECT_TRUE(slow.closed_within(1000ms));

  ASSERT_EQ(done.wait_for(5s), std::future_status::ready);
  done.get();
  // Done when the last connection ended, not at drain_timeout (10 s).
  EXPECT_LT(Clock::now() - t0, 5000ms);
}

TEST_F(HttpServer, ShutdownEscalatesAfterDrainTimeout) {
  ServerOptions opts;
  opts.drain_timeout = 100ms;
  Start(opts);
  Client stalled(port_);
  ASSERT_FALSE(stalled.connect());
  ASSERT_FALSE(stalled.send(get("/stall")));
  ASSERT_TRUE(WaitForHandler());
  const auto t0 = Clock::now();
  auto done = BeginShutdown();
  ASSERT_EQ(done.wait_for(3s), std::future_status::ready);
  done.get();
  // The 5 s handler was cancelled after drain_timeout (~100 ms), well before
  // it would have finished, and its connection closed.
  const auto took = Clock::now() - t0;
  EXPECT_GE(took, 90ms);
  EXPECT_LT(took, 3s);
  EXPECT_TRUE(stalled.closed_within(1000ms));
}

TEST_F(HttpServer, EventStreamIsWrittenAsItComesAndEndedByShutdown) {
  Start();  // drain_timeout 10 s: an open stream must not hold shutdown that long
  Client c(port_);
  ASSERT_FALSE(c.connect());
  ASSERT_FALSE(c.send(get("/stream")));
  std::string got = c.read_until("data: 1\n\n");
  ASSERT_NE(got.find("data: 1\n\n"), std::string::npos) << got;
  EXPECT_EQ(got.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << got;
  EXPECT_NE(got.find("Content-Type: text/event-stream\r\n"), std::string::npos);
  EXPECT_NE(got.find("Connection: close\r\n"), std::string::npos);
  EXPECT_EQ(got.find("Content-Length"), std::string::npos);

  std::shared_ptr<EventStream> events;
  {
    std::lock_guard lock(stream_mutex_);
    events = stream_;
  }
  ASSERT_TRUE(events);
  events->send("data: 2\n\n");  // from this (another) thread
  got = c.read_until("data: 2\n\n");
  EXPECT_NE(got.find("data: 2\n\n"), std::string::npos);

  const auto t0 = Clock::now();
  auto done = BeginShutdown();
  EXPECT_TRUE(c.closed_within(1000ms));
  ASSERT_EQ(done.wait_for(2s), std::future_status::ready);
  done.get();
  EXPECT_LT(Clock::now() - t0, 1000ms);
  EXPECT_EQ(events->reason(), EventStream::Reason::shutdown);
}

TEST_F(HttpServer, HeadOfAStreamingRouteIsAnOrdinaryAnswer) {
  Start();
  Client c(port_);
  ASSERT_FALSE(c.connect());
  ASSERT_FALSE(c.send("HEAD /stream HTTP/1.1\r\nHost: test\r\n\r\n"));
  bhttp::response<bhttp::string_body> res;
  ASSERT_FALSE(c.read(res, true));
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_TRUE(res.keep_alive());
}

}  // namespace
}  // namespace shopfloor::http
