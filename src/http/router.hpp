// Router: maps (method, path) to a handler coroutine.
//
// Patterns are absolute paths whose segments are either literal ("orders") or a
// whole-segment parameter ("{number}"), e.g. "/orders/{number}/status". Matching
// is on segments of the raw request path, each percent-decoded on its own, so
// "/orders/A%2FB" gives number = "A/B" rather than an extra segment. Literals
// compare exactly (case-sensitive).
//
// Precedence: when several patterns match a path, the most specific wins: at the
// first segment where they differ, a literal beats a parameter
// ("/orders/summary" before "/orders/{number}"). Among the patterns matching the
// path, the most specific one that has the request's method is used.
//
// Outcomes: no pattern matches the path → 404; patterns match but none has the
// method → 405, with the methods they do have in `allow` (for the Allow header).
// HEAD falls back to the GET handler when no HEAD route exists (the server drops
// the body); HEAD is then listed in `allow` too.
//
// Trailing-slash policy: strict. "/orders/" is a different path from "/orders"
// and, unless a pattern spells it, a 404. There are no redirects: API clients do
// not follow them for POST, and one canonical URL keeps cache keys unique. Empty
// segments ("//") never match.
//
// Thread-safety: build the Router fully (add) before serving; afterwards it is
// immutable and match() may be called from every shard concurrently (the server
// shares it as shared_ptr<const Router>). add() throws std::invalid_argument on
// a malformed pattern or a duplicate (method, pattern shape).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/message.hpp"

namespace shopfloor::http {

// Values of a pattern's {parameters}, decoded, in pattern order.
struct PathParams : std::vector<std::pair<std::string, std::string>> {
  using vector::vector;
  // The value of `name`; empty if the pattern has no such parameter.
  std::string_view get(std::string_view name) const;
};

// A handler is a coroutine on the server's executor. Request and params stay
// valid until it completes. Expected failures are answered as values
// (error_response); a thrown exception becomes a 500 (internal_error) and is
// logged. A lambda coroutine's captures live in the Router, so capture only what
// outlives it.
using Handler = std::function<asio::awaitable<Response>(const Request&, const PathParams&)>;

struct RouteMatch {
  enum class Outcome { found, not_found, method_not_allowed };
  Outcome outcome = Outcome::not_found;
  const Handler* handler = nullptr;  // found only; valid while the Router lives
  PathParams params;                 // found only
  // The matched pattern (bounded cardinality: use it as a metrics label), or
  // "unmatched" for 404/405. Points into the Router.
  std::string_view route = "unmatched";
  std::string allow;  // method_not_allowed only, e.g. "GET, HEAD, POST"
};

class Router {
 public:
  Router();
  ~Router();
  Router(Router&&) noexcept;
  Router& operator=(Router&&) noexcept;

  // e.g. add(Method::post, "/orders/{number}/status", h). Method::other is not
  // routable.
  void add(Method m, std::string pattern, Handler h);

  // `path` is the raw (still percent-encoded) path of the target, no query.
  RouteMatch match(Method m, std::string_view path) const;

 private:
  struct Shape;
  std::vector<std::unique_ptr<Shape>> shapes_;
};

}  // namespace shopfloor::http
