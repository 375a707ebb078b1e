// Error: how a PostgreSQL operation failed, as a value.
//
// Three kinds, because callers react to three different things:
//   unavailable  the server could not be reached or the connection was lost
//                (connect refused or timed out, authentication failed, socket
//                closed, server shutting down): retrying later may help;
//   timeout      the operation missed its deadline (query_timeout or
//                acquire_timeout): the database is reachable but slow or busy;
//   query        the server rejected the statement; `sqlstate` says why
//                ("23505" unique violation, "40001" serialization failure, ...).
// Callers that care about a particular sqlstate (conflicts, retries) test it
// themselves; to_problem() gives the generic mapping for everything else.
//
// Thread-safety: a plain value; copy freely.
#pragma once

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

#include "core/problem.hpp"

namespace shopfloor::pg {

struct Error {
  enum class Kind { unavailable, timeout, query } kind = Kind::unavailable;
  std::string sqlstate;  // five characters for Kind::query when the server sent one; else empty
  std::string message;   // the server's or libpq's message; never contains a password

  static Error unavailable(std::string message) {
    return {Kind::unavailable, {}, std::move(message)};
  }
  static Error timeout(std::string message) { return {Kind::timeout, {}, std::move(message)}; }
  static Error query(std::string sqlstate, std::string message) {
    return {Kind::query, std::move(sqlstate), std::move(message)};
  }

  // unavailable and timeout → ProblemKind::unavailable (503); query → unavailable when its
  // SQLSTATE says the server could not do it now (shutting down, connection lost,
  // resources, serialization failure, deadlock), else internal (500).
  // The Problem's message is generic: server messages can quote data and stay in logs.
  Problem to_problem() const;
};

// "query failed: 42P01 relation ... does not exist": for logs.
std::string to_string(const Error& e);
std::string_view to_string(Error::Kind k);

template <class T>
using PgResult = boost::system::result<T, Error>;

// Thrown only when code calls `.value()` on a failed PgResult: a programming error.
class ErrorException : public std::runtime_error {
 public:
  explicit ErrorException(Error e);
  const Error& error() const noexcept { return error_; }

 private:
  Error error_;
};

[[noreturn]] void throw_exception_from_error(const Error& e, const boost::source_location& loc);

}  // namespace shopfloor::pg
