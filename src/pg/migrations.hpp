// migrate(): applies sql/NNNN_name.sql files to the database, once each, in order.
//
// Contract:
//   - Runs on one pooled connection holding pg_advisory_lock(key of the ledger
//     table), so concurrent runners (several instances starting at once)
//     serialise: each file is applied exactly once.
//   - Records every applied file in `ledger_table` (created if missing):
//     (version integer primary key, name, checksum = SHA-256 hex, applied_at).
//   - Each pending file runs in its own transaction together with its ledger
//     row: it is applied entirely or not at all. Files must not contain
//     transaction control (BEGIN/COMMIT); that is detected and reported.
//   - Already-applied files are skipped; if one's checksum changed, nothing is
//     applied and an error is returned (fix forward with a new file instead).
//   - Returns the number of files applied (0 when up to date).
// Errors: the failing file's name prefixes the message; a server error keeps its
// sqlstate. After any failure the connection is closed rather than returned to
// the pool, which releases the lock and aborts the transaction server-side.
//
// Runs as the application role: nothing here needs superuser rights. The ledger
// name is code, not input: [A-Za-z_][A-Za-z0-9_]*, optionally schema-qualified.
// Tests pass their own ledger table so they never touch the real one.
//
// Deadlines: every statement (the lock wait, each file) is bounded by
// `statement_timeout` (default 10 min: a migration may build an index).
//
// Thread-safety: as Pool: call on the pool's executor.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <filesystem>
#include <string>

#include "pg/error.hpp"
#include "pg/migration_files.hpp"
#include "pg/pool.hpp"

namespace shopfloor::pg {

asio::awaitable<PgResult<int>> migrate(
    Pool& pool, const std::filesystem::path& dir, std::string ledger_table = "schema_migrations",
    std::chrono::milliseconds statement_timeout = std::chrono::minutes(10));

// Whether the database has every migration in `files` applied, as they are (read-only: no
// lock, no DDL; for readiness and `shopfloor admin check`). A missing ledger table means
// nothing is applied. Versions applied without a file (a newer release migrated) are
// listed but do not make the schema out of date: migrations only add.
struct MigrationStatus {
  std::vector<std::string> pending;  // file names not applied yet
  std::vector<std::string> changed;  // file names applied with another checksum
  std::vector<long long> unknown;    // applied versions that have no file here
  bool current() const { return pending.empty() && changed.empty(); }
};

asio::awaitable<PgResult<MigrationStatus>> migration_status(
    Pool& pool, const std::vector<MigrationFile>& files,
    std::string ledger_table = "schema_migrations",
    std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace shopfloor::pg
