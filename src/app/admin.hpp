// `shopfloor admin`: operator commands that act on the same PostgreSQL and Redis as the
// services, with the services' own settings, users and code paths.
//
//   shopfloor admin cache stats                 hits/misses/bypasses, keys per namespace
//   shopfloor admin cache retire <ns>|--all     retire cached answers (generation INCR)
//   shopfloor admin tokens list|create <name> <role>|revoke <name>
//   shopfloor admin check                       one line per finding about the set-up
//
// Where the numbers come from (admin_cache.cpp): hits, misses and bypasses are counted in
// each service process (metrics registry), so `cache stats` reads them from a running
// service's GET /metrics on the configured MES listener — one process's counters since
// it started; a fleet's totals are Prometheus's job. Key counts come from Redis itself:
// SCAN over the cache prefix as the services' ACL user (which needs +scan).
// Retirement and token revocation run the very code the services run (cache::Cache on a
// cache::Engine over cache::RedisBackend; auth::revoke_token with its write fence), so the
// key layout and the consistency rules exist once.
//
// Output: findings and tables on stdout, one problem per line on stderr; exit status 0
// when everything asked for was done (check: no FAIL), 1 when not, 2 for a usage error.
// Every network wait is bounded by the configured connect and command timeouts.
//
// Thread-safety: runs on the calling thread with its own io_context.
#pragma once

#include <string>
#include <vector>

#include "app/config.hpp"

namespace shopfloor::app {

// `args`: the words after `admin`.
int admin(const Config& config, const std::vector<std::string>& args);
// The usage text of `shopfloor admin`.
const char* admin_usage();

}  // namespace shopfloor::app
