// Transaction against the real PostgreSQL: commit, abandonment, aborted
// transactions, isolation level not leaking into the next lease.
#include <gtest/gtest.h>

#include "pg/pgtest_env.hpp"
#include "pg/transaction.hpp"

namespace shopfloor::pg {
namespace {

using namespace pgtest;
using Kind = Error::Kind;

class TransactionTest : public PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    if (HasFatalFailure()) return;
    table_ = "sf_test_tx_" + id_;
    pool_.emplace(io_.get_executor(), opts_);
    auto r = run(pool_->query("CREATE TABLE " + table_ + " (id int PRIMARY KEY, note text)"));
    ASSERT_TRUE(r) << to_string(r.error());
  }
  void TearDown() override {
    if (pool_) {
      Options o = opts_;
      o.application_name += "_cleanup";
      Pool cleanup(io_.get_executor(), o);
      auto r = run(cleanup.query("DROP TABLE IF EXISTS " + table_));
      EXPECT_TRUE(r) << to_string(r.error());
    }
  }
  long long count() {
    auto r = run(pool_->query("SELECT count(*) FROM " + table_));
    if (!r) {
      ADD_FAILURE() << to_string(r.error());
      return -1;
    }
    return r->int64(0, 0);
  }
  Pool& pool() { return *pool_; }

  std::string table_;
  std::optional<Pool> pool_;
};

TEST_F(TransactionTest, CommittedRowsBecomeVisibleToOtherConnections) {
  auto tx = run(Transaction::begin(pool()));
  ASSERT_TRUE(tx) << to_string(tx.error());
  EXPECT_TRUE(tx->connection().in_transaction());
  auto ins = run(tx->query("INSERT INTO " + table_ + " VALUES ($1::int, $2)", params(1, "a")));
  ASSERT_TRUE(ins) << to_string(ins.error());
  EXPECT_EQ(ins->affected(), 1);
  EXPECT_EQ(count(), 0) << "uncommitted rows are invisible to another connection";
  auto c = run(tx->commit());
  ASSERT_TRUE(c) << to_string(c.error());
  EXPECT_FALSE(tx->active());
  EXPECT_EQ(count(), 1);
  auto after = run(tx->query("SELECT 1"));
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().kind, Kind::unavailable);
}

TEST_F(TransactionTest, DestroyedWithoutCommitRollsBackAndTheConnectionIsReused) {
  Options o = opts_;
  o.pool_size = 1;  // the next lease must be the very same connection
  Pool single(io_.get_executor(), o);
  int pid = 0;
  {
    auto tx = run(Transaction::begin(single));
    ASSERT_TRUE(tx) << to_string(tx.error());
    pid = tx->connection().backend_pid();
    ASSERT_TRUE(run(tx->query("INSERT INTO " + table_ + " VALUES (1, 'lost')")));
    ASSERT_TRUE(run(tx->query("SET LOCAL application_name = 'inside'")));
  }  // no commit
  auto r = run(single.query("SELECT pg_backend_pid(), (SELECT count(*) FROM " + table_ +
                            "), current_setting('application_name')"));
  ASSERT_TRUE(r) << to_string(r.error());
  EXPECT_EQ(r->int64(0, 0), pid) << "the connection was rolled back and reused, not dropped";
  EXPECT_EQ(r->int64(0, 1), 0) << "the abandoned insert must not be visible";
  EXPECT_EQ(r->text(0, 2), o.application_name) << "SET LOCAL ended with the transaction";
  EXPECT_EQ(single.size(), 1u);
  EXPECT_EQ(count(), 0);
  auto lease = run(single.acquire());
  ASSERT_TRUE(lease);
  EXPECT_FALSE((*lease)->in_transaction());
}

TEST_F(TransactionTest, ExplicitRollbackDiscardsChanges) {
  auto tx = run(Transaction::begin(pool()));
  ASSERT_TRUE(tx);
  ASSERT_TRUE(run(tx->query("INSERT INTO " + table_ + " VALUES (1, 'x')")));
  run(tx->rollback());
  EXPECT_FALSE(tx->active());
  EXPECT_EQ(count(), 0);
}

TEST_F(TransactionTest, CommitAfterAFailedStatementReportsTheAbort) {
  auto tx = run(Transaction::begin(pool()));
  ASSERT_TRUE(tx);
  ASSERT_TRUE(run(tx->query("INSERT INTO " + table_ + " VALUES (1, 'x')")));
  auto dup = run(tx->query("INSERT INTO " + table_ + " VALUES (1, 'again')"));
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().sqlstate, "23505");
  auto next = run(tx->query("SELECT 1"));
  ASSERT_FALSE(next);
  EXPECT_EQ(next.error().sqlstate, "25P02");  // in_failed_sql_transaction
  auto c = run(tx->commit());
  ASSERT_FALSE(c) << "COMMIT of an aborted transaction must not look like success";
  EXPECT_EQ(c.error().kind, Kind::query);
  EXPECT_EQ(c.error().sqlstate, "25P02");
  EXPECT_EQ(count(), 0);
}

TEST_F(TransactionTest, IsolationLevelAppliesToThisTransactionOnly) {
  Options o = opts_;
  o.pool_size = 1;
  Pool single(io_.get_executor(), o);
  {
    auto tx = run(Transaction::begin(single, "BEGIN ISOLATION LEVEL SERIALIZABLE"));
    ASSERT_TRUE(tx) << to_string(tx.error());
    auto level = run(tx->query("SHOW transaction_isolation"));
    ASSERT_TRUE(level);
    EXPECT_EQ(level->text(0, 0), "serializable");
    ASSERT_TRUE(run(tx->commit()));
  }
  auto level = run(single.query("SHOW transaction_isolation"));
  ASSERT_TRUE(level);
  EXPECT_EQ(level->text(0, 0), "read committed");
}

TEST_F(TransactionTest, TimeoutInsideATransactionDropsTheConnection) {
  Options o = opts_;
  o.pool_size = 1;
  Pool single(io_.get_executor(), o);
  {
    auto tx = run(Transaction::begin(single));
    ASSERT_TRUE(tx);
    ASSERT_TRUE(run(tx->query("INSERT INTO " + table_ + " VALUES (1, 'x')")));
    auto slow = run(tx->query("SELECT pg_sleep(5)", {}, 100ms));
    ASSERT_FALSE(slow);
    EXPECT_EQ(slow.error().kind, Kind::timeout);
    auto c = run(tx->commit());
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().kind, Kind::unavailable);
  }
  EXPECT_EQ(single.size(), 0u);
  auto r = run(single.query("SELECT 1"));
  ASSERT_TRUE(r) << to_string(r.error());
  EXPECT_EQ(count(), 0);
}

}  // namespace
}  // namespace shopfloor::pg
