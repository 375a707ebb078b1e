// Error envelope: the ONE place that maps a ProblemKind to an HTTP status.
//
// Every error answer has the contract's shape
//   {"error":{"code":"<snake_case_code>","message":"<human text>"}}
// built with Boost.JSON (so quotes, backslashes and control characters in a
// message are escaped properly). Mapping: bad_input 400, unauthorized 401 (plus
// `WWW-Authenticate: Bearer`), forbidden 403, not_found 404, method_not_allowed
// 405, conflict 409, too_large 413, unsupported_media 415, unavailable 503,
// internal 500. An empty Problem::code is replaced by the kind's generic code
// (e.g. "bad_request"). For `internal` the message is a bug's detail: it is
// logged (spdlog error, with the request id when given) and the client gets a
// generic text instead.
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

Response error_response(const Problem& p);
// Same; an internal problem's log line carries the request id. Prefer this in
// handlers: error_response(problem, req.request_id).
Response error_response(const Problem& p, std::string_view request_id);

}  // namespace shopfloor::http
