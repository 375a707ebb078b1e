// Unit tests for target parsing, request ids and small message helpers.
#include "http/target.hpp"

#include <gtest/gtest.h>

#include <set>

#include "http/message.hpp"
#include "http/request_id.hpp"
#include "http/server.hpp"

namespace shopfloor::http {
namespace {

using Query = std::vector<std::pair<std::string, std::string>>;

TEST(HttpTarget, SplitsAndDecodes) {
  auto t = parse_target("/orders/A%2FB?status=new%2Capproved&customer=Ural+mash&x&status=ready");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->path, "/orders/A/B");
  EXPECT_EQ(
      t->query,
      (Query{
          {"status", "new,approved"}, {"customer", "Ural mash"}, {"x", ""}, {"status", "ready"}}));
}

TEST(HttpTarget, PlusIsLiteralInPath) {
  auto t = parse_target("/a+b?q=a%2Bb&&");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->path, "/a+b");
  EXPECT_EQ(t->query, (Query{{"q", "a+b"}}));
}

TEST(HttpTarget, RejectsMalformed) {
  for (const char* bad :
       {"", "orders", "*", "http://host/orders", "/a%", "/a%4", "/a%zz", "/a%00b", "/a?x=%G1"}) {
    auto t = parse_target(bad);
    ASSERT_TRUE(t.has_error()) << bad;
    EXPECT_EQ(t.error().kind, ProblemKind::bad_input);
    EXPECT_EQ(t.error().code, "malformed_target");
  }
}

TEST(HttpTarget, AcceptsBytesRfc3986WantsEscapedAsBrowsersSendThem) {
  // Beast lets these through and browsers send some unescaped in queries; only a
  // malformed escape or a NUL is bad input.
  auto t = parse_target("/a|b/caf\xc3\xa9?q=[1]&r=a|b&s=\"x\"&t=^{}`&u=caf%C3%A9");
  ASSERT_TRUE(t.has_value()) << t.error().message;
  EXPECT_EQ(t->path, "/a|b/caf\xc3\xa9");
  EXPECT_EQ(
      t->query,
      (Query{{"q", "[1]"}, {"r", "a|b"}, {"s", "\"x\""}, {"t", "^{}`"}, {"u", "caf\xc3\xa9"}}));
}

TEST(HttpTarget, QueryEdgeCases) {
  auto t = parse_target("/p?=v&k=&&a=b=c&%26=%3D&q?=/x");
  ASSERT_TRUE(t.has_value()) << t.error().message;
  EXPECT_EQ(t->query, (Query{{"", "v"}, {"k", ""}, {"a", "b=c"}, {"&", "="}, {"q?", "/x"}}));
  auto empty = parse_target("/p?");
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->query.empty());
  EXPECT_TRUE(parse_target("/p?a=%00").has_error());
  EXPECT_TRUE(parse_target("/p?%00=1").has_error());
}

TEST(HttpTarget, PercentDecode) {
  EXPECT_EQ(percent_decode("a%20b+c", false), "a b+c");
  EXPECT_EQ(percent_decode("a%20b+c", true), "a b c");
  EXPECT_EQ(percent_decode("%2f%2F", false), "//");
  EXPECT_EQ(percent_decode("", false), "");
  for (const char* bad : {"%", "%4", "%zz", "a%00"}) {
    EXPECT_FALSE(percent_decode(bad, false).has_value()) << bad;
  }
}

TEST(HttpTarget, IgnoresFragmentAndGivesRawPath) {
  auto t = parse_target("/a?b=1#frag");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->query, (Query{{"b", "1"}}));
  EXPECT_EQ(raw_path("/a%20b?c=d"), "/a%20b");
  EXPECT_EQ(raw_path("/a"), "/a");
}

TEST(HttpRequestId, SaneIdsAreKept) {
  EXPECT_EQ(choose_request_id("abc-123_DEF.4:5"), "abc-123_DEF.4:5");
  EXPECT_EQ(choose_request_id("6f1c1c0e-8a3b-4a57-9d8e-1f2a3b4c5d6e"),
            "6f1c1c0e-8a3b-4a57-9d8e-1f2a3b4c5d6e");
  EXPECT_TRUE(request_id_is_sane(std::string(kMaxRequestIdLength, 'a')));
}

TEST(HttpRequestId, InsaneIdsAreReplaced) {
  for (const std::string& bad :
       {std::string(), std::string(kMaxRequestIdLength + 1, 'a'), std::string("a b"),
        std::string("a\"b"), std::string("a\r\nX-Evil: 1"), std::string("caf\xc3\xa9")}) {
    const std::string id = choose_request_id(bad);
    EXPECT_NE(id, bad);
    EXPECT_EQ(id.size(), 16u);
  }
  EXPECT_EQ(choose_request_id(std::nullopt).size(), 16u);
}

TEST(HttpRequestId, GeneratedIdsAreHexAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = generate_request_id();
    ASSERT_EQ(id.size(), 16u);
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(HttpMessage, HeaderAndQueryLookup) {
  Request r;
  r.headers = {{"content-type", "application/json"}, {"x-a", "1"}, {"x-a", "2"}};
  r.query = {{"page", "2"}};
  EXPECT_EQ(r.header("x-a"), "1");
  EXPECT_FALSE(r.header("x-b").has_value());
  EXPECT_EQ(r.query_param("page"), "2");
  Response res = Response::json(201, "{}");
  res.headers.emplace_back("X-Cache", "HIT");
  EXPECT_EQ(res.status, 201u);
  EXPECT_EQ(res.header("x-cache"), "HIT");
  EXPECT_EQ(to_string(Method::delete_), "DELETE");
  EXPECT_EQ(to_string(Method::other), "OTHER");
}

TEST(HttpLoopback, RecognisesLoopbackPeers) {
  EXPECT_TRUE(is_loopback(asio::ip::make_address("127.0.0.1")));
  EXPECT_TRUE(is_loopback(asio::ip::make_address("127.3.2.1")));
  EXPECT_TRUE(is_loopback(asio::ip::make_address("::1")));
  EXPECT_TRUE(is_loopback(asio::ip::make_address("::ffff:127.0.0.1")));
  EXPECT_FALSE(is_loopback(asio::ip::make_address("10.0.0.1")));
  EXPECT_FALSE(is_loopback(asio::ip::make_address("::ffff:10.0.0.1")));
  EXPECT_FALSE(is_loopback(asio::ip::make_address("2001:db8::1")));
}

}  // namespace
}  // namespace shopfloor::http
