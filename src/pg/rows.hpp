// Rows: the result of one statement, read in libpq's text format.
//
// Owns the PGresult (PQclear on destruction); movable, not copyable. Values are
// text as PostgreSQL prints them ("t"/"f" for booleans, ISO dates, decimal
// numerics); views returned by text() live as long as the Rows.
// Misuse (row/column out of range, int64() of NULL or of non-integer text) throws
// std::out_of_range / std::invalid_argument: it is a bug in the caller's SQL or
// code, not an expected outcome.
//
// Thread-safety: read-only after construction; may be read from any thread.
#pragma once

#include <memory>
#include <string_view>

struct pg_result;  // PGresult, from libpq-fe.h

namespace shopfloor::pg {

class Rows {
 public:
  Rows() = default;                           // no result: size() == 0, affected() == 0
  explicit Rows(pg_result* result) noexcept;  // takes ownership

  int size() const noexcept;     // number of rows
  int columns() const noexcept;  // number of columns
  bool empty() const noexcept { return size() == 0; }

  bool is_null(int row, int col) const;
  std::string_view text(int row, int col) const;  // "" for NULL
  long long int64(int row, int col) const;

  // Index of the column named exactly `name` (case-sensitive), or -1.
  int column(std::string_view name) const noexcept;

  // Rows affected by INSERT/UPDATE/DELETE/MERGE/SELECT/COPY (PQcmdTuples); 0 otherwise.
  long long affected() const noexcept;

  // The command tag ("INSERT 0 1", "COMMIT", "ROLLBACK", ...).
  std::string_view command_status() const noexcept;

 private:
  void check(int row, int col) const;

  struct Clear {
    void operator()(pg_result* r) const noexcept;
  };
  std::unique_ptr<pg_result, Clear> result_;
};

}  // namespace shopfloor::pg
