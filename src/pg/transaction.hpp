// Transaction: a scope holding one pooled connection inside BEGIN ... COMMIT.
//
// begin() leases a connection and runs `begin_sql` ("BEGIN", or e.g.
// "BEGIN ISOLATION LEVEL SERIALIZABLE"; a constant from code, never input).
// commit() must be called explicitly; a Transaction destroyed without a
// successful commit() or rollback() returns its connection to the pool, which
// rolls it back in the background (or drops it if it is broken), so an
// abandoned transaction never leaks into the next lease.
//
// commit() reports a transaction that the server had already aborted (after a
// failed statement COMMIT silently rolls back) as Kind::query with sqlstate
// 25P02 rather than as success. Serialization failures surface as 40001 from
// query() or commit(); retrying is the caller's decision.
//
// Deadlines: each statement is bounded by its timeout (default query_timeout);
// a timeout closes the connection, which aborts the transaction server-side.
//
// Thread-safety: none; same executor as its Pool. Movable, not copyable.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <string_view>
#include <utility>

#include "pg/error.hpp"
#include "pg/pool.hpp"
#include "pg/rows.hpp"

namespace shopfloor::pg {

class Transaction {
 public:
  static asio::awaitable<PgResult<Transaction>> begin(Pool& pool,
                                                      std::string_view begin_sql = "BEGIN");

  Transaction(Transaction&& other) noexcept
      : lease_(std::move(other.lease_)), active_(std::exchange(other.active_, false)) {}
  Transaction& operator=(Transaction&& other) noexcept {
    lease_ = std::move(other.lease_);
    active_ = std::exchange(other.active_, false);
    return *this;
  }
  ~Transaction() = default;  // the Lease returns the connection; the pool cleans up

  // A statement inside the transaction. Fails with Kind::unavailable once the
  // transaction has ended (committed, rolled back, or its connection broke).
  asio::awaitable<PgResult<Rows>> query(std::string_view sql, Params params = {},
                                        std::chrono::milliseconds timeout = {});

  // COMMIT. Afterwards the transaction is over whatever the outcome.
  asio::awaitable<PgResult<void>> commit();

  // ROLLBACK (best effort: if it fails the connection is dropped, which rolls
  // back server-side). Afterwards the transaction is over.
  asio::awaitable<void> rollback();

  // True until commit()/rollback().
  bool active() const noexcept { return active_; }

  // The leased connection (e.g. for backend_pid()); valid while active().
  Connection& connection() noexcept { return *lease_; }

 private:
  explicit Transaction(Pool::Lease lease) noexcept : lease_(std::move(lease)) {}

  Pool::Lease lease_;
  bool active_ = true;
};

}  // namespace shopfloor::pg
