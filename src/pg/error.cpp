// Error mapping to Problem and to log text.
#include "pg/error.hpp"

namespace shopfloor::pg {

namespace {

// SQLSTATEs that say the server could not do the work now, not that the request or the
// code is wrong: the client may retry (503). Class 08 connection exception, 53
// insufficient resources (too many connections, disk full, out of memory), 57P01-57P05
// shutdown, crash or restart in progress, idle session killed, 40001 serialization
// failure, 40P01 deadlock detected, 55P03 lock not available.
bool transient(std::string_view sqlstate) {
  if (sqlstate.size() != 5) return false;
  const std::string_view cls = sqlstate.substr(0, 2);
  return cls == "08" || cls == "53" ||
         (sqlstate.starts_with("57P") && sqlstate != "57P04") ||  // 57P04: no database
         sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "55P03";
}

}  // namespace

Problem Error::to_problem() const {
  switch (kind) {
    case Kind::unavailable:
      return Problem::unavailable("database unavailable");
    case Kind::timeout:
      return Problem::unavailable("database did not answer in time");
    case Kind::query:
      break;
  }
  if (transient(sqlstate)) return Problem::unavailable("database unavailable, try again");
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
