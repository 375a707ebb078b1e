// Unit tests for parse_request / route_request: the server's parser and limits on
// bytes alone, pipelining, and the 400/404/405 answers before any handler runs.
#include "http/request_parse.hpp"

#include <gtest/gtest.h>

#include <string>

namespace shopfloor::http {
namespace {

asio::awaitable<Response> unused(const Request&, const PathParams&) {
  co_return Response{};
}

TEST(ParseRequest, CompleteRequestWithBody) {
  const std::string wire =
      "POST /orders?x=1 HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
      "X-Request-Id: abc\r\nContent-Length: 2\r\n\r\n{}";
  const ParsedRequest p = parse_request(wire, {});
  ASSERT_EQ(p.outcome, ParseOutcome::complete);
  EXPECT_EQ(p.consumed, wire.size());
  EXPECT_TRUE(p.keep_alive);
  EXPECT_EQ(p.request.method, Method::post);
  EXPECT_EQ(p.request.target, "/orders?x=1");
  EXPECT_EQ(p.request.body, "{}");
  EXPECT_EQ(p.request.header("x-request-id"), "abc");  // names lower-cased
  EXPECT_EQ(p.request.header("content-type"), "application/json");
}

TEST(ParseRequest, PipelinedRequestsAreSelfDelimiting) {
  const std::string first = "GET /health HTTP/1.1\r\nHost: a\r\n\r\n";
  const std::string second = "GET /metrics HTTP/1.0\r\n\r\n";
  const ParsedRequest a = parse_request(first + second, {});
  ASSERT_EQ(a.outcome, ParseOutcome::complete);
  EXPECT_EQ(a.consumed, first.size());
  const ParsedRequest b = parse_request(std::string_view(first + second).substr(a.consumed), {});
  ASSERT_EQ(b.outcome, ParseOutcome::complete);
  EXPECT_EQ(b.request.target, "/metrics");
  EXPECT_EQ(b.version, 10u);
  EXPECT_FALSE(b.keep_alive);
}

TEST(ParseRequest, ChunkedBody) {
  const std::string wire =
      "POST /calculations HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
  const ParsedRequest p = parse_request(wire, {});
  ASSERT_EQ(p.outcome, ParseOutcome::complete);
  EXPECT_EQ(p.request.body, "abcde");
  EXPECT_EQ(p.consumed, wire.size());
}

TEST(ParseRequest, PrefixIsIncomplete) {
  EXPECT_EQ(parse_request("GET /orders HTTP/1.1\r\nHost: a\r\n", {}).outcome,
            ParseOutcome::incomplete);
  EXPECT_EQ(parse_request("POST /orders HTTP/1.1\r\nContent-Length: 5\r\n\r\nab", {}).outcome,
            ParseOutcome::incomplete);
  EXPECT_EQ(parse_request("", {}).outcome, ParseOutcome::incomplete);
}

TEST(ParseRequest, LimitsAndMalformedInput) {
  const RequestLimits small{.header_limit = 64, .body_limit = 4};
  const ParsedRequest big_body =
      parse_request("POST /orders HTTP/1.1\r\nContent-Length: 5\r\n\r\n", small);
  EXPECT_EQ(big_body.outcome, ParseOutcome::body_too_large);
  EXPECT_EQ(big_body.request.target, "/orders");  // what the start line gave
  const std::string long_header = "GET / HTTP/1.1\r\nX-A: " + std::string(100, 'a') + "\r\n\r\n";
  EXPECT_EQ(parse_request(long_header, small).outcome, ParseOutcome::header_too_large);
  EXPECT_EQ(parse_request(long_header, {}).outcome, ParseOutcome::complete);
  EXPECT_EQ(parse_request("GET / FTP/1.1\r\n\r\n", {}).outcome, ParseOutcome::malformed);
  EXPECT_EQ(parse_request("POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n", {}).outcome,
            ParseOutcome::malformed);

  EXPECT_EQ(rejection_problem(ParseOutcome::body_too_large, small).code, "payload_too_large");
  EXPECT_EQ(rejection_problem(ParseOutcome::body_too_large, small).kind, ProblemKind::too_large);
  EXPECT_EQ(rejection_problem(ParseOutcome::header_too_large, small).code, "header_too_large");
  EXPECT_EQ(rejection_problem(ParseOutcome::malformed, small).code, "malformed_request");
}

TEST(RouteRequest, DecodesAndRoutes) {
  Router router;
  router.add(Method::get, "/orders/{number}", unused);
  router.add(Method::post, "/orders", unused);

  Request r;
  r.method = Method::get;
  r.target = "/orders/A%2FB?status=new%2Capproved&x=a+b";
  const RoutedRequest ok = route_request(router, r);
  ASSERT_FALSE(ok.answer);
  EXPECT_EQ(ok.match.route, "/orders/{number}");
  EXPECT_EQ(ok.match.params.get("number"), "A/B");
  EXPECT_EQ(r.path, "/orders/A/B");
  ASSERT_EQ(r.query.size(), 2u);
  EXPECT_EQ(r.query[0].second, "new,approved");
  EXPECT_EQ(r.query[1].second, "a b");

  Request bad;
  bad.target = "/orders/%zz";
  EXPECT_EQ(route_request(router, bad).answer->status, 400u);
  Request missing;
  missing.target = "/nothing";
  EXPECT_EQ(route_request(router, missing).answer->status, 404u);
  Request wrong;
  wrong.method = Method::delete_;
  wrong.target = "/orders";
  const RoutedRequest no = route_request(router, wrong);
  ASSERT_TRUE(no.answer);
  EXPECT_EQ(no.answer->status, 405u);
  EXPECT_EQ(no.answer->header("Allow"), "POST");
}

}  // namespace
}  // namespace shopfloor::http
