// Error mapping to Problem and to log text.
#include "pg/error.hpp"

namespace shopfloor::pg {

Problem Error::to_problem() const {
  switch (kind) {
    case Kind::unavailable:
      return Problem::unavailable("database unavailable");
    case Kind::timeout:
      return Problem::unavailable("database did not answer in time");
    case Kind::query:
      break;
  }
  return Problem::internal("database error");
}

std::string_view to_string(Error::Kind k) {
  switch (k) {
    case Error::Kind::unavailable:
      return "unavailable";
    case Error::Kind::timeout:
      return "timeout";
    case Error::Kind::query:
      return "query";
  }
  return "unknown";
}

std::string to_string(const Error& e) {
  std::string out(to_string(e.kind));
  if (!e.sqlstate.empty()) {
    out += ' ';
    out += e.sqlstate;
  }
  out += ": ";
  out += e.message;
  return out;
}

ErrorException::ErrorException(Error e) : std::runtime_error(to_string(e)), error_(std::move(e)) {}

void throw_exception_from_error(const Error& e, const boost::source_location&) {
  throw ErrorException(e);
}

}  // namespace shopfloor::pg
