// Settings of the servers a test runs against: the one reader of the environment that
// scripts/devenv.sh writes to .run/env.sh (SHOPFLOOR_DB_*, SHOPFLOOR_REDIS_*,
// SHOPFLOOR_DEVENV, SHOPFLOOR_TEST_*).
//
// A missing or empty variable, or an unreadable secret file, throws std::runtime_error
// naming it: the test command always provides them, so a test fails with that message
// (construct in SetUp and GTEST_FAIL) instead of silently passing on a broken setup.
//
// Thread-safety: every function may be called from any thread (the environment is only
// read).
#pragma once

#include <cstddef>
#include <string>

#include "pg/options.hpp"
#include "redis/options.hpp"

namespace shopfloor::testing {

// The value of an environment variable; throws naming it when unset or empty.
std::string env(const char* name);
// A secret file's contents without trailing line ends; throws when unreadable.
std::string read_secret(const std::string& path);
// The secret in the file that the environment variable `name` points to.
std::string secret_from_env(const char* name);

// `length` random lower-case hex digits: unique table rows, key prefixes, channels
// (tests of several executables share one database and one Redis).
std::string random_id(std::size_t length = 10);

// The app role's PostgreSQL settings (SHOPFLOOR_DB_HOST, _PORT, _NAME, _USER,
// _PASSWORD_FILE); every other field keeps pg::Options' default.
pg::Options pg_options(const std::string& application_name = "sf_test");
// The app user's Redis settings (SHOPFLOOR_REDIS_HOST, _PORT, _TLS, _CA_FILE,
// _SERVER_NAME, _USER, _PASSWORD_FILE); every other field keeps redis::Options' default.
redis::Options redis_options();

}  // namespace shopfloor::testing
