// Property test of the order counters (sql/0004_mes.sql order_counts, sql/0005 live_due_counts,
// live_order_counts, customer_work_center_counts) on the real PostgreSQL: after random mixes
// of direct SQL — single-row and bulk INSERT/UPDATE/DELETE of every column a count depends
// on, FK cascades (renamed customers and work centres), multi-statement transactions that
// commit or roll back, TRUNCATE, and concurrent writers on several connections — every
// counter equals a full recount (GROUP BY on orders), no count is negative, the live tables
// hold no zero rows, and the readers that use them (the dashboard statement and list
// totals of src/mes/sql.hpp) give what count(*) gives. The list statement's pages (every
// sort, random pages; several live statuses are merged from one branch per status) hold
// the ids a plain ORDER BY ... LIMIT ... OFFSET gives.
//
// Isolation: every migration is applied in a scratch schema of its own (search_path), so
// the real tables and their data are untouched; the schema is dropped at the end.
// Randomness: seeded; the seed is printed (and SHOPFLOOR_TEST_SEED=<n> replays it). Bounded:
// a fixed number of steps and operations, each statement under a 10 s statement_timeout.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <latch>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "mes/sql.hpp"
#include "pg/migration_files.hpp"
#include "testing/sql_session.hpp"

#ifndef SHOPFLOOR_SQL_DIR
#error "SHOPFLOOR_SQL_DIR must name the sql/ folder"
#endif

namespace shopfloor::mes {
namespace {

using Rows = std::vector<std::vector<std::string>>;

using testing::SqlError;

// The shared blocking session, with `schema` (if not empty) as its whole search_path.
class Session : public testing::SqlSession {
 public:
  explicit Session(const std::string& schema)
      : SqlSession("sf_order_counts_pgtest",
                   "-c statement_timeout=10000 -c client_min_messages=warning" +
                       (schema.empty() ? std::string() : " -c search_path=" + schema)) {}
  std::string scalar(const std::string& sql, const std::vector<std::string>& params = {}) {
    Rows r = exec(sql, params);
    return r.empty() || r[0].empty() ? std::string() : r[0][0];
  }
};

const std::vector<std::string> kStatuses = {"new",   "approved", "in_production", "quality_check",
                                            "ready", "shipped",  "cancelled"};

std::string lines(const Rows& rows) {
  std::string out;
  for (const auto& r : rows) {
    for (std::size_t i = 0; i < r.size(); ++i) out += (i ? "|" : "") + r[i];
    out += '\n';
  }
  return out;
}

std::string array_literal(const std::vector<std::string>& v) {
  std::string out = "{";
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + ('"' + v[i] + '"');
  return out + "}";
}

class OrderCountsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    seed_ = std::getenv("SHOPFLOOR_TEST_SEED") ? std::stoull(std::getenv("SHOPFLOOR_TEST_SEED"))
                                               : (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
    rng_.seed(seed_);
    std::printf("order_counts_pgtest seed: %llu (SHOPFLOOR_TEST_SEED=%llu replays it)\n",
                static_cast<unsigned long long>(seed_), static_cast<unsigned long long>(seed_));
    schema_ =
        "sf_test_counts_" + std::to_string(seed_ % 1000000007) + "_" + std::to_string(::getpid());
    admin_ = std::make_unique<Session>("");
    admin_->exec("CREATE SCHEMA " + schema_);
    db_ = std::make_unique<Session>(schema_);
    auto files = pg::load_migrations(SHOPFLOOR_SQL_DIR);
    ASSERT_TRUE(files) << files.error().message;
    for (const auto& f : *files) db_->script("BEGIN;\n" + f.sql + "\n;COMMIT;");
    for (const auto& c : centres_)
      db_->exec("INSERT INTO work_centers (code, name) VALUES ($1, $1)", {c});
    db_->exec("INSERT INTO products (sku, name, category) VALUES ('P-1', 'P-1', 'parts')");
    for (const auto& c : customers_) db_->exec("INSERT INTO customers (name) VALUES ($1)", {c});
    today_ = db_->scalar("SELECT current_date::text");
  }
  void TearDown() override {
    db_.reset();
    if (admin_) admin_->exec("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
  }

  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  const std::string& any_status() { return kStatuses[pick(7)]; }
  const std::string& any_centre() { return centres_[pick(static_cast<int>(centres_.size()))]; }
  const std::string& any_customer() {
    return customers_[pick(static_cast<int>(customers_.size()))];
  }
  std::string any_offset() { return std::to_string(pick(13) - 6); }  // days from today

  // Some existing ids (may be fewer than n; duplicates possible).
  std::vector<std::string> some_ids(Session& s, int n) {
    Rows r = s.exec("SELECT id FROM orders ORDER BY random() LIMIT $1::int", {std::to_string(n)});
    std::vector<std::string> ids;
    for (auto& row : r) ids.push_back(row[0]);
    return ids;
  }

  void insert(Session& s, int n) {
    std::vector<std::string> c, w, st, d, pr;
    for (int i = 0; i < n; ++i) {
      c.push_back(any_customer());
      w.push_back(any_centre());
      st.push_back(any_status());
      d.push_back(any_offset());
      pr.push_back(std::to_string(1 + pick(5)));
    }
    s.exec(
        "INSERT INTO orders (customer, product_sku, quantity, status, work_center, due_date, "
        "priority) SELECT c, 'P-1', 1, st, w, current_date + d, pr "
        "FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::smallint[]) "
        "AS x(c, w, st, d, pr)",
        {array_literal(c), array_literal(w), array_literal(st), array_literal(d),
         array_literal(pr)});
  }

  // One random change through direct SQL; returns what it did (for the failure message).
  std::string random_change(Session& s, bool allow_ddl_like) {
    const int op = pick(allow_ddl_like ? 16 : 13);
    const std::string ids = array_literal(some_ids(s, 1 + pick(pick(4) == 0 ? 150 : 5)));
    switch (op) {
      case 0:
        insert(s, 1);
        return "insert one";
      case 1: {
        int n = 2 + pick(250);
        insert(s, n);
        return "insert bulk " + std::to_string(n);
      }
      case 2:
        s.exec("UPDATE orders SET status = $1 WHERE id = ANY($2::bigint[])", {any_status(), ids});
        return "update status";
      case 3:
        s.exec("UPDATE orders SET work_center = $1 WHERE id = ANY($2::bigint[])",
               {any_centre(), ids});
        return "update work_center";
      case 4:
        s.exec("UPDATE orders SET due_date = due_date + $1::int WHERE id = ANY($2::bigint[])",
               {any_offset(), ids});
        return "update due_date";
      case 5:
        s.exec("UPDATE orders SET customer = $1 WHERE id = ANY($2::bigint[])",
               {any_customer(), ids});
        return "update customer";
      case 6:
        s.exec(
            "UPDATE orders SET status = $1, work_center = $2, due_date = current_date + $3::int, "
            "customer = $4 WHERE id = ANY($5::bigint[])",
            {any_status(), any_centre(), any_offset(), any_customer(), ids});
        return "update every counted column";
      case 7:  // swaps: many rows change, some keys net to zero
        s.exec(
            "UPDATE orders SET status = CASE status WHEN 'new' THEN 'approved' "
            "WHEN 'approved' THEN 'new' WHEN 'ready' THEN 'shipped' WHEN 'shipped' THEN 'ready' "
            "ELSE status END WHERE id % 3 = $1::int",
            {std::to_string(pick(3))});
        return "bulk status swap";
      case 8:
        s.exec("UPDATE orders SET quantity = quantity + 1 WHERE id = ANY($1::bigint[])", {ids});
        return "update an uncounted column";
      case 9:
        s.exec("DELETE FROM orders WHERE id = ANY($1::bigint[])", {ids});
        return "delete";
      case 10:  // whole keys emptied: their live rows must go, not stay at 0
        if (pick(2)) {
          s.exec("DELETE FROM orders WHERE due_date = current_date + $1::int AND status = $2",
                 {any_offset(), any_status()});
          return "bulk delete of one due date and status";
        }
        s.exec("UPDATE orders SET due_date = due_date + 20 WHERE due_date = current_date + $1::int",
               {any_offset()});
        return "every order of one due date moved away";
      case 11: {  // a transaction of several statements, committed or rolled back
        const bool commit = pick(2) == 0;
        s.exec("BEGIN");
        try {
          insert(s, 1 + pick(5));
          s.exec("UPDATE orders SET status = $1 WHERE id = ANY($2::bigint[])", {any_status(), ids});
          s.exec("DELETE FROM orders WHERE id = ANY($1::bigint[])",
                 {array_literal(some_ids(s, 1 + pick(3)))});
        } catch (...) {
          s.exec("ROLLBACK");
          throw;
        }
        s.exec(commit ? "COMMIT" : "ROLLBACK");
        return commit ? "transaction committed" : "transaction rolled back";
      }
      case 12:
        s.exec("UPDATE orders SET status = status WHERE id = ANY($1::bigint[])", {ids});
        return "no-op update";
      case 13: {  // FK cascade: every order of the customer changes
        const std::string from = any_customer(), to = from + "'";
        s.exec("UPDATE customers SET name = $2 WHERE name = $1", {from, to});
        s.exec("UPDATE customers SET name = $1 WHERE name = $2", {from, to});
        return "customer renamed (cascade) and back";
      }
      case 14: {
        const std::string from = any_centre(), to = from + "-X";
        s.exec("UPDATE work_centers SET code = $2 WHERE code = $1", {from, to});
        s.exec("UPDATE work_centers SET code = $1 WHERE code = $2", {from, to});
        return "work centre renamed (cascade) and back";
      }
      default:
        if (pick(3) == 0) {
          s.exec("TRUNCATE orders CASCADE");
          return "truncate";
        }
        insert(s, 300);
        return "insert 300";
    }
  }

  // Every counter against a full recount, and the readers against count(*).
  void expect_exact(const std::string& after) {
    SCOPED_TRACE("seed " + std::to_string(seed_) + ", after: " + after);
    Session& s = *db_;
    EXPECT_EQ(
        lines(s.exec("SELECT kind, key, status, n FROM order_counts WHERE n <> 0 "
                     "ORDER BY 1, 2, 3")),
        lines(s.exec(
            "SELECT kind, key, status, n FROM ("
            " SELECT 'all' AS kind, '' AS key, status, count(*) AS n FROM orders GROUP BY status"
            " UNION ALL SELECT 'customer', customer, status, count(*) FROM orders GROUP BY 2, 3"
            " UNION ALL SELECT 'work_center', work_center, status, count(*) FROM orders GROUP BY "
            "2, 3"
            ") x ORDER BY 1, 2, 3")));
    EXPECT_EQ(
        lines(s.exec("SELECT customer, work_center, status, n FROM customer_work_center_counts "
                     "WHERE n <> 0 ORDER BY 1, 2, 3")),
        lines(s.exec("SELECT customer, work_center, status, count(*) FROM orders "
                     "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3")));
    EXPECT_EQ(lines(s.exec("SELECT due_date, status, work_center, n FROM live_order_counts "
                           "ORDER BY 1, 2, 3")),
              lines(s.exec("SELECT due_date, status, work_center, count(*) FROM orders "
                           "WHERE status NOT IN ('shipped', 'cancelled') "
                           "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3")));
    EXPECT_EQ(lines(s.exec("SELECT due_date, n FROM live_due_counts ORDER BY 1")),
              lines(s.exec("SELECT due_date, count(*) FROM orders "
                           "WHERE status NOT IN ('shipped', 'cancelled') GROUP BY 1 ORDER BY 1")));
    EXPECT_EQ(s.scalar("SELECT (SELECT count(*) FROM order_counts WHERE n < 0) + "
                       "(SELECT count(*) FROM customer_work_center_counts WHERE n < 0) + "
                       "(SELECT count(*) FROM live_order_counts WHERE n <= 0) + "
                       "(SELECT count(*) FROM live_due_counts WHERE n <= 0)"),
              "0");

    // The dashboard statement: overdue and due today as the contract defines them.
    Rows dash = s.exec(sql::kDashboard, {today_});
    std::string overdue, due_today;
    for (auto& r : dash) {
      if (r[0] == "overdue") overdue = r[2];
      if (r[0] == "due_today") due_today = r[2];
    }
    EXPECT_EQ(overdue, s.scalar("SELECT count(*) FROM orders WHERE status NOT IN ('shipped', "
                                "'cancelled') AND due_date < $1::date",
                                {today_}));
    EXPECT_EQ(due_today, s.scalar("SELECT count(*) FROM orders WHERE status NOT IN ('shipped', "
                                  "'cancelled') AND due_date = $1::date",
                                  {today_}));

    // List totals for random filters.
    for (int i = 0; i < 6; ++i) {
      ListQuery q;
      std::string where = "true";
      std::vector<std::string> p;
      if (pick(2)) {
        for (int k = 0; k < 7; ++k)
          if (pick(3) == 0) q.statuses.push_back(kAllStatuses[k]);
        if (!q.statuses.empty()) {
          std::vector<std::string> names;
          for (Status st : q.statuses) names.emplace_back(to_string(st));
          p.push_back(array_literal(names));
          where += " AND status = ANY($" + std::to_string(p.size()) + "::text[])";
        }
      }
      if (pick(3) == 0) {
        q.customer = any_customer();
        p.push_back(*q.customer);
        where += " AND customer = $" + std::to_string(p.size());
      }
      if (pick(3) == 0) {
        q.work_center = any_centre();
        p.push_back(*q.work_center);
        where += " AND work_center = $" + std::to_string(p.size());
      }
      if (pick(2)) {
        q.overdue = true;
        p.push_back(today_);
        where += " AND status NOT IN ('shipped', 'cancelled') AND due_date < $" +
                 std::to_string(p.size()) + "::date";
      }
      // A random sort and page (small pages, so that pages past the first exist).
      static constexpr SortField kFields[] = {SortField::created_at, SortField::due_date,
                                              SortField::priority, SortField::number};
      q.sort = {kFields[pick(4)], pick(2) == 0};
      q.page_size = 1 + pick(12);
      q.page = 1 + pick(4);
      const sql::ListStatement st = sql::list_statement(q, today_);
      std::vector<std::string> params;
      for (const auto& v : st.params) params.push_back(v.value_or(""));  // never NULL here
      Rows page = s.exec(st.text, params);
      ASSERT_FALSE(page.empty());
      EXPECT_EQ(page[0][0], s.scalar("SELECT count(*) FROM orders WHERE " + where, p))
          << "list total of " << st.text;
      // The page: the ids a plain ORDER BY ... LIMIT ... OFFSET gives (column 11 of the
      // statement is the id; a page past the end is one row of NULLs: the total alone).
      const std::string dir = q.sort.descending ? " DESC" : " ASC";
      const std::string key = q.sort.field == SortField::created_at ? "created_at"
                              : q.sort.field == SortField::due_date ? "due_date"
                              : q.sort.field == SortField::priority ? "priority"
                                                                    : "";
      const std::string expected = lines(s.exec(
          "SELECT id FROM orders WHERE " + where + " ORDER BY " +
              (key.empty() ? "" : key + dir + ", ") + "id" + dir + " LIMIT " +
              std::to_string(q.page_size) + " OFFSET " + std::to_string((q.page - 1) * q.page_size),
          p));
      Rows ids;
      for (const auto& row : page)
        if (!row[11].empty()) ids.push_back({row[11]});
      EXPECT_EQ(lines(ids), expected) << "list page " << q.page << " of " << q.page_size << " of "
                                      << st.text << " with " << lines({params});
    }
  }

  std::uint64_t seed_ = 0;
  std::mt19937_64 rng_;
  std::string schema_, today_;
  std::unique_ptr<Session> admin_, db_;
  const std::vector<std::string> centres_ = {"CNC-1", "CNC-2", "WELD-1", "ASSY-1"};
  const std::vector<std::string> customers_ = {"Acme", "Boreal", "Cobalt", "Delta", "Ural"};
};

TEST_F(OrderCountsTest, EqualARecountAfterRandomDirectWrites) {
  insert(*db_, 200);
  expect_exact("the first 200 orders");
  for (int step = 0; step < 120 && !HasFailure(); ++step) {
    const std::string what = random_change(*db_, true);
    expect_exact("step " + std::to_string(step) + ": " + what);
  }
}

// Writers on several connections at once, on overlapping orders and the same hot counter
// rows: no lost update, and no deadlock among single-statement writers (the service's
// writes are of that kind); transactions of two statements may deadlock and are retried.
// $3 random orders, locked in id order (the statement that follows changes them).
constexpr const char* kLockSome =
    "WITH picked AS (SELECT id FROM orders WHERE id = ANY(ARRAY("
    "SELECT id FROM orders ORDER BY random() LIMIT $3::int)) ORDER BY id FOR UPDATE) ";

TEST_F(OrderCountsTest, EqualARecountAfterConcurrentWriters) {
  insert(*db_, 300);
  constexpr int kWriters = 4, kRounds = 5, kOpsPerRound = 15;
  for (int round = 0; round < kRounds && !HasFailure(); ++round) {
    // Rounds 0-2: single-statement writers only, which must never deadlock (their order
    // rows are locked in id order by kLockSome, the counter rows in key order by the
    // triggers). Rounds 3-4 add two-statement transactions, which may deadlock with
    // anyone (their second statement locks counters after the first one's), and retry.
    const bool two_statement_transactions = round >= 3;
    std::atomic<int> single_statement_deadlocks{0}, retried{0};
    std::vector<std::string> errors(kWriters);
    std::vector<std::uint64_t> seeds;
    for (int w = 0; w < kWriters; ++w) seeds.push_back(rng_());
    std::vector<std::thread> writers;
    std::latch connected(kWriters);  // all start writing together
    for (int w = 0; w < kWriters; ++w) {
      writers.emplace_back([&, w] {
        try {
          std::optional<Session> session;
          try {
            session.emplace(schema_);
          } catch (...) {
            connected.count_down();
            throw;
          }
          Session& s = *session;
          connected.arrive_and_wait();
          std::mt19937_64 r(seeds[w]);
          auto pick_w = [&r](int n) { return std::uniform_int_distribution<int>(0, n - 1)(r); };
          for (int i = 0; i < kOpsPerRound; ++i) {
            const std::string status = kStatuses[pick_w(7)], centre = centres_[pick_w(4)],
                              due = std::to_string(pick_w(13) - 6);
            const int op = pick_w(two_statement_transactions ? 5 : 4);
            for (int attempt = 0;; ++attempt) {
              try {
                if (op == 0) {
                  s.exec(std::string(kLockSome) +
                             "UPDATE orders SET status = $1, "
                             "work_center = $2 WHERE id IN (SELECT id FROM picked)",
                         {status, centre, "3"});
                } else if (op == 1) {
                  s.exec(
                      "INSERT INTO orders (customer, product_sku, quantity, status, "
                      "work_center, due_date) SELECT 'Acme', 'P-1', 1, $1, $2, "
                      "current_date + $3::int FROM generate_series(1, 20)",
                      {status, centre, due});
                } else if (op == 2) {
                  s.exec(std::string(kLockSome) +
                             "DELETE FROM orders WHERE id IN (SELECT id FROM picked) "
                             "AND $1::text IS NOT NULL AND $2::text IS NOT NULL",
                         {"", "", "2"});
                } else if (op == 3) {
                  s.exec(std::string(kLockSome) +
                             "UPDATE orders SET due_date = current_date + "
                             "$1::int, status = $2 WHERE id IN (SELECT id FROM picked)",
                         {due, status, "5"});
                } else {
                  s.exec("BEGIN");
                  s.exec(
                      "UPDATE orders SET status = $1 WHERE id = "
                      "(SELECT id FROM orders ORDER BY random() LIMIT 1)",
                      {status});
                  s.exec(
                      "UPDATE orders SET work_center = $1 WHERE id = "
                      "(SELECT id FROM orders ORDER BY random() LIMIT 1)",
                      {centre});
                  s.exec("COMMIT");
                }
                break;
              } catch (const SqlError& e) {
                if (op == 4) s.exec("ROLLBACK");
                const bool deadlock = e.sqlstate == "40P01" || e.sqlstate == "40001";
                if (!deadlock || attempt >= 5) throw;
                ++retried;
                if (!two_statement_transactions) {
                  ++single_statement_deadlocks;
                  std::printf("single-statement deadlock: %s\n", e.what());
                }
              }
            }
          }
        } catch (const std::exception& e) {
          errors[w] = e.what();
        }
      });
    }
    for (auto& t : writers) t.join();
    for (int w = 0; w < kWriters; ++w) EXPECT_EQ(errors[w], "") << "writer " << w;
    EXPECT_EQ(single_statement_deadlocks.load(), 0);
    std::printf("round %d: %d deadlocks retried (%d of single statements)\n", round, retried.load(),
                single_statement_deadlocks.load());
    expect_exact("concurrent round " + std::to_string(round));
    random_change(*db_, round % 2 == 1);  // a bulk change or a TRUNCATE between rounds
    expect_exact("after concurrent round " + std::to_string(round));
  }
}

}  // namespace
}  // namespace shopfloor::mes
