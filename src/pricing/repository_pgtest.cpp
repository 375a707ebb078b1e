// The pricing repository and the price-book snapshot on the real PostgreSQL: rows read
// exactly into calculator types, writes bump the version (and only when they change a
// row), and the snapshot reloads only when the version moves, once for many callers.
// Each test uses its own rows (TST-<id>-...), removed afterwards.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "pg/pgtest_env.hpp"
#include "pg/pool.hpp"
#include "pricing/price_book_snapshot.hpp"
#include "pricing/repository.hpp"
#include "testing/run.hpp"
#include "testing/sql_session.hpp"

namespace shopfloor::pricing {
namespace {

namespace asio = boost::asio;
using pg::pgtest::PgTest;
using namespace std::chrono_literals;

class PricingRepository : public PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    if (HasFatalFailure()) return;
    pool_.emplace(io_.get_executor(), opts_);
    p_ = "TST-" + id_ + "-";
    exec(
        "INSERT INTO materials (code, name, unit, price) VALUES ($1 || 'M', 'Test sheet', 'kg', "
        "98.50)");
    exec(
        "INSERT INTO work_centers (code, name, hourly_rate) VALUES ($1 || 'WC', 'Test centre', "
        "2600.00)");
    exec(
        "INSERT INTO products (sku, name, category) VALUES ($1 || 'SUB', 'Test sub', 'test'), "
        "($1 || 'TOP', 'Test top', 'test')");
    exec(
        "INSERT INTO bom_lines (product_sku, line_no, component_sku, material_code, quantity, "
        "scrap_pct) "
        "VALUES ($1 || 'SUB', 1, NULL, $1 || 'M', 0.125, 2.5), ($1 || 'TOP', 1, $1 || 'SUB', NULL, "
        "3, 0), "
        "($1 || 'TOP', 2, NULL, $1 || 'M', 2.35, 5)");
    exec(
        "INSERT INTO routing_operations (product_sku, seq, work_center, setup_minutes, "
        "run_minutes_per_unit) "
        "VALUES ($1 || 'TOP', 1, $1 || 'WC', 20.5, 0.75)");
    created_ = true;
  }

  void TearDown() override {
    if (created_) {
      exec("DELETE FROM products WHERE sku = $1 || 'TOP'");  // first: its BOM names SUB
      exec("DELETE FROM products WHERE sku = $1 || 'SUB'");
      exec("DELETE FROM materials WHERE code = $1 || 'M'");
      exec("DELETE FROM work_centers WHERE code = $1 || 'WC'");
    }
    pool_.reset();
  }

  // One statement with $1 = this test's prefix.
  void exec(const std::string& sql) {
    auto r = run(pool_->query(sql, pg::params(p_)));
    ASSERT_TRUE(r) << pg::to_string(r.error()) << ": " << sql;
  }

  long long version() {
    auto v = run(read_price_list_version(*pool_));
    EXPECT_TRUE(v);
    return v ? *v : -1;
  }

  std::optional<pg::Pool> pool_;
  std::string p_;
  bool created_ = false;
};

TEST_F(PricingRepository, LoadsReferenceDataExactly) {
  auto book = run(load_price_book(*pool_));
  ASSERT_TRUE(book) << book.error().message;
  EXPECT_GE(book->version, 1);
  EXPECT_LE(book->version, version());

  const Material& m = book->materials.at(p_ + "M");
  EXPECT_EQ(m.unit, "kg");
  EXPECT_EQ(m.price.kopecks(), 9'850);
  EXPECT_EQ(book->work_centers.at(p_ + "WC").hourly_rate.kopecks(), 260'000);

  const Product& sub = book->products.at(p_ + "SUB");
  ASSERT_EQ(sub.bom.size(), 1u);
  EXPECT_TRUE(sub.bom[0].is_material);
  EXPECT_EQ(sub.bom[0].component, p_ + "M");
  EXPECT_EQ(sub.bom[0].quantity_per_unit.micros, 125'000);
  EXPECT_EQ(sub.bom[0].scrap.bp, 250);

  const Product& top = book->products.at(p_ + "TOP");
  EXPECT_EQ(top.category, "test");
  ASSERT_EQ(top.bom.size(), 2u);  // in line order
  EXPECT_FALSE(top.bom[0].is_material);
  EXPECT_EQ(top.bom[0].component, p_ + "SUB");
  EXPECT_EQ(top.bom[0].quantity_per_unit.micros, 3'000'000);
  EXPECT_EQ(top.bom[1].scrap.bp, 500);
  ASSERT_EQ(top.routing.size(), 1u);
  EXPECT_EQ(top.routing[0].work_center, p_ + "WC");
  EXPECT_EQ(top.routing[0].setup.micros, 20'500'000);
  EXPECT_EQ(top.routing[0].run_per_unit.micros, 750'000);

  // And the calculator runs on it: 10 TOP = 30 SUB x 0.128125 kg + 10 x 2.4675 kg.
  auto c = calculate(*book, {p_ + "TOP", 10, {}});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->breakdown.materials.to_string(), "2809.10");  // 28.51875 kg x 98.50 = 2809.096875
  EXPECT_EQ(c->breakdown.machine.to_string(), "325.00");     // 7.5 min x 2600 / 60
  EXPECT_EQ(c->breakdown.setup.to_string(), "888.33");       // 20.5 x 2600 / 60 = 888.333...
  EXPECT_EQ(c->price_list_version, book->version);
}

TEST_F(PricingRepository, WritesBumpTheVersionOnlyWhenTheyChangeARow) {
  const long long before = version();
  auto updated = run(set_material_price(*pool_, p_ + "M", Money::from_kopecks(81'240)));
  ASSERT_TRUE(updated) << updated.error().message;
  EXPECT_EQ(updated->value.price.to_string(), "812.40");
  EXPECT_EQ(updated->value.code, p_ + "M");
  EXPECT_EQ(updated->value.updated_at.size(), 20u);
  EXPECT_GT(updated->price_list_version, before);
  EXPECT_EQ(version(), updated->price_list_version);  // committed

  auto rate = run(set_hourly_rate(*pool_, p_ + "WC", Money::from_kopecks(420'000)));
  ASSERT_TRUE(rate);
  EXPECT_EQ(rate->value.hourly_rate.to_string(), "4200.00");
  EXPECT_GT(rate->price_list_version, updated->price_list_version);

  const long long now = version();
  auto missing = run(set_material_price(*pool_, p_ + "NOPE", Money::from_kopecks(1)));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ProblemKind::not_found);
  EXPECT_EQ(missing.error().code, "unknown_material");
  auto missing_wc = run(set_hourly_rate(*pool_, p_ + "NOPE", Money::from_kopecks(1)));
  ASSERT_FALSE(missing_wc);
  EXPECT_EQ(missing_wc.error().code, "unknown_work_center");
  EXPECT_EQ(version(), now);  // rolled back: the statement trigger's bump is undone

  auto list = run(list_materials(*pool_));
  ASSERT_TRUE(list);
  EXPECT_EQ(list->price_list_version, now);
  bool seen = false;
  for (const auto& m : list->value)
    seen = seen || (m.code == p_ + "M" && m.price.kopecks() == 81'240);
  EXPECT_TRUE(seen);
}

TEST_F(PricingRepository, SnapshotReloadsOnlyWhenTheVersionMovesAndOnceForManyCallers) {
  PriceBookSnapshot snapshot(*pool_);
  auto first = run(snapshot.current());
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(snapshot.loads(), 1u);
  auto again = run(snapshot.current());
  ASSERT_TRUE(again);
  EXPECT_EQ(snapshot.loads(), 1u);  // version unchanged: the same book
  EXPECT_EQ(again->get(), first->get());

  exec("UPDATE materials SET price = 99.00 WHERE code = $1 || 'M'");
  // Eight concurrent callers after the change: one load, all see the new price.
  int done = 0, fresh = 0;
  for (int i = 0; i < 8; ++i) {
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
          auto book = co_await snapshot.current();
          ++done;
          if (book && (*book)->materials.at(p_ + "M").price.kopecks() == 9'900) ++fresh;
        },
        asio::detached);
  }
  ASSERT_TRUE(run_until([&] { return done == 8; }, 10s));
  EXPECT_EQ(fresh, 8);
  EXPECT_EQ(snapshot.loads(), 2u);
  EXPECT_EQ(snapshot.loaded_version(), version());

  // A burst of callers shares version reads: the first starts one, the others share
  // the next (which starts after they arrived): two queries, not twenty. The first read
  // is held in flight by a lock from another session until all twenty have arrived: a
  // read that completes before the next caller arrives must not be shared with it, so
  // without the lock a loaded machine may (rightly) run twenty reads one after another.
  const auto reads_before = snapshot.version_reads();
  shopfloor::testing::SqlSession locker("sf_test_version_lock");
  locker.exec("BEGIN");
  locker.exec("LOCK TABLE price_list_version IN ACCESS EXCLUSIVE MODE");
  done = 0;
  for (int i = 0; i < 20; ++i) {
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
          auto book = co_await snapshot.current();
          if (book) ++done;
        },
        asio::detached);
  }
  ASSERT_TRUE(run_until([&] { return snapshot.version_reads() - reads_before == 1; }, 10s));
  shopfloor::testing::run_for(io_, 200ms);  // every caller has arrived and waits
  EXPECT_EQ(done, 0);
  locker.exec("COMMIT");
  ASSERT_TRUE(run_until([&] { return done == 20; }, 10s));
  EXPECT_EQ(snapshot.version_reads() - reads_before, 2u);
  EXPECT_EQ(snapshot.loads(), 2u);
}

}  // namespace
}  // namespace shopfloor::pricing
