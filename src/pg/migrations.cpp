// migrate(): lock, compare the ledger with the files, apply what is pending.
#include "pg/migrations.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <utility>

#include "pg/migration_files.hpp"

namespace shopfloor::pg {

asio::awaitable<PgResult<int>> migrate(Pool& pool, const std::filesystem::path& dir,
                                       std::string ledger_table,
                                       std::chrono::milliseconds timeout) {
  auto files = load_migrations(dir);
  if (!files) co_return files.error();
  if (!valid_ledger_table(ledger_table)) {
    co_return Error::query("", "invalid migrations ledger table name: " + ledger_table);
  }
  const std::string table = quote_ledger_table(ledger_table);
  const std::string lock_key = std::to_string(migration_lock_key(ledger_table));

  auto lease = co_await pool.acquire();
  if (!lease) co_return lease.error();
  Connection& conn = **lease;
  // Closing (not returning) the connection drops the session lock and any open
  // transaction with it.
  auto failed = [&conn](Error e) {
    conn.close();
    return e;
  };

  if (auto r =
          co_await conn.query("SELECT pg_advisory_lock($1::bigint)", params(lock_key), timeout);
      !r) {
    co_return failed(r.error());
  }
  if (auto r = co_await conn.query("CREATE TABLE IF NOT EXISTS " + table +
                                       " (version integer PRIMARY KEY,"
                                       " name text NOT NULL,"
                                       " checksum text NOT NULL,"
                                       " applied_at timestamptz NOT NULL DEFAULT now())",
                                   {}, timeout);
      !r) {
    co_return failed(r.error());
  }
  auto ledger = co_await conn.query("SELECT version, checksum FROM " + table, {}, timeout);
  if (!ledger) co_return failed(ledger.error());
  std::map<long long, std::string> applied;  // version → checksum
  for (int i = 0; i < ledger->size(); ++i) {
    applied.emplace(ledger->int64(i, 0), std::string(ledger->text(i, 1)));
  }

  // Verify everything before applying anything: a changed file means the
  // database and the code disagree about history.
  for (const auto& f : *files) {
    auto it = applied.find(f.version);
    if (it != applied.end() && it->second != f.checksum) {
      co_return failed(Error::query(
          "", "migration " + f.filename + " was changed after it was applied (checksum " +
                  f.checksum.substr(0, 12) + "…, recorded " + it->second.substr(0, 12) + "…)"));
    }
  }
  for (const auto& [version, checksum] : applied) {
    bool known = false;
    for (const auto& f : *files) known = known || f.version == version;
    if (!known)
      spdlog::warn("pg migrate: version {} is applied but has no file in {}", version,
                   dir.string());
  }

  int count = 0;
  for (const auto& f : *files) {
    if (applied.contains(f.version)) continue;
    spdlog::info("pg migrate: applying {}", f.filename);
    auto prefixed = [&f](Error e) {
      e.message = f.filename + ": " + e.message;
      return e;
    };
    if (auto r = co_await conn.query("BEGIN", {}, timeout); !r)
      co_return failed(prefixed(r.error()));
    if (auto r = co_await conn.execute_script(f.sql, timeout); !r) {
      co_return failed(prefixed(r.error()));
    }
    if (!conn.in_transaction()) {
      co_return failed(prefixed(Error::query("", "must not contain BEGIN/COMMIT/ROLLBACK")));
    }
    if (auto r = co_await conn.query(
            "INSERT INTO " + table + " (version, name, checksum) VALUES ($1::integer, $2, $3)",
            params(f.version, f.name, f.checksum), timeout);
        !r) {
      co_return failed(prefixed(r.error()));
    }
    auto commit = co_await conn.query("COMMIT", {}, timeout);
    if (!commit) co_return failed(prefixed(commit.error()));
    if (commit->command_status() == "ROLLBACK") {
      co_return failed(prefixed(Error::query("25P02", "transaction aborted; rolled back")));
    }
    ++count;
  }

  if (auto r =
          co_await conn.query("SELECT pg_advisory_unlock($1::bigint)", params(lock_key), timeout);
      !r) {
    co_return failed(r.error());
  }
  if (count > 0) spdlog::info("pg migrate: {} migration(s) applied", count);
  co_return count;
}

asio::awaitable<PgResult<MigrationStatus>> migration_status(Pool& pool,
                                                            const std::vector<MigrationFile>& files,
                                                            std::string ledger_table,
                                                            std::chrono::milliseconds timeout) {
  if (!valid_ledger_table(ledger_table))
    co_return Error::query("", "invalid ledger table name: " + ledger_table);
  MigrationStatus status;
  auto ledger = co_await pool.query(
      "SELECT version, checksum FROM " + quote_ledger_table(ledger_table), {}, timeout);
  std::map<long long, std::string> applied;  // version → checksum
  if (ledger) {
    for (int i = 0; i < ledger->size(); ++i)
      applied.emplace(ledger->int64(i, 0), std::string(ledger->text(i, 1)));
  } else if (ledger.error().sqlstate != "42P01") {  // undefined_table: nothing applied yet
    co_return ledger.error();
  }
  for (const auto& f : files) {
    auto it = applied.find(f.version);
    if (it == applied.end())
      status.pending.push_back(f.filename);
    else if (it->second != f.checksum)
      status.changed.push_back(f.filename);
  }
  for (const auto& [version, checksum] : applied) {
    const bool known =
        std::any_of(files.begin(), files.end(),
                    [v = version](const MigrationFile& f) { return f.version == v; });
    if (!known) status.unknown.push_back(version);
  }
  co_return status;
}

}  // namespace shopfloor::pg
