// Connection: one libpq connection driven by Asio coroutines.
//
// libpq runs in non-blocking mode; a duplicate of its socket is wrapped in an
// asio::posix::stream_descriptor (the dup keeps Asio from closing libpq's fd) and
// every wait for it is raced against a steady_timer holding the operation's
// deadline. Nothing here blocks the executor, except libpq resolving a host
// *name* (see Options::host).
//
// Statements are parameterised (text format): one statement per query(), values
// only through `params`. execute_script() uses the simple query protocol for trusted
// multi-statement SQL (migration files) only.
//
// Prepared statements (Options::prepare_statements): a query() is prepared on its
// first run on this connection (PQsendPrepare, one more round trip)
// and executed by name from then on (PQsendQueryPrepared). A list-page miss spent
// ~0.3 ms parsing and ~0.7 ms planning beside ~0.5 ms executing; PostgreSQL keeps
// planning a prepared statement for its first five runs, then uses a generic plan when
// that costs no more than the custom ones. The texts are the code's own (values come
// as parameters), so there are few; still, at kMaxPrepared the least recently used one
// is deallocated. A statement the server no longer knows (26000) or whose
// cached plan it refuses after a schema change (0A000) fails that once and is
// prepared again and, outside a transaction, run again at once.
//
// Deadlines and cancellation:
//   - connect() gives up after Options::connect_timeout (Kind::unavailable).
//   - query() gives up after its timeout (default Options::query_timeout) with
//     Kind::timeout. The connection is then mid-query and unusable, so it is
//     closed and broken() turns true. We do not PQcancel: that call blocks (a
//     new TCP connect) on the executor. Instead the server notices the closed
//     socket within Options::server_check_interval and aborts the query.
//   - close() aborts any operation in progress; it completes with
//     Kind::unavailable.
// Any socket or protocol failure also makes the connection broken(); a broken
// connection fails every further call at once with Kind::unavailable.
//
// Thread-safety: none. A Connection lives on the executor it was connected on;
// call it only from there, and run one operation at a time (a second concurrent
// call fails with Kind::query "connection busy"). Arguments passed as
// string_view must outlive the co_await.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "pg/error.hpp"
#include "pg/options.hpp"
#include "pg/params.hpp"
#include "pg/rows.hpp"

struct pg_conn;  // PGconn, from libpq-fe.h

namespace shopfloor::pg {

namespace asio = boost::asio;

// One NOTIFY received on a LISTENing connection.
struct Notification {
  std::string channel;
  std::string payload;
  int backend_pid = 0;  // the notifying backend
};

class Connection {
 public:
  // Opens a connection (non-blocking libpq connect, bounded by connect_timeout).
  // Failures (refused, timed out, authentication) are Kind::unavailable.
  static asio::awaitable<PgResult<std::unique_ptr<Connection>>> connect(asio::any_io_executor ex,
                                                                        const Options& opts);

  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one statement with $1..$n text parameters. `timeout` 0 means the default
  // query_timeout. Server errors are Kind::query with the SQLSTATE.
  asio::awaitable<PgResult<Rows>> query(std::string_view sql, Params params = {},
                                        std::chrono::milliseconds timeout = {});

  // Runs trusted SQL text that may hold several statements (simple query
  // protocol, no parameters). Returns the last statement's rows. Never pass
  // anything assembled from input.
  asio::awaitable<PgResult<Rows>> execute_script(std::string_view sql,
                                                 std::chrono::milliseconds timeout = {});

  // Waits until at least one notification has arrived (for channels this
  // connection LISTENs to) and returns all that are queued, or returns an empty
  // vector when `timeout` passes first. Connection loss is Kind::unavailable.
  asio::awaitable<PgResult<std::vector<Notification>>> wait_notifications(
      std::chrono::milliseconds timeout);

  // The notifications the server sent that nobody has taken yet, without waiting: those
  // read while a query ran, and those still unread when the connection broke (kept from
  // its last read). A listener whose connection died must still handle what the server
  // did send before it went away.
  std::vector<Notification> take_notifications();

  // True once the connection is unusable (lost, timed out mid-query, closed).
  bool broken() const noexcept { return conn_ == nullptr || broken_; }

  // True when it broke because the server could not be reached (socket loss),
  // as opposed to a query timeout or close().
  bool lost() const noexcept { return lost_; }

  // True inside a transaction block (idle, or failed awaiting ROLLBACK).
  bool in_transaction() const noexcept;

  // True while a statement is running, or when libpq's state is unknown.
  bool busy() const noexcept;

  // For an idle connection: reads, without waiting, whatever the server sent
  // meanwhile. Returns false (and the connection is broken) when the server has
  // closed it, e.g. after pg_terminate_backend or a restart.
  bool check_idle() noexcept;

  // The server process id serving this connection (pg_stat_activity.pid).
  int backend_pid() const noexcept { return backend_pid_; }
  // Statements prepared on this connection and known to be usable (see above).
  std::size_t prepared_count() const noexcept { return prepared_.size(); }

  // `name` quoted as an SQL identifier (PQescapeIdentifier), for identifiers
  // that come from code (LISTEN channels, table names), never from input.
  PgResult<std::string> quote_identifier(std::string_view name) const;

  // Closes the connection now; an operation in progress completes with
  // Kind::unavailable. Idempotent.
  void close() noexcept;

  const asio::any_io_executor& get_executor() const noexcept { return executor_; }

 private:
  enum class Wait { ready, timeout, cancelled, failed };
  using Clock = std::chrono::steady_clock;

  Connection(asio::any_io_executor ex, pg_conn* conn, asio::posix::stream_descriptor socket,
             const Options& opts);

  std::chrono::milliseconds effective(std::chrono::milliseconds t) const noexcept {
    return t.count() > 0 ? t : default_timeout_;
  }
  asio::awaitable<Wait> wait(bool for_write, Clock::time_point deadline);
  asio::awaitable<PgResult<void>> flush(Clock::time_point deadline);
  asio::awaitable<PgResult<Rows>> collect(Clock::time_point deadline);
  asio::awaitable<PgResult<Rows>> run(std::string_view sql, const Params* params,
                                      std::chrono::milliseconds timeout);
  // The name `sql` is prepared under on this connection, preparing it first when needed.
  asio::awaitable<PgResult<std::string>> prepared_name(const std::string& sql, int n_params,
                                                       Clock::time_point deadline);
  std::optional<Error> wait_failure(Wait w, std::string_view what);  // nullopt when ready
  Error fail(Error e);                      // marks broken (keeps e), returns e
  Error lost_error(std::string_view what);  // libpq's message; marks broken and lost
  void release() noexcept;                  // PQfinish and close the descriptor

  asio::any_io_executor executor_;
  pg_conn* conn_ = nullptr;
  asio::posix::stream_descriptor socket_;  // a dup of PQsocket(conn_)
  asio::steady_timer timer_;               // the deadline of the current wait
  std::chrono::milliseconds default_timeout_;
  int backend_pid_ = 0;
  bool broken_ = false;
  bool lost_ = false;
  bool in_operation_ = false;  // a coroutine is inside query/execute_script/wait_notifications
  std::vector<Notification> unclaimed_;  // drained from libpq before it was freed
  bool prepare_ = true;                  // Options::prepare_statements

  // At most this many per connection, the least recently used deallocated first. A
  // list-page statement with its generic plan takes ~100 KB of the backend's memory.
  static constexpr std::size_t kMaxPrepared = 256;
  struct Prepared {
    std::string name;
    std::list<std::string>::iterator use;  // in uses_
  };
  std::unordered_map<std::string, Prepared> prepared_;  // by text
  std::list<std::string> uses_;                         // texts, most recently used first
  std::size_t abandoned_ = 0;  // names dropped from prepared_ but still on the server
  std::uint64_t next_statement_ = 0;
  void forget(const std::string& sql);  // drops sql's entry (the server keeps the name)
};

}  // namespace shopfloor::pg
