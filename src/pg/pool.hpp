// Pool: a bounded set of PostgreSQL connections for one executor (shard).
//
// At most Options::pool_size connections exist (leased + idle + being opened or
// rolled back); they are opened lazily, on demand. acquire() hands out an idle
// connection (checked for server-side closure first), opens a new one while
// under the limit, or queues the caller (FIFO) for at most acquire_timeout
// (then Kind::timeout).
//
// When the database is down, acquire() fails fast: a failed connection attempt
// is remembered for Options::connect_backoff (doubling per consecutive failure,
// up to connect_backoff_max), during which acquire() returns Kind::unavailable
// at once instead of making every request wait connect_timeout. Queued callers
// are failed the same way. The first success resets the backoff.
//
// A Lease returns its connection when destroyed. A broken connection is dropped
// (its slot is reopened on demand); one left inside a transaction is rolled back
// in the background (bounded by query_timeout; dropped if that fails) before
// anyone else gets it; one left mid-statement is dropped. A connection is never
// handed out dirty.
//
// Cancellation: acquire() is bounded by acquire_timeout plus, when it opens a
// connection, connect_timeout; query() additionally by its query timeout.
// close() fails queued and future acquires with Kind::unavailable; leased
// connections are closed when returned.
//
// Thread-safety: none. A Pool and its Leases belong to one executor; use them
// only from its thread (one Pool per shard). The Pool may be destroyed before
// its Leases: shared state stays alive until the last one is returned.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <string_view>

#include "pg/connection.hpp"
#include "pg/error.hpp"
#include "pg/options.hpp"
#include "pg/rows.hpp"

namespace shopfloor::pg {

class Pool {
  struct Impl;

 public:
  // A leased connection; returned to the pool when destroyed (or release()d).
  class Lease {
   public:
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&& other) noexcept;
    ~Lease();

    Connection* operator->() const noexcept { return conn_.get(); }
    Connection& operator*() const noexcept { return *conn_; }

    // Returns the connection to the pool now; the Lease becomes empty.
    void release() noexcept;

   private:
    friend class Pool;
    friend struct Pool::Impl;
    Lease(std::shared_ptr<Impl> pool, std::unique_ptr<Connection> conn) noexcept;

    std::shared_ptr<Impl> pool_;
    std::unique_ptr<Connection> conn_;
  };

  Pool(asio::any_io_executor ex, Options opts);
  ~Pool();  // close()
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  asio::awaitable<PgResult<Lease>> acquire();

  // acquire() + Connection::query() on the leased connection.
  asio::awaitable<PgResult<Rows>> query(std::string_view sql, Params params = {},
                                        std::chrono::milliseconds timeout = {});

  // Whether the last connection attempt, or the last use of a connection,
  // reached the server. False until the first connection has been opened.
  bool healthy() const noexcept;

  // Connections currently counted against pool_size (for tests and metrics).
  std::size_t size() const noexcept;
  // Idle connections ready to lease.
  std::size_t idle() const noexcept;

  void close();

  const Options& options() const noexcept;
  const asio::any_io_executor& get_executor() const noexcept;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace shopfloor::pg
