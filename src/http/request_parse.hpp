// From request bytes to a routed Request, without a socket: what the server does
// between reading and running a handler, as pure functions.
//
// parse_request() runs the server's own HTTP/1.1 parser (Beast's request_parser with
// ServerOptions' header_limit and body_limit) over bytes that are all the client has
// sent so far, and builds the handler's Request the same way the server does (header
// names lower-cased, values as received). route_request() completes a parsed Request
// (decoded path and query) and matches it against a Router: the server's dispatch uses
// both, so the fuzz targets in fuzz/ exercise exactly the code a client reaches.
//
// Neither throws (except std::bad_alloc): malformed input is an outcome.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "core/problem.hpp"
#include "http/message.hpp"
#include "http/router.hpp"

namespace shopfloor::http {

struct RequestLimits {
  // Largest request line + headers in bytes (ServerOptions::header_limit).
  // Default: 16 KiB.
  std::size_t header_limit = 16 * 1024;
  // Largest body in bytes, declared or streamed (ServerOptions::body_limit).
  // Default: 1 MiB.
  std::size_t body_limit = 1 << 20;
};

enum class ParseOutcome {
  complete,          // one whole request; more bytes may follow (pipelining)
  incomplete,        // a prefix of a request: the server would wait for more
  malformed,         // 400 malformed_request, then close
  header_too_large,  // 400 header_too_large, then close
  body_too_large,    // 413 payload_too_large, then close
};

struct ParsedRequest {
  ParseOutcome outcome = ParseOutcome::incomplete;
  // complete: method, target, headers and body (path, query, request_id and remote are
  // left for later steps). Otherwise whatever the start line gave (method, target).
  Request request;
  std::size_t consumed = 0;  // complete: bytes of this request (the next one starts here)
  bool keep_alive = false;   // complete: whether the connection stays open afterwards
  unsigned version = 11;     // 10 or 11; 11 when the start line did not say
};

// One request from the front of `bytes`.
ParsedRequest parse_request(std::string_view bytes, const RequestLimits& limits);

// The answer the server gives a request its parser rejected (outcome malformed,
// header_too_large or body_too_large).
Problem rejection_problem(ParseOutcome outcome, const RequestLimits& limits);

struct RoutedRequest {
  // Set when no handler runs: 400 malformed_target, 404, or 405 (with its Allow header).
  std::optional<Response> answer;
  RouteMatch match;  // match.outcome == found when answer is empty
};

// Fills r.path and r.query from r.target and matches r against the router.
RoutedRequest route_request(const Router& router, Request& r);

}  // namespace shopfloor::http
