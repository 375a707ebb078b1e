// migrate() against the real PostgreSQL, with throw-away migration directories,
// table names and ledger tables (never the real schema_migrations); plus the
// project's own sql/0001_foundation.sql checked as the app role.
#include <gtest/gtest.h>

#include <boost/asio/detached.hpp>
#include <filesystem>
#include <fstream>

#include "pg/migration_files.hpp"
#include "pg/migrations.hpp"
#include "pg/pgtest_env.hpp"

#ifndef SHOPFLOOR_SQL_DIR
#error "SHOPFLOOR_SQL_DIR must name the repository's sql/ directory"
#endif

namespace shopfloor::pg {
namespace {

using namespace pgtest;
using Kind = Error::Kind;
namespace fs = std::filesystem;

class MigrationsTest : public PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    if (HasFatalFailure()) return;
    dir_ = fs::temp_directory_path() / ("sf_migrations_" + id_);
    fs::create_directories(dir_);
    prefix_ = "sf_test_mig_" + id_ + "_";
    ledger_ = prefix_ + "ledger";
    pool_.emplace(io_.get_executor(), opts_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    if (!pool_) return;
    for (const char* t : {"ledger", "a", "b", "c", "log"}) {
      auto r = run(pool_->query("DROP TABLE IF EXISTS " + prefix_ + t + " CASCADE"));
      EXPECT_TRUE(r) << to_string(r.error());
    }
  }
  void write(const std::string& name, const std::string& sql) {
    std::ofstream(dir_ / name, std::ios::binary | std::ios::trunc) << sql;
  }
  PgResult<int> migrate_now() { return run(migrate(*pool_, dir_, ledger_)); }
  long long scalar(const std::string& sql) {
    auto r = run(pool_->query(sql));
    if (!r) {
      ADD_FAILURE() << sql << ": " << to_string(r.error());
      return -1;
    }
    return r->int64(0, 0);
  }
  bool table_exists(const std::string& name) {
    return scalar("SELECT count(*) FROM pg_tables WHERE tablename = '" + name + "'") == 1;
  }

  fs::path dir_;
  std::string prefix_, ledger_;
  std::optional<Pool> pool_;
};

TEST_F(MigrationsTest, AppliesInOrderOnceAndRecordsChecksums) {
  const std::string first = "CREATE TABLE " + prefix_ +
                            "a (id int PRIMARY KEY, note text);\n"
                            "INSERT INTO " +
                            prefix_ + "a VALUES (1, 'semi;colon');\n";
  // Depends on the first file having run.
  const std::string second = "CREATE TABLE " + prefix_ + "b (id int REFERENCES " + prefix_ +
                             "a (id));\nALTER TABLE " + prefix_ + "a ADD COLUMN extra int;\n";
  write("0002_more.sql", second);
  write("0001_create.sql", first);
  write("README.txt", "not a migration");

  auto applied = migrate_now();
  ASSERT_TRUE(applied) << to_string(applied.error());
  EXPECT_EQ(*applied, 2);
  EXPECT_TRUE(table_exists(prefix_ + "a"));
  EXPECT_TRUE(table_exists(prefix_ + "b"));
  EXPECT_EQ(scalar("SELECT count(*) FROM " + prefix_ + "a"), 1);

  auto ledger = run(pool_->query("SELECT version, name, checksum, applied_at IS NOT NULL FROM " +
                                 ledger_ + " ORDER BY version"));
  ASSERT_TRUE(ledger) << to_string(ledger.error());
  ASSERT_EQ(ledger->size(), 2);
  EXPECT_EQ(ledger->int64(0, 0), 1);
  EXPECT_EQ(ledger->text(0, 1), "create");
  EXPECT_EQ(ledger->text(0, 2), sha256_hex(first));
  EXPECT_EQ(ledger->text(0, 3), "t");
  EXPECT_EQ(ledger->int64(1, 0), 2);
  EXPECT_EQ(ledger->text(1, 1), "more");
  EXPECT_EQ(ledger->text(1, 2), sha256_hex(second));

  auto again = migrate_now();
  ASSERT_TRUE(again) << to_string(again.error());
  EXPECT_EQ(*again, 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM " + ledger_), 2);

  // A later file is picked up on the next run.
  write("0003_later.sql", "CREATE TABLE " + prefix_ + "c (x int);");
  auto third = migrate_now();
  ASSERT_TRUE(third) << to_string(third.error());
  EXPECT_EQ(*third, 1);
  EXPECT_TRUE(table_exists(prefix_ + "c"));
}

TEST_F(MigrationsTest, StatusSaysWhatIsPendingChangedOrUnknown) {
  write("0001_a.sql", "CREATE TABLE " + prefix_ + "a (id int);");
  write("0002_b.sql", "CREATE TABLE " + prefix_ + "b (id int);");
  auto files = load_migrations(dir_);
  ASSERT_TRUE(files);
  auto before = run(migration_status(*pool_, *files, ledger_));  // no ledger table yet
  ASSERT_TRUE(before) << to_string(before.error());
  EXPECT_FALSE(before->current());
  EXPECT_EQ(before->pending, (std::vector<std::string>{"0001_a.sql", "0002_b.sql"}));
  ASSERT_TRUE(migrate_now());
  auto after = run(migration_status(*pool_, *files, ledger_));
  ASSERT_TRUE(after);
  EXPECT_TRUE(after->current());
  EXPECT_TRUE(after->unknown.empty());
  // An older release (fewer files) is still current: a newer one migrated ahead of it.
  std::vector<MigrationFile> older{files->front()};
  auto behind = run(migration_status(*pool_, older, ledger_));
  ASSERT_TRUE(behind);
  EXPECT_TRUE(behind->current());
  EXPECT_EQ(behind->unknown, (std::vector<long long>{2}));
  // A file edited after it was applied: not current.
  write("0002_b.sql", "CREATE TABLE " + prefix_ + "b (id bigint);");
  auto edited = load_migrations(dir_);
  ASSERT_TRUE(edited);
  auto changed = run(migration_status(*pool_, *edited, ledger_));
  ASSERT_TRUE(changed);
  EXPECT_FALSE(changed->current());
  EXPECT_EQ(changed->changed, (std::vector<std::string>{"0002_b.sql"}));
}

TEST_F(MigrationsTest, AChangedAppliedFileIsAnErrorAndNothingElseIsApplied) {
  write("0001_create.sql", "CREATE TABLE " + prefix_ + "a (id int);");
  auto applied = migrate_now();
  ASSERT_TRUE(applied) << to_string(applied.error());
  EXPECT_EQ(*applied, 1);

  write("0001_create.sql", "CREATE TABLE " + prefix_ + "a (id bigint);");
  write("0002_next.sql", "CREATE TABLE " + prefix_ + "b (id int);");
  auto changed = migrate_now();
  ASSERT_FALSE(changed);
  EXPECT_EQ(changed.error().kind, Kind::query);
  EXPECT_NE(changed.error().message.find("0001_create.sql"), std::string::npos)
      << changed.error().message;
  EXPECT_NE(changed.error().message.find("changed"), std::string::npos);
  EXPECT_FALSE(table_exists(prefix_ + "b"));
  EXPECT_EQ(scalar("SELECT count(*) FROM " + ledger_), 1);
  // The failed run released its lock: a run with the file restored proceeds.
  write("0001_create.sql", "CREATE TABLE " + prefix_ + "a (id int);");
  auto fixed = migrate_now();
  ASSERT_TRUE(fixed) << to_string(fixed.error());
  EXPECT_EQ(*fixed, 1);
}

TEST_F(MigrationsTest, AFailingFileIsRolledBackEntirely) {
  write("0001_create.sql", "CREATE TABLE " + prefix_ + "a (id int);");
  write("0002_broken.sql", "CREATE TABLE " + prefix_ + "b (id int);\nSELEC 1;\n");
  write("0003_after.sql", "CREATE TABLE " + prefix_ + "c (id int);");
  auto r = migrate_now();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, Kind::query);
  EXPECT_EQ(r.error().sqlstate, "42601");
  EXPECT_EQ(r.error().message.rfind("0002_broken.sql: ", 0), 0u) << r.error().message;
  EXPECT_TRUE(table_exists(prefix_ + "a"));
  EXPECT_FALSE(table_exists(prefix_ + "b")) << "half of a failed file was kept";
  EXPECT_FALSE(table_exists(prefix_ + "c")) << "a file after the failure ran";
  EXPECT_EQ(scalar("SELECT count(*) FROM " + ledger_), 1);

  write("0002_broken.sql", "CREATE TABLE " + prefix_ + "b (id int);\n");
  auto fixed = migrate_now();
  ASSERT_TRUE(fixed) << to_string(fixed.error());
  EXPECT_EQ(*fixed, 2);
}

TEST_F(MigrationsTest, TransactionControlInsideAFileIsRejected) {
  write("0001_sneaky.sql", "CREATE TABLE " + prefix_ + "a (id int); COMMIT;");
  auto r = migrate_now();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("BEGIN/COMMIT"), std::string::npos) << r.error().message;
  EXPECT_EQ(scalar("SELECT count(*) FROM " + ledger_), 0);
}

TEST_F(MigrationsTest, ConcurrentRunnersApplyEachFileExactlyOnce) {
  // Each file logs its own execution; the first one is slow so the runs overlap.
  write("0001_log.sql", "CREATE TABLE " + prefix_ +
                            "log (file text);\n"
                            "INSERT INTO " +
                            prefix_ +
                            "log VALUES ('0001');\n"
                            "SELECT pg_sleep(0.3);\n");
  write("0002_more.sql", "INSERT INTO " + prefix_ + "log VALUES ('0002');");
  Pool other(io_.get_executor(), opts_);
  std::optional<PgResult<int>> a, b;
  asio::co_spawn(
      io_, [&]() -> asio::awaitable<void> { a.emplace(co_await migrate(*pool_, dir_, ledger_)); },
      asio::detached);
  asio::co_spawn(
      io_, [&]() -> asio::awaitable<void> { b.emplace(co_await migrate(other, dir_, ledger_)); },
      asio::detached);
  ASSERT_TRUE(run_until([&] { return a && b; }, 20s));
  ASSERT_TRUE(*a) << to_string(a->error());
  ASSERT_TRUE(*b) << to_string(b->error());
  EXPECT_EQ(**a + **b, 2);
  EXPECT_TRUE(**a == 0 || **b == 0) << "the first runner applies both, the second none";
  EXPECT_EQ(scalar("SELECT count(*) FROM " + prefix_ + "log WHERE file = '0001'"), 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM " + prefix_ + "log WHERE file = '0002'"), 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM " + ledger_), 2);
}

TEST_F(MigrationsTest, BadDirectoryOrNamesAreErrors) {
  auto missing = run(migrate(*pool_, dir_ / "nope", ledger_));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, Kind::query);
  write("1_too_short.sql", "SELECT 1;");
  auto bad = migrate_now();
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("1_too_short.sql"), std::string::npos);
  auto bad_ledger = run(migrate(*pool_, dir_, "x; DROP TABLE y"));
  ASSERT_FALSE(bad_ledger);
  EXPECT_EQ(bad_ledger.error().kind, Kind::query);
}

// The project's real first migration: valid SQL, applicable by the app role,
// constraints as the contract needs. Applied in a scratch schema inside a
// transaction that is rolled back, so the real database is untouched.
TEST_F(MigrationsTest, FoundationMigrationWorksForTheAppRole) {
  auto files = load_migrations(SHOPFLOOR_SQL_DIR);
  ASSERT_TRUE(files) << to_string(files.error());
  ASSERT_FALSE(files->empty());
  const MigrationFile& foundation = files->front();
  ASSERT_EQ(foundation.filename, "0001_foundation.sql");

  auto lease = run(pool_->acquire());
  ASSERT_TRUE(lease) << to_string(lease.error());
  Connection& c = **lease;
  const std::string schema = "sf_test_schema_" + id_;
  ASSERT_TRUE(run(c.query("BEGIN")));
  auto created = run(c.query("CREATE SCHEMA " + schema));
  ASSERT_TRUE(created) << to_string(created.error());
  ASSERT_TRUE(run(c.query("SET LOCAL search_path TO " + schema)));
  auto applied = run(c.execute_script(foundation.sql));
  ASSERT_TRUE(applied) << to_string(applied.error());

  auto ok = run(c.query("INSERT INTO api_tokens (name, role, token_hash) VALUES ($1, $2, $3)",
                        params("acme", "partner", sha256_hex("secret"))));
  ASSERT_TRUE(ok) << to_string(ok.error());
  auto row = run(c.query("SELECT created_at IS NOT NULL, revoked_at IS NULL FROM api_tokens"));
  ASSERT_TRUE(row);
  EXPECT_EQ(row->text(0, 0), "t");
  EXPECT_EQ(row->text(0, 1), "t");
  ASSERT_TRUE(run(c.query("SAVEPOINT s")));
  auto bad_role = run(c.query("INSERT INTO api_tokens (name, role, token_hash) VALUES ($1, $2, $3)",
                              params("x", "root", "h1")));
  ASSERT_FALSE(bad_role);
  EXPECT_EQ(bad_role.error().sqlstate, "23514");  // check_violation
  ASSERT_TRUE(run(c.query("ROLLBACK TO SAVEPOINT s")));
  auto same_hash =
      run(c.query("INSERT INTO api_tokens (name, role, token_hash) VALUES ($1, $2, $3)",
                  params("other", "admin", sha256_hex("secret"))));
  ASSERT_FALSE(same_hash);
  EXPECT_EQ(same_hash.error().sqlstate, "23505");
  ASSERT_TRUE(run(c.query("ROLLBACK TO SAVEPOINT s")));
  auto same_name =
      run(c.query("INSERT INTO api_tokens (name, role, token_hash) VALUES ($1, $2, $3)",
                  params("acme", "admin", "h2")));
  ASSERT_FALSE(same_name);
  EXPECT_EQ(same_name.error().sqlstate, "23505");
  ASSERT_TRUE(run(c.query("ROLLBACK")));
  EXPECT_EQ(scalar("SELECT count(*) FROM pg_namespace WHERE nspname = '" + schema + "'"), 0);
}

}  // namespace
}  // namespace shopfloor::pg
