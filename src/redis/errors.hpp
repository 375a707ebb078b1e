// Transport errors of the Redis client, as boost::system::error_code (Beast style).
//
// These say why a command got no reply from the server; they are never the
// server's own answer. A server error reply ("-NOPERM ...", "-WRONGTYPE ...")
// is a successful exchange and arrives as a Reply of type error instead.
// Callers of a cache treat every value here the same way (fail open to the
// database); the distinctions exist for logs, metrics and tests.
//
// Thread-safety: error codes and the category are immutable; use freely.
#pragma once

#include <boost/system/error_code.hpp>
#include <type_traits>

namespace shopfloor::redis {

enum class error {
  timeout = 1,       // the command's deadline passed before its reply arrived
  not_connected,     // no connection was ready; the command was not sent
  connection_lost,   // the connection failed (reset, EOF, overdue replies) while the command waited
  protocol,          // the server sent bytes that are not RESP2, or a reply nobody asked for
  auth_failed,       // AUTH was rejected (wrong user/password, user disabled)
  closed,            // stop() was called; the client is shut down
  handshake_failed,  // the server rejected SELECT during the connection handshake
};

const boost::system::error_category& error_category() noexcept;

inline boost::system::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace shopfloor::redis

template <>
struct boost::system::is_error_code_enum<shopfloor::redis::error> : std::true_type {};
