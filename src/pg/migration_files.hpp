// Migration files: finding, naming and fingerprinting sql/NNNN_name.sql.
//
// The pure half of the migrations runner (no database): which files exist, in
// which order, and their SHA-256 checksums. A file name is four or more digits,
// an underscore and a name of [A-Za-z0-9_]: "0001_foundation.sql" is version 1,
// name "foundation". Other *.sql files in the directory are an error (a typo
// would otherwise be skipped silently); files with other extensions are ignored.
//
// Thread-safety: free functions over values and files; safe from any thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pg/error.hpp"

namespace shopfloor::pg {

struct MigrationFile {
  int version = 0;
  std::string name;      // without version and extension: "foundation"
  std::string filename;  // "0001_foundation.sql"
  std::string sql;       // the file's contents
  std::string checksum;  // lowercase hex SHA-256 of `sql`
};

struct MigrationName {
  int version = 0;
  std::string name;
};

// "0001_foundation.sql" → {1, "foundation"}; nullopt if it does not match.
std::optional<MigrationName> parse_migration_filename(std::string_view filename);

// Lowercase hex SHA-256 of `data` (64 characters).
std::string sha256_hex(std::string_view data);

// All migrations in `dir`, ordered by version. Errors (Kind::query, no sqlstate):
// unreadable directory or file, a *.sql name that does not match, two files
// with the same version.
PgResult<std::vector<MigrationFile>> load_migrations(const std::filesystem::path& dir);

// Whether `name` is a plain or schema-qualified identifier ([A-Za-z_][A-Za-z0-9_]*,
// at most one dot), safe to quote into DDL.
bool valid_ledger_table(std::string_view name);

// `name` (validated) as a double-quoted SQL identifier: a.b → "a"."b".
std::string quote_ledger_table(std::string_view name);

// The advisory-lock key serialising runners of one ledger table (FNV-1a 64 of
// "shopfloor.migrate:" + table, as a signed bigint).
std::int64_t migration_lock_key(std::string_view ledger_table);

}  // namespace shopfloor::pg
