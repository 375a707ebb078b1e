// Problem: the one typed error that crosses layers in Shopfloor.
//
// Expected failures (bad input, missing row, database down, cache timeout) are
// values, not exceptions: functions return `Result<T>` (boost::system::result
// with a Problem as its error). Each layer picks a `ProblemKind`; the HTTP layer
// maps kinds to status codes in exactly one place (http/error_response.hpp), and
// `code` becomes the contract's snake_case error code. `message` is for humans
// and must never contain secrets.
//
// Thread-safety: plain values; copy freely.
#pragma once

#include <boost/system/result.hpp>
#include <stdexcept>
#include <string>
#include <utility>

namespace shopfloor {

enum class ProblemKind {
  bad_input,           // 400: malformed, wrong type, out of range, unknown enum value
  unauthorized,        // 401: no or bad credentials
  forbidden,           // 403: role not allowed
  not_found,           // 404
  method_not_allowed,  // 405
  conflict,            // 409: e.g. invalid status transition, concurrent change
  too_large,           // 413
  unsupported_media,   // 415
  unavailable,         // 503: a dependency (database) is down or timed out
  internal,            // 500: a bug; logged with detail, answered without it
};

struct Problem {
  ProblemKind kind = ProblemKind::internal;
  std::string code;     // contract error code, snake_case, e.g. "invalid_transition"
  std::string message;  // human text, safe to show to the client

  static Problem bad_input(std::string code, std::string message) {
    return {ProblemKind::bad_input, std::move(code), std::move(message)};
  }
  static Problem not_found(std::string message) {
    return {ProblemKind::not_found, "not_found", std::move(message)};
  }
  static Problem conflict(std::string code, std::string message) {
    return {ProblemKind::conflict, std::move(code), std::move(message)};
  }
  static Problem unavailable(std::string message) {
    return {ProblemKind::unavailable, "service_unavailable", std::move(message)};
  }
  static Problem internal(std::string message) {
    return {ProblemKind::internal, "internal_error", std::move(message)};
  }
};

// Thrown only when code calls `.value()` on a failed Result; a programming error.
class ProblemError : public std::runtime_error {
 public:
  explicit ProblemError(Problem p) : std::runtime_error(p.message), problem_(std::move(p)) {}
  const Problem& problem() const noexcept { return problem_; }

 private:
  Problem problem_;
};

[[noreturn]] inline void throw_exception_from_error(const Problem& p,
                                                    const boost::source_location&) {
  throw ProblemError(p);
}

template <class T>
using Result = boost::system::result<T, Problem>;

}  // namespace shopfloor
