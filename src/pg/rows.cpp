// Rows: accessors over a PGresult.
#include "pg/rows.hpp"

#include <libpq-fe.h>

#include <charconv>
#include <stdexcept>
#include <string>

namespace shopfloor::pg {

void Rows::Clear::operator()(pg_result* r) const noexcept {
  PQclear(r);
}

Rows::Rows(pg_result* result) noexcept : result_(result) {}

int Rows::size() const noexcept {
  return result_ ? PQntuples(result_.get()) : 0;
}

int Rows::columns() const noexcept {
  return result_ ? PQnfields(result_.get()) : 0;
}

void Rows::check(int row, int col) const {
  if (row < 0 || row >= size() || col < 0 || col >= columns()) {
    throw std::out_of_range("pg::Rows: cell (" + std::to_string(row) + ", " + std::to_string(col) +
                            ") outside " + std::to_string(size()) + " x " +
                            std::to_string(columns()));
  }
}

bool Rows::is_null(int row, int col) const {
  check(row, col);
  return PQgetisnull(result_.get(), row, col) != 0;
}

std::string_view Rows::text(int row, int col) const {
  check(row, col);
  return {PQgetvalue(result_.get(), row, col),
          static_cast<std::size_t>(PQgetlength(result_.get(), row, col))};
}

long long Rows::int64(int row, int col) const {
  if (is_null(row, col)) {
    throw std::invalid_argument("pg::Rows::int64: column " + std::to_string(col) + " is NULL");
  }
  std::string_view s = text(row, col);
  long long v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) {
    throw std::invalid_argument("pg::Rows::int64: column " + std::to_string(col) +
                                " is not a 64-bit integer: '" + std::string(s) + "'");
  }
  return v;
}

int Rows::column(std::string_view name) const noexcept {
  // PQfnumber folds unquoted names to lower case; exact matching is less surprising.
  for (int c = 0; c < columns(); ++c) {
    if (name == PQfname(result_.get(), c)) return c;
  }
  return -1;
}

long long Rows::affected() const noexcept {
  if (!result_) return 0;
  const char* s = PQcmdTuples(result_.get());
  long long v = 0;
  std::string_view sv(s);
  std::from_chars(sv.data(), sv.data() + sv.size(), v);
  return v;
}

std::string_view Rows::command_status() const noexcept {
  return result_ ? std::string_view(PQcmdStatus(result_.get())) : std::string_view();
}

}  // namespace shopfloor::pg
