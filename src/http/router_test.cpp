// Unit tests for the router: matching, parameters, precedence, 404/405, slashes.
#include "http/router.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <stdexcept>

#include "testing/run.hpp"

namespace shopfloor::http {
namespace {

// A handler answering with its own name, so tests can tell which one matched.
Handler named(std::string name) {
  return [name](const Request&, const PathParams&) -> asio::awaitable<Response> {
    co_return Response::json(200, name);
  };
}

// Runs the matched handler to completion and returns its body.
std::string run(const RouteMatch& m) {
  if (m.handler == nullptr) return "<none>";
  asio::io_context ioc;
  Request req;
  return testing::run(ioc, (*m.handler)(req, m.params)).body;
}

Router sample() {
  Router r;
  r.add(Method::get, "/", named("root"));
  r.add(Method::get, "/orders", named("orders_list"));
  r.add(Method::post, "/orders", named("orders_create"));
  r.add(Method::get, "/orders/{number}", named("order_get"));
  r.add(Method::get, "/orders/summary", named("orders_summary"));
  r.add(Method::post, "/orders/{number}/status", named("order_status"));
  r.add(Method::delete_, "/tokens/{name}", named("token_delete"));
  r.add(Method::put, "/materials/{code}/prices/{list}", named("material_price"));
  return r;
}

TEST(HttpRouter, StaticRoutes) {
  const Router r = sample();
  auto m = r.match(Method::get, "/orders");
  ASSERT_EQ(m.outcome, RouteMatch::Outcome::found);
  EXPECT_EQ(run(m), "orders_list");
  EXPECT_EQ(m.route, "/orders");
  EXPECT_TRUE(m.params.empty());

  m = r.match(Method::post, "/orders");
  EXPECT_EQ(run(m), "orders_create");
  EXPECT_EQ(run(r.match(Method::get, "/")), "root");
}

TEST(HttpRouter, ParamRoutesDecodeEachSegment) {
  const Router r = sample();
  auto m = r.match(Method::get, "/orders/ORD-0000042");
  ASSERT_EQ(m.outcome, RouteMatch::Outcome::found);
  EXPECT_EQ(run(m), "order_get");
  EXPECT_EQ(m.route, "/orders/{number}");
  EXPECT_EQ(m.params.get("number"), "ORD-0000042");
  EXPECT_EQ(m.params.get("missing"), "");

  // An encoded slash stays inside the parameter instead of adding a segment.
  m = r.match(Method::post, "/orders/A%2FB%20C/status");
  ASSERT_EQ(m.outcome, RouteMatch::Outcome::found);
  EXPECT_EQ(m.route, "/orders/{number}/status");
  EXPECT_EQ(m.params.get("number"), "A/B C");

  m = r.match(Method::put, "/materials/STEEL/prices/2026");
  ASSERT_EQ(m.outcome, RouteMatch::Outcome::found);
  ASSERT_EQ(m.params.size(), 2u);
  EXPECT_EQ(m.params[0], (std::pair<std::string, std::string>{"code", "STEEL"}));
  EXPECT_EQ(m.params[1], (std::pair<std::string, std::string>{"list", "2026"}));
}

TEST(HttpRouter, LiteralBeatsParameter) {
  const Router r = sample();
  EXPECT_EQ(run(r.match(Method::get, "/orders/summary")), "orders_summary");
  EXPECT_EQ(r.match(Method::get, "/orders/summary").route, "/orders/summary");
  EXPECT_EQ(run(r.match(Method::get, "/orders/summary2")), "order_get");
}

TEST(HttpRouter, LessSpecificPatternServesMethodTheLiteralLacks) {
  Router r;
  r.add(Method::get, "/orders/summary", named("summary"));
  r.add(Method::post, "/orders/{number}", named("by_number"));
  auto m = r.match(Method::post, "/orders/summary");
  ASSERT_EQ(m.outcome, RouteMatch::Outcome::found);
  EXPECT_EQ(run(m), "by_number");
  EXPECT_EQ(m.params.get("number"), "summary");
}

TEST(HttpRouter, NotFound) {
  const Router r = sample();
  for (const char* path : {"/nope", "/orders/1/2", "/orders/1/status/x", "", "orders",
                           "/orders/%zz", "/orders//status"}) {
    auto m = r.match(Method::get, path);
    EXPECT_EQ(m.outcome, RouteMatch::Outcome::not_found) << path;
    EXPECT_EQ(m.handler, nullptr);
    EXPECT_EQ(m.route, "unmatched") << path;
  }
}

TEST(HttpRouter, MethodNotAllowedListsAllow) {
  const Router r = sample();
  auto m = r.match(Method::delete_, "/orders");
  EXPECT_EQ(m.outcome, RouteMatch::Outcome::method_not_allowed);
  EXPECT_EQ(m.allow, "GET, HEAD, POST");
  EXPECT_EQ(m.route, "unmatched");

  // The union over every pattern matching the path.
  m = r.match(Method::put, "/orders/summary");
  EXPECT_EQ(m.outcome, RouteMatch::Outcome::method_not_allowed);
  EXPECT_EQ(m.allow, "GET, HEAD");

  m = r.match(Method::get, "/tokens/acme");
  EXPECT_EQ(m.outcome, RouteMatch::Outcome::method_not_allowed);
  EXPECT_EQ(m.allow, "DELETE");

  m = r.match(Method::other, "/orders");
  EXPECT_EQ(m.outcome, RouteMatch::Outcome::method_not_allowed);
}

TEST(HttpRouter, HeadFallsBackToGet) {
  Router r = sample();
  auto m = r.match(Method::head, "/orders/7");
  ASSERT_EQ(m.outcome, RouteMatch::Outcome::found);
  EXPECT_EQ(run(m), "order_get");
  // An explicit HEAD route wins over the fallback.
  r.add(Method::head, "/orders", named("orders_head"));
  EXPECT_EQ(run(r.match(Method::head, "/orders")), "orders_head");
  // No GET, no HEAD.
  EXPECT_EQ(r.match(Method::head, "/tokens/x").outcome, RouteMatch::Outcome::method_not_allowed);
}

TEST(HttpRouter, TrailingSlashIsStrict) {
  Router r = sample();
  EXPECT_EQ(r.match(Method::get, "/orders/").outcome, RouteMatch::Outcome::not_found);
  EXPECT_EQ(r.match(Method::get, "/orders/7/").outcome, RouteMatch::Outcome::not_found);
  // Only a pattern that spells the slash matches it.
  r.add(Method::get, "/docs/", named("docs_dir"));
  EXPECT_EQ(run(r.match(Method::get, "/docs/")), "docs_dir");
  EXPECT_EQ(r.match(Method::get, "/docs").outcome, RouteMatch::Outcome::not_found);
}

TEST(HttpRouter, RejectsBadPatterns) {
  Router r = sample();
  EXPECT_THROW(r.add(Method::get, "orders", named("x")), std::invalid_argument);
  EXPECT_THROW(r.add(Method::get, "/a//b", named("x")), std::invalid_argument);
  EXPECT_THROW(r.add(Method::get, "/a/x{id}", named("x")), std::invalid_argument);
  EXPECT_THROW(r.add(Method::get, "/a/{}", named("x")), std::invalid_argument);
  EXPECT_THROW(r.add(Method::get, "/a/{id}/{id}", named("x")), std::invalid_argument);
  EXPECT_THROW(r.add(Method::other, "/a", named("x")), std::invalid_argument);
  EXPECT_THROW(r.add(Method::get, "/a", Handler{}), std::invalid_argument);
  // Duplicate, also under another parameter name (same shape).
  EXPECT_THROW(r.add(Method::get, "/orders", named("x")), std::invalid_argument);
  EXPECT_THROW(r.add(Method::get, "/orders/{id}", named("x")), std::invalid_argument);
  // Same shape, another method, another name: fine.
  r.add(Method::delete_, "/orders/{id}", named("order_delete"));
  auto m = r.match(Method::delete_, "/orders/9");
  EXPECT_EQ(run(m), "order_delete");
  EXPECT_EQ(m.params.get("id"), "9");
}

}  // namespace
}  // namespace shopfloor::http
