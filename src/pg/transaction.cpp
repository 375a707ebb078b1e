// Transaction: BEGIN/COMMIT/ROLLBACK around a pooled connection.
#include "pg/transaction.hpp"

#include <spdlog/spdlog.h>

namespace shopfloor::pg {

asio::awaitable<PgResult<Transaction>> Transaction::begin(Pool& pool, std::string_view begin_sql) {
  auto lease = co_await pool.acquire();
  if (!lease) co_return lease.error();
  auto r = co_await (*lease)->query(begin_sql);
  if (!r) co_return r.error();  // the lease returns the connection (or drops it)
  co_return Transaction(std::move(*lease));
}

asio::awaitable<PgResult<Rows>> Transaction::query(std::string_view sql, Params params,
                                                   std::chrono::milliseconds timeout) {
  if (!active_) co_return Error::unavailable("transaction already ended");
  co_return co_await lease_->query(sql, std::move(params), timeout);
}

asio::awaitable<PgResult<void>> Transaction::commit() {
  if (!active_) co_return Error::unavailable("transaction already ended");
  active_ = false;
  auto r = co_await lease_->query("COMMIT");
  if (!r) co_return r.error();
  // After a failed statement the server answers COMMIT with ROLLBACK, not an error.
  if (r->command_status() == "ROLLBACK") {
    co_return Error::query("25P02", "transaction was aborted by an earlier error; rolled back");
  }
  co_return PgResult<void>();
}

asio::awaitable<void> Transaction::rollback() {
  if (!active_) co_return;
  active_ = false;
  auto r = co_await lease_->query("ROLLBACK");
  if (!r) {
    spdlog::warn("pg: ROLLBACK failed ({}); dropping the connection", to_string(r.error()));
    lease_->close();
  }
}

}  // namespace shopfloor::pg
