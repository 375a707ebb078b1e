// Options: where a PostgreSQL server is and how long each wait may take.
//
// One value configures a Connection, a Pool and a Listener alike. Every network
// wait in this module is bounded by one of the deadlines below; none of them is
// left to the kernel or to libpq's blocking defaults.
//
// Thread-safety: a plain value; copy freely. It holds the password: never log
// the whole struct.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace shopfloor::pg {

struct Options {
  // Server address. A numeric address (or an absolute directory for a Unix socket)
  // keeps connecting fully asynchronous: libpq resolves host names with a blocking
  // getaddrinfo() inside the connect call.
  // Default: "127.0.0.1".
  std::string host = "127.0.0.1";

  // Default: 5432.
  uint16_t port = 5432;

  // Database, role and password. Empty means libpq's default (environment).
  // The password is sent to libpq only; it never appears in logs or errors.
  std::string dbname, user, password;

  // Shown in pg_stat_activity; lets operators (and tests) find our backends.
  // Default: "shopfloor".
  std::string application_name = "shopfloor";

  // Deadline of one connection attempt (TCP connect, TLS, authentication).
  // Default: 2000 ms.
  std::chrono::milliseconds connect_timeout{2000};

  // Default deadline of one query when the caller passes none (0).
  // A query that misses it fails with Error::Kind::timeout and its connection is
  // closed (see connection.hpp for why it is not cancelled).
  // Default: 5000 ms.
  std::chrono::milliseconds query_timeout{5000};

  // How long Pool::acquire() waits for a free connection when all pool_size
  // connections are leased. Default: 2000 ms.
  std::chrono::milliseconds acquire_timeout{2000};

  // Maximum number of connections one Pool holds (leased + idle + being opened).
  // Connections are opened lazily, on demand. Default: 8.
  std::size_t pool_size = 8;

  // After a failed connection attempt the Pool fails further acquires at once with
  // Kind::unavailable for this long instead of letting every request wait
  // connect_timeout; each further consecutive failure doubles it, up to
  // connect_backoff_max. The Listener uses the same schedule between reconnects.
  // Default: 250 ms, at most 2000 ms.
  std::chrono::milliseconds connect_backoff{250};
  std::chrono::milliseconds connect_backoff_max{2000};

  // Sent as the server setting client_connection_check_interval (PostgreSQL 14+):
  // how often a backend running a query checks that its client is still there.
  // It is what makes the server abort a query whose connection we closed after a
  // timeout, instead of running it to completion. 0 leaves the server default (off).
  // Default: 1000 ms.
  std::chrono::milliseconds server_check_interval{1000};

  // Statements (query(), not execute_script()) are prepared once per connection and run by
  // name (connection.hpp), so a repeated statement is neither parsed nor, after
  // PostgreSQL's first five runs, planned again. Turn off behind a pooler that does
  // not keep a session per client (PgBouncer in transaction mode). Default: true.
  bool prepare_statements = true;

  // libpq sslmode ("disable", "prefer", "require", "verify-full", ...).
  // Default: "prefer" (libpq's own default).
  std::string sslmode = "prefer";
};

}  // namespace shopfloor::pg
