// Test support for *_pgtest.cpp: the real server's settings and a way to run
// coroutines from a test body.
//
// Settings come from the environment scripts/devenv.sh writes (.run/env.sh):
// SHOPFLOOR_DB_HOST, _PORT, _NAME, _USER, _PASSWORD_FILE. A missing one fails
// the test (GTEST_FAIL in SetUp) with a message naming it: the test command
// always provides them, so silence would hide a broken setup.
//
// Every test gets a unique id (`id_`) for its application_name, tables and
// channels, because tests of several executables run in parallel against the
// same database.
//
// Thread-safety: test-only; single-threaded.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <functional>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "pg/options.hpp"

namespace shopfloor::pg::pgtest {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

inline std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  std::string text = s.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

// Options for the app role, or nullopt with `why` naming what is missing.
inline std::optional<Options> options_from_env(std::string& why) {
  auto get = [&why](const char* name) -> std::string {
    const char* v = std::getenv(name);
    if (!v || !*v) {
      why += std::string(why.empty() ? "" : ", ") + name;
      return {};
    }
    return v;
  };
  Options o;
  o.host = get("SHOPFLOOR_DB_HOST");
  std::string port = get("SHOPFLOOR_DB_PORT");
  o.dbname = get("SHOPFLOOR_DB_NAME");
  o.user = get("SHOPFLOOR_DB_USER");
  std::string password_file = get("SHOPFLOOR_DB_PASSWORD_FILE");
  if (!why.empty()) {
    why = "missing environment: " + why + " (source .run/env.sh from scripts/devenv.sh start)";
    return std::nullopt;
  }
  o.port = static_cast<uint16_t>(std::stoi(port));
  o.password = read_text_file(password_file);
  if (o.password.empty()) {
    why = "SHOPFLOOR_DB_PASSWORD_FILE is empty or unreadable: " + password_file;
    return std::nullopt;
  }
  return o;
}

inline std::string random_id() {
  std::random_device rd;
  std::mt19937_64 gen(rd());
  static constexpr char hex[] = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 10; ++i) s += hex[gen() % 16];
  return s;
}

// Runs the io_context until `done()` holds; false if `limit` passed first.
inline bool run_until(asio::io_context& io, const std::function<bool()>& done,
                      std::chrono::milliseconds limit) {
  io.restart();
  const auto deadline = Clock::now() + limit;
  while (!done()) {
    auto now = Clock::now();
    if (now >= deadline) return false;
    if (io.run_one_for(std::min<Clock::duration>(deadline - now, 50ms)) == 0 && io.stopped()) {
      io.restart();
      if (done()) break;
      std::this_thread::sleep_for(5ms);  // nothing queued: do not spin
    }
  }
  return true;
}

// Lets `d` pass while running whatever background work (a Listener, a pool's
// rollback) the io_context has; returns after `d` even when it has none.
inline void run_for(asio::io_context& io, std::chrono::milliseconds d) {
  const auto deadline = Clock::now() + d;
  run_until(
      io, [&] { return Clock::now() >= deadline; }, d + 1000ms);
}

// Runs one awaitable to completion from a test body; throws if it takes longer
// than `limit` (the test fails with that message).
template <class T>
T run(asio::io_context& io, asio::awaitable<T> a, std::chrono::milliseconds limit = 30s) {
  std::optional<T> out;
  std::exception_ptr error;
  bool done = false;
  asio::co_spawn(
      io,
      [&out, aw = std::move(a)]() mutable -> asio::awaitable<void> {
        out.emplace(co_await std::move(aw));
      },
      [&](std::exception_ptr e) {
        error = e;
        done = true;
      });
  if (!run_until(
          io, [&] { return done; }, limit)) {
    throw std::runtime_error("operation did not finish within the test's time limit");
  }
  if (error) std::rethrow_exception(error);
  return std::move(*out);
}

inline void run(asio::io_context& io, asio::awaitable<void> a,
                std::chrono::milliseconds limit = 30s) {
  std::exception_ptr error;
  bool done = false;
  asio::co_spawn(io, std::move(a), [&](std::exception_ptr e) {
    error = e;
    done = true;
  });
  if (!run_until(
          io, [&] { return done; }, limit)) {
    throw std::runtime_error("operation did not finish within the test's time limit");
  }
  if (error) std::rethrow_exception(error);
}

inline long long ms_since(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

class PgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    auto o = options_from_env(why);
    if (!o) GTEST_FAIL() << why;
    opts_ = *o;
    id_ = random_id();
    opts_.application_name = "sf_test_" + id_;
  }

  template <class T>
  T run(asio::awaitable<T> a, std::chrono::milliseconds limit = 30s) {
    return pgtest::run(io_, std::move(a), limit);
  }
  void run(asio::awaitable<void> a, std::chrono::milliseconds limit = 30s) {
    pgtest::run(io_, std::move(a), limit);
  }
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
    return pgtest::run_until(io_, done, limit);
  }

  asio::io_context io_;
  Options opts_;
  std::string id_;
};

}  // namespace shopfloor::pg::pgtest
