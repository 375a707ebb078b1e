// Error envelope: the ONE place that maps a ProblemKind to an HTTP status.
//
// Every error answer has the contract's shape
//   {"error":{"code":"<snake_case_code>","message":"<human text>"}}
// built with Boost.JSON (so quotes, backslashes and control characters in a
// message are escaped properly). Mapping: bad_input 400, unauthorized 401 (plus
// `WWW-Authenticate: Bearer`), forbidden 403, not_found 404, method_not_allowed
// 405, conflict 409, too_large 413, unsupported_media 415, unavailable 503,
// internal 500. An empty Problem::code is replaced by the kind's generic code
// (e.g. "bad_request"). For `internal` the message is a bug's detail: the client
// gets a generic text, and the detail travels in Response::internal_detail to the
// server, which logs it with the request id (every answer gets its request id the
// same way: from the server, never from a handler).
//
// A 405 answer must also carry `Allow`; the router knows it, so the server adds
// it (see http/router.hpp).
//
// Thread-safety: pure functions.
#pragma once

#include "core/problem.hpp"
#include "http/message.hpp"

namespace shopfloor::http {

unsigned http_status(ProblemKind kind);

// The generic snake_case code used when a Problem has none, e.g. "not_found".
std::string_view default_error_code(ProblemKind kind);

// Every error answer of every service is built here.
Response error_response(const Problem& p);

}  // namespace shopfloor::http
