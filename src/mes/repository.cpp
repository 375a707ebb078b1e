// The MES API's database work (see repository.hpp). One translation unit for all the
// pg coroutines: their template instantiations are the expensive part to compile.
#include "mes/repository.hpp"

#include <spdlog/spdlog.h>

#include "mes/render.hpp"
#include "mes/sql.hpp"
#include "pg/pool.hpp"
#include "pg/transaction.hpp"

namespace shopfloor::mes {
namespace {

using boost::asio::awaitable;

Problem db_problem(const pg::Error& e, std::string_view what) {
  spdlog::warn("mes: {} failed: {}", what, pg::to_string(e));
  return e.to_problem();
}

// The statement may have been applied: the server was reached, but its answer is lost.
bool outcome_unknown(const pg::Error& e) {
  return e.kind != pg::Error::Kind::query;
}

bool retryable(const pg::Error& e) {
  return e.kind == pg::Error::Kind::query && (e.sqlstate == "40P01" || e.sqlstate == "40001");
}

// A foreign key or check violation can only come from a race with another writer (the
// input was validated): the reference it named is gone now.
bool integrity(const pg::Error& e) {
  return e.kind == pg::Error::Kind::query && (e.sqlstate == "23503" || e.sqlstate == "23514");
}

}  // namespace

awaitable<Result<ListPage>> Repository::list(ListQuery q, std::string today) {
  const sql::ListStatement st = sql::list_statement(q, today);
  auto rows = co_await db_.query(st.text, st.params);
  if (!rows) co_return db_problem(rows.error(), "order list");
  ListPage page;
  page.body = render_list(*rows, q.page, q.page_size, &page.ids);
  co_return page;
}

awaitable<Result<std::string>> Repository::order(long long id) {
  auto rows = co_await db_.query(sql::kOrder, pg::params(id));
  if (!rows) co_return db_problem(rows.error(), "order read");
  if (rows->empty()) co_return Problem::not_found("no order with this number");
  co_return render_order(*rows);
}

awaitable<Result<std::string>> Repository::dashboard(std::string today) {
  auto rows = co_await db_.query(sql::kDashboard, pg::params(today));
  if (!rows) co_return db_problem(rows.error(), "dashboard");
  co_return render_dashboard(*rows);
}

awaitable<Result<Written>> Repository::create(NewOrder o, std::optional<ChangeSet>& uncertain) {
  // One statement: a deadlock or serialization failure (the counters' rows, shared with
  // concurrent status changes) rolled it back whole, so it is tried again.
  const auto params =
      pg::params(o.customer, o.product_sku, o.quantity, o.work_center, o.due_date, o.priority);
  auto rows = co_await db_.query(sql::kCreate, params);
  for (int attempt = 1; !rows && retryable(rows.error()) && attempt < 3; ++attempt)
    rows = co_await db_.query(sql::kCreate, params);
  if (!rows && outcome_unknown(rows.error())) {
    // Perhaps created (its id unknown: nobody can have cached the new order itself).
    ChangeSet maybe;
    maybe.statuses.push_back(Status::new_);
    maybe.customers.push_back(o.customer);
    maybe.work_centers.push_back(o.work_center);
    uncertain = std::move(maybe);
  }
  if (!rows) {
    if (integrity(rows.error()))
      co_return Problem::bad_input("unknown_reference",
                                   "the product or work centre does not exist (any more)");
    co_return db_problem(rows.error(), "order create");
  }
  if (rows->empty()) {  // nothing written: say which reference is unknown
    auto exist =
        co_await db_.query(sql::kReferencesExist, pg::params(o.product_sku, o.work_center));
    if (!exist) co_return db_problem(exist.error(), "order create check");
    if (exist->text(0, 0) != "t")
      co_return Problem::bad_input("unknown_product", "no product with this product_sku");
    co_return Problem::bad_input("unknown_work_center", "no work centre with this code");
  }
  const long long id = rows->int64(0, sql::kOrderColumns);
  // The created order: its 10 columns and an empty history, as GET /orders/{number}.
  auto body = co_await db_.query(sql::kOrder, pg::params(id));
  Written w;
  if (body && !body->empty()) {
    w.body = render_order(*body);
  } else {
    // Committed already; answer from what INSERT returned (deleted meanwhile, or the
    // database went away between the two statements).
    w.body = render_order(*rows);
  }
  w.change.txid = rows->int64(0, sql::kOrderColumns + 1);
  w.change.order_ids.push_back(id);
  w.change.statuses.push_back(Status::new_);
  w.change.customers.push_back(o.customer);
  w.change.work_centers.push_back(o.work_center);
  co_return w;
}

awaitable<Result<Written>> Repository::change_status(long long id, StatusChange c,
                                                     std::optional<ChangeSet>& uncertain) {
  for (int attempt = 1;; ++attempt) {
    auto tx = co_await pg::Transaction::begin(db_, "BEGIN ISOLATION LEVEL READ COMMITTED");
    if (!tx) co_return db_problem(tx.error(), "status change begin");

    auto locked = co_await tx->query(sql::kLockOrder, pg::params(id));
    if (!locked) {
      if (retryable(locked.error()) && attempt < 3) continue;
      co_return db_problem(locked.error(), "status change lock");
    }
    if (locked->empty()) {
      co_await tx->rollback();
      co_return Problem::not_found("no order with this number");
    }
    auto current = parse_status(locked->text(0, 0));
    if (!current) co_return Problem::internal("order has an unknown status in the database");
    if (c.from && *c.from != *current) {
      co_await tx->rollback();
      co_return Problem::conflict("status_changed", "the order's status is " +
                                                        std::string(to_string(*current)) +
                                                        ", not " + std::string(to_string(*c.from)));
    }
    if (!status_transition_allowed(*current, c.to)) {
      co_await tx->rollback();
      co_return Problem::conflict("invalid_transition", "cannot change an order from " +
                                                            std::string(to_string(*current)) +
                                                            " to " + std::string(to_string(c.to)));
    }
    const std::string customer(locked->text(0, 1)), work_center(locked->text(0, 2));
    const long long txid = locked->int64(0, 3);

    auto changed = co_await tx->query(
        sql::kChangeStatus,
        pg::params(id, std::string(to_string(c.to)), std::string(to_string(*current)), c.comment));
    if (!changed) {
      if (retryable(changed.error()) && attempt < 3) continue;
      co_return db_problem(changed.error(), "status change");
    }
    if (changed->affected() != 1) co_return Problem::internal("status change touched no row");
    auto body = co_await tx->query(sql::kOrder, pg::params(id));
    if (!body) co_return db_problem(body.error(), "status change read back");

    Written w;
    w.body = render_order(*body);
    w.change.txid = txid;
    w.change.order_ids.push_back(id);
    w.change.statuses = {*current, c.to};
    w.change.customers.push_back(customer);
    w.change.work_centers.push_back(work_center);
    w.change.moved = false;  // the status only: no list's members or order move
    auto committed = co_await tx->commit();
    if (!committed) {
      // A serialization failure or deadlock at COMMIT is a definite abort: try again.
      // Any other failure leaves the outcome unknown; retrying then could answer 409
      // for a change that was applied. Answer 503 and let the caller retire.
      if (retryable(committed.error()) && attempt < 3) continue;
      if (outcome_unknown(committed.error())) uncertain = w.change;
      co_return db_problem(committed.error(), "status change commit");
    }
    co_return w;
  }
}

awaitable<Result<Names>> Repository::names() {
  auto rows = co_await db_.query(sql::kNames);
  if (!rows) co_return db_problem(rows.error(), "customer and work centre names");
  Names n;
  for (int r = 0; r < rows->size(); ++r)
    (rows->text(r, 0) == "c" ? n.customers : n.work_centers).emplace_back(rows->text(r, 1));
  co_return n;
}

}  // namespace shopfloor::mes
