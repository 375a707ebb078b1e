// Repository: every SQL statement of the MES API, each returning the ready JSON body.
//
// Reads are one statement each (one snapshot, one round trip): a list page and its
// total together; an order with its history; the dashboard. Totals and the dashboard's
// counts come from counters kept exact by the orders triggers (order_counts of
// sql/0004_mes.sql; open orders per due date and per customer and work centre of
// sql/0005_order_counts.sql); only overdue totals for one customer count through the
// indexes.
//
// Writes:
//   create(): one statement (customer registered if new, order inserted) that inserts
//     nothing when the product or work centre is unknown (→ 400 unknown_product /
//     unknown_work_center), so bad input never changes data.
//   change_status(): one READ COMMITTED transaction: SELECT … FOR UPDATE locks the
//     order, the transition is checked against the *locked* status (409
//     invalid_transition, or 409 status_changed when the caller's `from` is no longer
//     true), then UPDATE + history INSERT and COMMIT. Two concurrent changes of one
//     order are serialised by the row lock: the second one sees the first's result and
//     is judged against it, never against the status both started from. Deadlocks and
//     serialization failures (40P01, 40001) are retried up to 3 times.
// Every write returns what it touched (ChangeSet) so the caller can retire caches.
//
// Errors: Problems — 400/404/409 as above, 503 when the database is unreachable or
// times out (pg::Error::to_problem).
// Deadlines: every statement is bounded by the pool's query_timeout and acquire by its
// acquire_timeout (pg/pool.hpp). Not cancellable from outside.
// Thread-safety: one per shard, like the pool it uses.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/problem.hpp"
#include "mes/change_set.hpp"
#include "mes/list_query.hpp"
#include "mes/order_input.hpp"

namespace shopfloor::pg {
class Pool;
}

namespace shopfloor::mes {

struct Written {
  std::string body;  // the order as GET /orders/{number} shows it
  ChangeSet change;  // old and new values of what the write changed
};

struct ListPage {
  std::string body;            // {"items":[Order…],"page","page_size","total"}
  std::vector<long long> ids;  // the internal ids of the orders in items, in order
};

struct Names {
  std::vector<std::string> customers;
  std::vector<std::string> work_centers;
};

class Repository {
 public:
  explicit Repository(pg::Pool& db) : db_(db) {}

  // One page; `today` is YYYY-MM-DD (overdue).
  boost::asio::awaitable<Result<ListPage>> list(ListQuery q, std::string today);
  // Order + "history" (oldest first); 404 not_found.
  boost::asio::awaitable<Result<std::string>> order(long long id);
  // {"by_status","overdue","due_today","by_work_center","generated_at"}.
  boost::asio::awaitable<Result<std::string>> dashboard(std::string today);

  // Writes. When the outcome is unknown — the INSERT or the COMMIT was sent and its
  // answer lost, so the write may have been applied — the result is a 503 Problem and
  // `uncertain` receives what the write would have changed: the caller retires that
  // too before answering, so an applied write is never followed by a stale answer.
  boost::asio::awaitable<Result<Written>> create(NewOrder o, std::optional<ChangeSet>& uncertain);
  boost::asio::awaitable<Result<Written>> change_status(long long id, StatusChange c,
                                                        std::optional<ChangeSet>& uncertain);

  // Every customer and work centre (for retiring every list namespace).
  boost::asio::awaitable<Result<Names>> names();

 private:
  pg::Pool& db_;
};

}  // namespace shopfloor::mes
