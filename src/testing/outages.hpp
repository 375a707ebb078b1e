// Server faults for tests: stop the test's Redis or PostgreSQL through
// `$SHOPFLOOR_DEVENV <server>-stop` for the lifetime of a guard, and start it again
// however the test ends (the destructor), so a failed assertion never leaves the
// shared servers down for the tests that follow.
//
// Thread-safety: test-only; use a guard from one thread.
#pragma once

#include <string>

namespace shopfloor::testing {

// Runs `$SHOPFLOOR_DEVENV <action>` (quietly); true on success. Throws when
// SHOPFLOOR_DEVENV is not set.
bool devenv(const std::string& action);

// Runs redis-cli with `args` (shell words) as the test servers' Redis admin user, over TLS,
// against the single server of env.sh; its output (stdout and stderr).
std::string redis_admin(const std::string& args);

class ServerOutage {
 public:
  ~ServerOutage();
  ServerOutage(const ServerOutage&) = delete;
  ServerOutage& operator=(const ServerOutage&) = delete;

  // Whether the server was stopped (and is not started again yet).
  bool stopped() const { return stopped_; }
  // Starts the server again now; true when it runs. Idempotent.
  bool restart();

 protected:
  // `server` is the devenv.sh name: "redis" or "pg".
  explicit ServerOutage(std::string server);

 private:
  std::string server_;
  bool stopped_ = false;
};

class RedisOutage : public ServerOutage {
 public:
  RedisOutage() : ServerOutage("redis") {}
};

class PgOutage : public ServerOutage {
 public:
  PgOutage() : ServerOutage("pg") {}
};

}  // namespace shopfloor::testing
