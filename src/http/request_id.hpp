// Request ids: echo the client's X-Request-Id when it is safe to log and to send
// back, otherwise make a new one.
//
// "Sane" means 1..128 characters from [A-Za-z0-9._:@/+=-]: enough for UUIDs,
// W3C trace ids and the usual "<service>-<n>" forms, and nothing that could split
// a log line, inject a header or need quoting in key=value logs. An id that is
// not sane is replaced, not repaired: a half-kept id would only mislead whoever
// correlates logs.
//
// Thread-safety: generate_request_id() uses a thread-local generator; all
// functions may be called from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace shopfloor::http {

inline constexpr std::size_t kMaxRequestIdLength = 128;

bool request_id_is_sane(std::string_view id);

// 16 lower-case hex characters (64 random bits).
std::string generate_request_id();

// The client's id if sane, else a generated one.
std::string choose_request_id(std::optional<std::string_view> client_id);

}  // namespace shopfloor::http
