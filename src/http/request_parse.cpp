// Request bytes → Request → route, on the server's own Beast parser.
#include "http/request_parse.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <string>

#include "http/beast_request.hpp"
#include "http/error_response.hpp"
#include "http/target.hpp"

namespace shopfloor::http {

namespace bhttp = boost::beast::http;

namespace detail {

Method to_method(bhttp::verb v) {
  switch (v) {
    case bhttp::verb::get:
      return Method::get;
    case bhttp::verb::head:
      return Method::head;
    case bhttp::verb::post:
      return Method::post;
    case bhttp::verb::put:
      return Method::put;
    case bhttp::verb::patch:
      return Method::patch;
    case bhttp::verb::delete_:
      return Method::delete_;
    case bhttp::verb::options:
      return Method::options;
    default:
      return Method::other;
  }
}

Request to_request(BeastRequest& msg) {
  Request r;
  r.method = to_method(msg.method());
  r.target = std::string(msg.target());
  r.headers.reserve(static_cast<std::size_t>(std::distance(msg.begin(), msg.end())));
  for (const auto& f : msg) {
    std::string name(f.name_string());
    for (auto& c : name) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    r.headers.emplace_back(std::move(name), std::string(f.value()));
  }
  r.body = std::move(msg.body());
  return r;
}

ParseOutcome rejection_outcome(const boost::system::error_code& ec) {
  if (ec == bhttp::error::body_limit) return ParseOutcome::body_too_large;
  if (ec == bhttp::error::header_limit) return ParseOutcome::header_too_large;
  return ParseOutcome::malformed;
}

}  // namespace detail

ParsedRequest parse_request(std::string_view bytes, const RequestLimits& limits) {
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(limits.header_limit));
  parser.body_limit(limits.body_limit);
  ParsedRequest out;
  boost::system::error_code ec;
  std::size_t used = 0;
  // What beast::http::read does with a buffer holding everything received: put()
  // until the message is done, more is needed, or the parser fails.
  while (!parser.is_done()) {
    const std::size_t n = parser.put(asio::buffer(bytes.data() + used, bytes.size() - used), ec);
    used += n;
    if (ec == bhttp::error::need_more) {
      ec = {};
      if (n == 0 || used == bytes.size()) break;
      continue;
    }
    if (ec || n == 0) break;
  }
  if (parser.got_some() || ec) {
    const auto& h = parser.get();
    out.request.method = detail::to_method(h.method());
    out.request.target = std::string(h.target());
    if (h.version() == 10 || h.version() == 11) out.version = h.version();
  }
  if (ec) {
    out.outcome = detail::rejection_outcome(ec);
    return out;
  }
  if (!parser.is_done()) {
    out.outcome = ParseOutcome::incomplete;
    return out;
  }
  auto msg = parser.release();
  out.outcome = ParseOutcome::complete;
  out.keep_alive = msg.keep_alive();
  out.request = detail::to_request(msg);
  out.consumed = used;
  return out;
}

Problem rejection_problem(ParseOutcome outcome, const RequestLimits& limits) {
  switch (outcome) {
    case ParseOutcome::body_too_large:
      return {ProblemKind::too_large, "payload_too_large",
              "request body exceeds " + std::to_string(limits.body_limit) + " bytes"};
    case ParseOutcome::header_too_large:
      return Problem::bad_input(
          "header_too_large",
          "request headers exceed " + std::to_string(limits.header_limit) + " bytes");
    default:
      return Problem::bad_input("malformed_request", "malformed HTTP request");
  }
}

RoutedRequest route_request(const Router& router, Request& r) {
  RoutedRequest out;
  auto target = parse_target(r.target);
  if (!target) {
    out.answer = error_response(target.error());
    return out;
  }
  r.path = std::move(target->path);
  r.query = std::move(target->query);

  out.match = router.match(r.method, raw_path(r.target));
  if (out.match.outcome == RouteMatch::Outcome::not_found) {
    out.answer = error_response(Problem::not_found("no such resource"));
  } else if (out.match.outcome == RouteMatch::Outcome::method_not_allowed) {
    Response res = error_response(
        {ProblemKind::method_not_allowed, "method_not_allowed",
         std::string(to_string(r.method)) + " is not allowed here; allowed: " + out.match.allow});
    res.headers.emplace_back("Allow", out.match.allow);
    out.answer = std::move(res);
  }
  return out;
}

}  // namespace shopfloor::http
