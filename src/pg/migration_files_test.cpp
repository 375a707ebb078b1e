// Migration files without a database: names, order, checksums, ledger names.
#include "pg/migration_files.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

namespace shopfloor::pg {
namespace {

namespace fs = std::filesystem;

TEST(MigrationFilename, AcceptsNumberedNames) {
  auto a = parse_migration_filename("0001_foundation.sql");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->version, 1);
  EXPECT_EQ(a->name, "foundation");
  auto b = parse_migration_filename("0042_orders_status_index.sql");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->version, 42);
  EXPECT_EQ(b->name, "orders_status_index");
  auto c = parse_migration_filename("12345_Big.sql");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->version, 12345);
}

TEST(MigrationFilename, RejectsEverythingElse) {
  for (const char* bad :
       {"001_short.sql", "0001-dash.sql", "0001_.sql", "0001.sql", "0001_name.txt",
        "0001_two words.sql", "abcd_name.sql", "0001_name.sql.bak", "_0001_name.sql",
        "0001_na;me.sql", "1234567890_too_many_digits.sql"}) {
    EXPECT_FALSE(parse_migration_filename(bad)) << bad;
  }
}

TEST(Sha256, MatchesKnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

class MigrationDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sf_migfiles_" + std::to_string(std::random_device{}()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }
  fs::path dir_;
};

TEST_F(MigrationDir, LoadsSqlFilesInVersionOrder) {
  write("0010_ten.sql", "SELECT 10;");
  write("0002_two.sql", "SELECT 2;");
  write("0001_one.sql", "SELECT 1;");
  write("notes.md", "ignored");
  fs::create_directories(dir_ / "0003_dir.sql");  // not a regular file: ignored
  auto files = load_migrations(dir_);
  ASSERT_TRUE(files) << files.error().message;
  ASSERT_EQ(files->size(), 3u);
  EXPECT_EQ((*files)[0].version, 1);
  EXPECT_EQ((*files)[1].version, 2);
  EXPECT_EQ((*files)[2].version, 10);
  EXPECT_EQ((*files)[2].filename, "0010_ten.sql");
  EXPECT_EQ((*files)[2].sql, "SELECT 10;");
  EXPECT_EQ((*files)[2].checksum, sha256_hex("SELECT 10;"));
}

TEST_F(MigrationDir, DuplicateVersionsAndBadNamesAreErrors) {
  write("0001_one.sql", "SELECT 1;");
  write("0001_uno.sql", "SELECT 1;");
  auto dup = load_migrations(dir_);
  ASSERT_FALSE(dup);
  EXPECT_NE(dup.error().message.find("version 1"), std::string::npos) << dup.error().message;
  fs::remove(dir_ / "0001_uno.sql");
  write("2_typo.sql", "SELECT 2;");
  auto typo = load_migrations(dir_);
  ASSERT_FALSE(typo);
  EXPECT_NE(typo.error().message.find("2_typo.sql"), std::string::npos);
}

TEST_F(MigrationDir, MissingDirectoryIsAnError) {
  EXPECT_FALSE(load_migrations(dir_ / "absent"));
}

TEST(LedgerTable, OnlyPlainIdentifiers) {
  EXPECT_TRUE(valid_ledger_table("schema_migrations"));
  EXPECT_TRUE(valid_ledger_table("app.schema_migrations"));
  EXPECT_TRUE(valid_ledger_table("_x9"));
  for (const char* bad : {"", "9abc", "a.b.c", "a b", "a;drop", "a\"b", ".a", "a.", "x-y"}) {
    EXPECT_FALSE(valid_ledger_table(bad)) << bad;
  }
  EXPECT_EQ(quote_ledger_table("schema_migrations"), "\"schema_migrations\"");
  EXPECT_EQ(quote_ledger_table("app.ledger"), "\"app\".\"ledger\"");
}

TEST(LedgerTable, LockKeyIsStablePerTable) {
  EXPECT_EQ(migration_lock_key("schema_migrations"), migration_lock_key("schema_migrations"));
  EXPECT_NE(migration_lock_key("schema_migrations"), migration_lock_key("other_ledger"));
}

}  // namespace
}  // namespace shopfloor::pg
