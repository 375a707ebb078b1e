// Test support for mes_service_e2etest.cpp: one shard built in process the way the app
// builds it — real pg::Pool, real redis::Client (TLS, ACL) + cache::RedisBackend under a
// unique prefix sf:test:<random>:, Engine, Authenticator (admin token
// "test-admin-token"), mes::Service with its routes on an http::Server (port 0), and a
// pg::Listener wired to change_feeds() exactly as the app wires it — running on a
// background thread, so a test talks plain blocking HTTP to it (tests/http_client.hpp)
// and plain blocking SQL (SqlSession: "another system").
//
// Settings come from .run/env.sh (scripts/devenv.sh). A missing one throws from the
// constructor with a message naming it; the fixture turns that into a test failure.
//
// Thread-safety: test-only. Every object of the stack lives on its io thread; the test
// thread reaches them only through on_io(), which posts and waits (bounded).
#pragma once

// First, before anything declares std::exchange (its unqualified exchange(port, raw)
// call would otherwise also find std::exchange by argument-dependent lookup).
#include "tests/http_client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <libpq-fe.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <random>
#include <set>
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
#include "mes/service.hpp"
#include "metrics/registry.hpp"
#include "pg/listener.hpp"
#include "pg/pool.hpp"
#include "redis/client.hpp"

namespace shopfloor::mes::e2etest {

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
  o.application_name = "sf_mes_e2etest_" + id;
  o.connect_backoff = 50ms;
  o.connect_backoff_max = 200ms;
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

// co_spawn with a future (not asio::use_future: g++ 12 reports a false
// maybe-uninitialized inside it at -O1 with the sanitizers, and the tests build with
// -Werror).
template <class T>
std::future<T> spawn_future(asio::io_context& ioc, asio::awaitable<T> a) {
  auto promise = std::make_shared<std::promise<T>>();
  auto future = promise->get_future();
  asio::co_spawn(ioc, std::move(a), [promise](std::exception_ptr e, T value) {
    if (e) promise->set_exception(e);
    else promise->set_value(std::move(value));
  });
  return future;
}
inline std::future<void> spawn_future(asio::io_context& ioc, asio::awaitable<void> a) {
  auto promise = std::make_shared<std::promise<void>>();
  auto future = promise->get_future();
  asio::co_spawn(ioc, std::move(a), [promise](std::exception_ptr e) {
    if (e) promise->set_exception(e);
    else promise->set_value();
  });
  return future;
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
  ~RedisOutage() { restart(); }
  bool stopped() const { return stopped_; }
  bool restart() {
    if (!stopped_) return true;
    stopped_ = !devenv("redis-start");
    return !stopped_;
  }

 private:
  bool stopped_ = false;
};

// Stops PostgreSQL for its lifetime; starts it again however the test ends.
class PgOutage {
 public:
  PgOutage() { stopped_ = devenv("pg-stop"); }
  ~PgOutage() { restart(); }
  bool stopped() const { return stopped_; }
  bool restart() {
    if (!stopped_) return true;
    stopped_ = !devenv("pg-start");
    return !stopped_;
  }

 private:
  bool stopped_ = false;
};

// A blocking libpq session of its own: "another system" changing the database directly.
class SqlSession {
 public:
  SqlSession() {
    const pg::Options o = pg_options(random_id());
    const std::string port = std::to_string(o.port);
    const char* keys[] = {"host", "port", "dbname", "user", "password", "application_name", nullptr};
    const char* values[] = {o.host.c_str(), port.c_str(), o.dbname.c_str(), o.user.c_str(),
                            o.password.c_str(), "sf_mes_e2etest_other_system", nullptr};
    conn_ = PQconnectdbParams(keys, values, 0);
    if (PQstatus(conn_) != CONNECTION_OK) {
      std::string why = PQerrorMessage(conn_);
      PQfinish(conn_);
      throw std::runtime_error("cannot connect to PostgreSQL: " + why);
    }
  }
  ~SqlSession() { PQfinish(conn_); }
  SqlSession(const SqlSession&) = delete;
  SqlSession& operator=(const SqlSession&) = delete;

  // Runs one statement; returns the rows as text (NULL → ""); throws on error.
  std::vector<std::vector<std::string>> exec(const std::string& sql,
                                             const std::vector<std::string>& params = {}) {
    std::vector<const char*> values;
    for (const auto& p : params) values.push_back(p.c_str());
    PGresult* r = PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                               values.data(), nullptr, nullptr, 0);
    const auto status = PQresultStatus(r);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      std::string why = PQresultErrorMessage(r);
      PQclear(r);
      throw std::runtime_error("SQL failed: " + why + " in: " + sql);
    }
    std::vector<std::vector<std::string>> rows;
    for (int i = 0; i < PQntuples(r); ++i) {
      rows.emplace_back();
      for (int j = 0; j < PQnfields(r); ++j) rows.back().emplace_back(PQgetvalue(r, i, j));
    }
    PQclear(r);
    return rows;
  }
  std::string value(const std::string& sql, const std::vector<std::string>& params = {}) {
    auto rows = exec(sql, params);
    if (rows.empty() || rows[0].empty()) throw std::runtime_error("no value from: " + sql);
    return rows[0][0];
  }

 private:
  PGconn* conn_ = nullptr;
};

// One shard running mes::Service.
class ServiceStack {
 public:
  ServiceStack()
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
        service_(Deps{db_, engine_, policies_, auth_}) {
    auto router = std::make_shared<http::Router>();
    service_.add_routes(*router);
    http::ServerOptions so;
    so.service = "mes";
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
    auto resyncs = resyncs_;
    auto markers = markers_;
    auto pending = pending_changes_;
    listener_ = std::make_unique<pg::Listener>(
        ex, pg_options_, channels,
        [feeds, ex, markers, pending](std::string_view channel, std::string_view payload) {
          for (auto& f : *feeds) {
            if (f.channel != channel) continue;
            // As the app does; test markers ({"marker":…}) are remembered once processed,
            // and events still being processed are counted.
            std::string p(payload);
            ++*pending;
            asio::co_spawn(ex, f.on_change(p), [markers, pending, p](std::exception_ptr) {
              --*pending;
              if (p.rfind("{\"marker\"", 0) == 0) markers->insert(p);
            });
          }
        },
        [feeds, ex, resyncs] {
          for (auto& f : *feeds)
            asio::co_spawn(ex, f.on_resync(), [resyncs](std::exception_ptr) { ++*resyncs; });
        });
    redis_.start();
    listener_->start();
    thread_ = std::thread([this] { ioc_.run(); });
    if (!wait_for([this] { return redis_.connected() && listener_->listening() && *resyncs_ > 0; },
                  10s)) {
      stop();
      throw std::runtime_error("the stack did not connect to Redis and PostgreSQL within 10 s");
    }
  }

  ~ServiceStack() { stop(); }

  // Graceful: the server drains, the listener, Redis and the pool close on the io
  // thread, then the thread ends. Idempotent.
  void stop() {
    if (!thread_.joinable()) return;
    try {
      auto done = spawn_future(ioc_, shutdown_on_io());
      done.wait_for(15s);
    } catch (...) {
    }
    work_.reset();
    ioc_.stop();
    if (thread_.joinable()) thread_.join();
  }

  int port() const { return port_; }
  const std::string& id() const { return id_; }
  redis::Client& redis() { return redis_; }
  cache::Engine& engine() { return engine_; }
  pg::Listener& listener() { return *listener_; }
  int resyncs() { return on_io([this] { return *resyncs_; }); }
  // The same, for code already on the io thread (wait_for's predicate).
  int resyncs_on_io() const { return *resyncs_; }
  // Call on the io thread (wait_for does): whether this marker notification, and every
  // notification received before it, has been processed.
  bool processed(const std::string& marker) const {
    return markers_->contains(marker) && *pending_changes_ == 0;
  }

  // Runs f on the io thread and returns its value (bounded wait).
  template <class F>
  auto on_io(F f) -> decltype(f()) {
    auto task = std::make_shared<std::packaged_task<decltype(f())()>>(std::move(f));
    auto result = task->get_future();
    asio::post(ioc_, [task] { (*task)(); });
    if (result.wait_for(30s) != std::future_status::ready) throw std::runtime_error("io thread stuck");
    return result.get();
  }

  // Runs a coroutine on the io thread to completion (bounded wait).
  void run_io(std::function<asio::awaitable<void>()> make) {
    auto fut = spawn_future(ioc_, make());
    if (fut.wait_for(30s) != std::future_status::ready) throw std::runtime_error("io coroutine stuck");
    fut.get();
  }

  // The change feeds as the app's listener sees them.
  std::vector<pg::ChangeFeed>& feeds() { return *feeds_; }

  // Polls `done` on the io thread every 10 ms until it holds or `limit` passes.
  bool wait_for(std::function<bool()> done, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (on_io(done)) return true;
      std::this_thread::sleep_for(10ms);
    }
    return on_io(done);
  }

  // One HTTP request (its own connection).
  e2e::HttpAnswer request(const std::string& method, const std::string& target,
                          const std::string& body = "", const std::string& token = kAdminToken,
                          std::string extra_headers = "") {
    if (!token.empty()) extra_headers += "Authorization: Bearer " + token + "\r\n";
    auto a = e2e::request(port_, method, target, body, extra_headers);
    if (!a) throw std::runtime_error("cannot connect to the test server");
    return *a;
  }

 private:
  asio::awaitable<void> shutdown_on_io() {
    co_await server_->shutdown();
    listener_->stop();
    redis_.stop();
    db_.close();
  }

  static CachePolicies test_policies() { return {}; }  // the app's defaults

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
  CachePolicies policies_;
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
  std::shared_ptr<int> resyncs_ = std::make_shared<int>(0);
  std::shared_ptr<std::set<std::string>> markers_ = std::make_shared<std::set<std::string>>();
  std::shared_ptr<int> pending_changes_ = std::make_shared<int>(0);
  std::unique_ptr<pg::Listener> listener_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace shopfloor::mes::e2etest
