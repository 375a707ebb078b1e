// Test support for *_pgtest.cpp: the PgTest fixture, on the shared test support
// (src/testing/): the real server's settings (testing::pg_options) and the run helpers
// (testing/run.hpp), brought into pgtest:: so test bodies say run(...), run_until(...).
//
// A missing setting fails the test (GTEST_FAIL in SetUp) with a message naming it: the
// test command always provides them, so silence would hide a broken setup.
//
// Every test gets a unique id (`id_`) for its application_name, tables and channels,
// because tests of several executables run in parallel against the same database.
//
// Thread-safety: test-only; single-threaded.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>

#include "pg/options.hpp"
#include "testing/run.hpp"
#include "testing/settings.hpp"

namespace shopfloor::pg::pgtest {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using shopfloor::testing::Clock;
using shopfloor::testing::ms_since;
using shopfloor::testing::random_id;
using shopfloor::testing::run;
using shopfloor::testing::run_for;
using shopfloor::testing::run_until;

class PgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    id_ = random_id();
    try {
      opts_ = shopfloor::testing::pg_options("sf_test_" + id_);
    } catch (const std::exception& e) {
      GTEST_FAIL() << e.what();
    }
  }

  template <class T>
  T run(asio::awaitable<T> a, std::chrono::milliseconds limit = 30s) {
    return shopfloor::testing::run(io_, std::move(a), limit);
  }
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
    return shopfloor::testing::run_until(io_, done, limit);
  }

  asio::io_context io_;
  Options opts_;
  std::string id_;
};

}  // namespace shopfloor::pg::pgtest
