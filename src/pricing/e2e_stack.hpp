// Test support for the service modules' *_e2etest.cpp (pricing, shop): one shard built
// in process the way the app builds it — real pg::Pool, real redis::Client (TLS, ACL)
// + cache::RedisBackend under a unique prefix sf:test:<random>:, Engine, Authenticator
// (admin token "test-admin-token"), the module's Service with its routes on an
// http::Server (port 0) and a pg::Listener wired to its change feeds — running on a
// background thread, so a test talks plain blocking HTTP to it (tests/http_client.hpp).
//
// Settings come from .run/env.sh (scripts/devenv.sh). A missing one throws from the
// constructor with a message naming it; tests construct the stack in SetUp and turn
// that into GTEST_FAIL: the test command always provides them.
//
// Thread-safety: test-only. Every object of the stack lives on its io thread; the test
// thread reaches them only through on_io(), which posts and waits (bounded).
#pragma once

// First, before anything declares std::exchange: its unqualified exchange(port, raw)
// call would otherwise find std::exchange by ADL and not compile (see the report).
#include "tests/http_client.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "pg/change_feed.hpp"
#include "auth/authenticator.hpp"
#include "cache/cache.hpp"
#include "cache/redis_backend.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "metrics/registry.hpp"
#include "pg/listener.hpp"
#include "pg/pool.hpp"
#include "redis/client.hpp"

namespace shopfloor::e2etest {

namespace asio = boost::asio;
using namespace std::chrono_literals;

inline constexpr const char* kAdminToken = "test-admin-token";

inline std::string env(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) {
    throw std::runtime_error(std::string("missing environment variable ") + name +
                             " (source .run/env.sh written by scripts/devenv.sh start)");
  }
  return v;
}

inline std::string file_text(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

inline std::string random_id() {
  std::mt19937_64 gen(std::random_device{}());
  static constexpr char hex[] = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 10; ++i) s += hex[gen() % 16];
  return s;
}

inline pg::Options pg_options(const std::string& id) {
  pg::Options o;
  o.host = env("SHOPFLOOR_DB_HOST");
  o.port = static_cast<std::uint16_t>(std::stoi(env("SHOPFLOOR_DB_PORT")));
  o.dbname = env("SHOPFLOOR_DB_NAME");
  o.user = env("SHOPFLOOR_DB_USER");
  o.password = file_text(env("SHOPFLOOR_DB_PASSWORD_FILE"));
  o.application_name = "sf_e2etest_" + id;
  o.connect_backoff = 50ms;
  return o;
}

inline redis::Options redis_options() {
  redis::Options o;
  o.host = env("SHOPFLOOR_REDIS_HOST");
  o.port = static_cast<std::uint16_t>(std::stoi(env("SHOPFLOOR_REDIS_PORT")));
  o.tls = env("SHOPFLOOR_REDIS_TLS") == "true";
  o.ca_file = env("SHOPFLOOR_REDIS_CA_FILE");
  o.server_name = env("SHOPFLOOR_REDIS_SERVER_NAME");
  o.user = env("SHOPFLOOR_REDIS_USER");
  o.password = file_text(env("SHOPFLOOR_REDIS_PASSWORD_FILE"));
  o.reconnect_max = 300ms;
  return o;
}

// `$SHOPFLOOR_DEVENV <action>`; true on success.
inline bool devenv(const char* action) {
  const std::string cmd = env("SHOPFLOOR_DEVENV") + " " + action + " >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

// Stops Redis for its lifetime; starts it again however the test ends.
class RedisOutage {
 public:
  RedisOutage() { stopped_ = devenv("redis-stop"); }
  ~RedisOutage() { devenv("redis-start"); }
  bool stopped() const { return stopped_; }

 private:
  bool stopped_ = false;
};

// One shard running `Service` (constructible from its Deps, with add_routes(Router&)
// and change_feeds()).
template <class Service, class Deps, class Policies>
class ServiceStack {
 public:
  explicit ServiceStack(std::string service_label)
      : id_(random_id()),
        pg_options_(pg_options(id_)),
        prefix_("sf:test:" + id_ + ":"),
        policies_(test_policies()),
        work_(ioc_.get_executor()),
        redis_(ioc_.get_executor(), redis_options()),
        backend_(redis_, prefix_),
        engine_(ioc_.get_executor(), backend_, std::make_shared<cache::InvalidationLedger>(),
                engine_options()),
        db_(ioc_.get_executor(), pg_options_),
        token_cache_(engine_, "token", auth::CachePolicies{}.token),
        auth_(db_, token_cache_, kAdminToken),
        service_(make_deps()) {
    auto router = std::make_shared<http::Router>();
    service_.add_routes(*router);
    http::ServerOptions so;
    so.service = std::move(service_label);
    so.port = 0;
    so.reuse_port = false;
    server_ = std::make_unique<http::Server>(ioc_, so, router, metrics::default_registry());
    server_->start();
    port_ = server_->local_endpoint().port();

    feeds_ = std::make_shared<std::vector<pg::ChangeFeed>>(service_.change_feeds());
    std::vector<std::string> channels;
    for (const auto& f : *feeds_) channels.push_back(f.channel);
    auto ex = ioc_.get_executor();
    auto feeds = feeds_;
    listener_ = std::make_unique<pg::Listener>(
        ex, pg_options_, channels,
        [this, feeds, ex](std::string_view channel, std::string_view payload) {
          last_payload_ = std::string(payload);
          for (auto& f : *feeds) {
            if (f.channel != channel) continue;
            ++notifications_delivered_;
            asio::co_spawn(ex, f.on_change(std::string(payload)),
                           [this](std::exception_ptr) { ++notifications_handled_; });
          }
        },
        [this, feeds, ex] {
          for (auto& f : *feeds) {
            ++resyncs_started_;
            asio::co_spawn(ex, f.on_resync(), [this](std::exception_ptr) { ++resyncs_handled_; });
          }
        });
    redis_.start();
    thread_ = std::thread([this] { ioc_.run(); });
    // Listen only once Redis is up: the first resync's retirements would otherwise be
    // deferred to the ledger and make the first lookups BYPASS (correct, but noise
    // for tests that count HIT and MISS).
    const bool up = wait_for([this] { return redis_.connected(); }, 10s) &&
                    on_io([this] {
                      listener_->start();
                      return true;
                    }) &&
                    wait_for([this] { return listener_->listening() && resyncs_started_ > 0 &&
                                               resyncs_handled_ == resyncs_started_; }, 10s);
    if (!up) {
      stop();
      throw std::runtime_error("the stack did not connect to Redis and PostgreSQL within 10 s");
    }
  }

  ~ServiceStack() { stop(); }

  // Graceful: the server drains, the listener, Redis and the pool close on the io
  // thread, then the thread ends. Idempotent.
  void stop() {
    if (!thread_.joinable()) return;
    auto stopped = std::make_shared<std::promise<void>>();
    auto done = stopped->get_future();
    asio::co_spawn(
        ioc_,
        [this]() -> asio::awaitable<void> {
          co_await server_->shutdown();
          listener_->stop();
          redis_.stop();
          db_.close();
        },
        [stopped](std::exception_ptr) { stopped->set_value(); });
    done.wait_for(15s);
    work_.reset();
    ioc_.stop();
    if (thread_.joinable()) thread_.join();
  }

  int port() const { return port_; }
  const std::string& id() const { return id_; }
  const std::string& prefix() const { return prefix_; }
  pg::Pool& db() { return db_; }
  redis::Client& redis() { return redis_; }
  Service& service() { return service_; }

  // Runs f on the io thread and returns its value (bounded wait).
  template <class F>
  auto on_io(F f) -> decltype(f()) {
    auto task = std::make_shared<std::packaged_task<decltype(f())()>>(std::move(f));
    auto result = task->get_future();
    asio::post(ioc_, [task] { (*task)(); });
    if (result.wait_for(30s) != std::future_status::ready) throw std::runtime_error("io thread stuck");
    return result.get();
  }

  // Polls `done` on the io thread every 10 ms until it holds or `limit` passes.
  bool wait_for(std::function<bool()> done, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (on_io(done)) return true;
      std::this_thread::sleep_for(10ms);
    }
    return on_io(done);
  }

  // Waits until every notification sent before this call has been handled by the
  // change feeds (a NOTIFY of our own goes last; notifications arrive in order), so
  // retirements caused by a test's own setup cannot land in the middle of the test.
  void settle_notifications() {
    const std::string marker = "e2e-barrier-" + random_id();
    for (const auto& f : *feeds_) sql("SELECT pg_notify($1, $2)", pg::params(f.channel, marker));
    if (!wait_for([&] { return last_payload_ == marker && notifications_handled_ == notifications_delivered_; },
                  5s)) {
      throw std::runtime_error("change feeds did not handle the notifications within 5 s");
    }
  }

  // Runs one statement on the stack's pool; throws with the server's message on error.
  pg::Rows sql(const std::string& statement, pg::Params params = {}) {
    // (A promise rather than asio::use_future: g++ 12 -O1 -Werror trips on a false
    // maybe-uninitialized inside use_future.)
    using Answer = pg::PgResult<pg::Rows>;
    auto answer = std::make_shared<std::promise<Answer>>();
    auto fut = answer->get_future();
    asio::co_spawn(
        ioc_,
        [this, statement, params]() -> asio::awaitable<Answer> { co_return co_await db_.query(statement, params); },
        [answer](std::exception_ptr e, Answer r) {
          if (e) answer->set_exception(e);
          else answer->set_value(std::move(r));
        });
    if (fut.wait_for(30s) != std::future_status::ready) throw std::runtime_error("sql stuck");
    auto r = fut.get();
    if (!r) throw std::runtime_error("SQL failed: " + pg::to_string(r.error()) + ": " + statement);
    return std::move(*r);
  }

  // A partner token stored the way POST /tokens stores it (hash only); removed by the
  // destructor of the returned guard.
  struct PartnerToken {
    ServiceStack* stack;
    std::string name, secret;
    ~PartnerToken() {
      try {
        stack->sql("DELETE FROM api_tokens WHERE name = $1", pg::params(name));
      } catch (...) {
      }
    }
  };
  std::unique_ptr<PartnerToken> partner_token() {
    auto t = std::make_unique<PartnerToken>(PartnerToken{this, "sf-test-" + id_, "sft_test_" + random_id() + random_id()});
    sql("INSERT INTO api_tokens (name, role, token_hash) VALUES ($1, 'partner', $2)",
        pg::params(t->name, auth::Authenticator::token_hash(t->secret)));
    return t;
  }

  // HTTP helpers (one connection per request).
  e2e::HttpAnswer request(const std::string& method, const std::string& target,
                          const std::string& body = "", const std::string& token = kAdminToken,
                          std::string extra_headers = "") {
    if (!token.empty()) extra_headers += "Authorization: Bearer " + token + "\r\n";
    auto a = e2e::request(port_, method, target, body, extra_headers);
    if (!a) throw std::runtime_error("cannot connect to the test server");
    return *a;
  }

 private:
  static Policies test_policies() { return {}; }  // the app's defaults

  Deps make_deps() {
    if constexpr (requires { Deps{db_, engine_, policies_, auth_}; }) return Deps{db_, engine_, policies_, auth_};
    else return Deps{db_, engine_, policies_};
  }

  static cache::EngineOptions engine_options() {
    cache::EngineOptions o;
    // Generous: a Debug/sanitizer build on a busy 2-core machine must not turn a
    // healthy Redis into spurious BYPASS answers.
    o.op_timeout = 250ms;
    return o;
  }

  std::string id_;
  pg::Options pg_options_;
  std::string prefix_;
  Policies policies_;
  asio::io_context ioc_{1};
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  redis::Client redis_;
  cache::RedisBackend backend_;
  cache::Engine engine_;
  pg::Pool db_;
  cache::Cache token_cache_;
  auth::Authenticator auth_;
  Service service_;
  std::unique_ptr<http::Server> server_;
  std::shared_ptr<std::vector<pg::ChangeFeed>> feeds_;
  std::unique_ptr<pg::Listener> listener_;
  std::thread thread_;
  int port_ = 0;
  // Io thread only.
  std::string last_payload_;
  std::uint64_t notifications_delivered_ = 0;
  std::uint64_t notifications_handled_ = 0;
  std::uint64_t resyncs_started_ = 0;
  std::uint64_t resyncs_handled_ = 0;
};

}  // namespace shopfloor::e2etest
