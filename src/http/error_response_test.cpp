// Unit tests for the error envelope (status mapping, JSON shape and escaping)
// and the JSON body helper.
#include "http/error_response.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "http/json_body.hpp"

namespace shopfloor::http {
namespace {

boost::json::object parse(const std::string& body) {
  return boost::json::parse(body).as_object();
}

TEST(HttpErrorResponse, StatusPerKind) {
  const std::pair<ProblemKind, unsigned> table[] = {
      {ProblemKind::bad_input, 400},          {ProblemKind::unauthorized, 401},
      {ProblemKind::forbidden, 403},          {ProblemKind::not_found, 404},
      {ProblemKind::method_not_allowed, 405}, {ProblemKind::conflict, 409},
      {ProblemKind::too_large, 413},          {ProblemKind::unsupported_media, 415},
      {ProblemKind::unavailable, 503},        {ProblemKind::internal, 500},
  };
  for (const auto& [kind, status] : table) {
    const Response r = error_response(Problem{kind, "some_code", "m"});
    EXPECT_EQ(r.status, status);
    EXPECT_EQ(r.content_type, "application/json");
    EXPECT_EQ(http_status(kind), status);
  }
}

TEST(HttpErrorResponse, EnvelopeShape) {
  const Response r = error_response(Problem::conflict("invalid_transition", "new → shipped"));
  EXPECT_EQ(r.status, 409u);
  const auto body = parse(r.body);
  ASSERT_EQ(body.size(), 1u);
  const auto& err = body.at("error").as_object();
  ASSERT_EQ(err.size(), 2u);
  EXPECT_EQ(err.at("code").as_string(), "invalid_transition");
  EXPECT_EQ(err.at("message").as_string(), "new → shipped");
  EXPECT_TRUE(r.headers.empty());
}

TEST(HttpErrorResponse, EscapesMessage) {
  const std::string nasty = "quote \" backslash \\ newline \n tab \t ctl \x01 </script>";
  const Response r = error_response(Problem::bad_input("bad_value", nasty));
  // Raw control characters never reach the wire; the JSON reads back exactly.
  EXPECT_EQ(r.body.find('\n'), std::string::npos);
  EXPECT_EQ(r.body.find('\x01'), std::string::npos);
  EXPECT_NE(r.body.find("\\\""), std::string::npos);
  EXPECT_EQ(parse(r.body).at("error").at("message").as_string(), nasty);
}

TEST(HttpErrorResponse, UnauthorizedAsksForBearer) {
  const Response r = error_response(Problem{ProblemKind::unauthorized, "", "no token"});
  EXPECT_EQ(r.status, 401u);
  EXPECT_EQ(r.header("www-authenticate"), "Bearer");
  EXPECT_EQ(parse(r.body).at("error").at("code").as_string(), "unauthorized");
}

TEST(HttpErrorResponse, EmptyCodeGetsKindDefault) {
  EXPECT_EQ(parse(error_response(Problem{ProblemKind::too_large, "", "x"}).body)
                .at("error")
                .at("code")
                .as_string(),
            "payload_too_large");
  EXPECT_EQ(default_error_code(ProblemKind::bad_input), "bad_request");
}

TEST(HttpErrorResponse, InternalDetailIsNotAnswered) {
  const Response r = error_response(Problem::internal("pg: relation orders_x missing"));
  EXPECT_EQ(r.status, 500u);
  const auto err = parse(r.body).at("error").as_object();
  EXPECT_EQ(err.at("code").as_string(), "internal_error");
  EXPECT_EQ(r.body.find("orders_x"), std::string::npos);
}

Request json_request(std::string content_type, std::string body) {
  Request r;
  r.method = Method::post;
  if (!content_type.empty()) r.headers.emplace_back("content-type", std::move(content_type));
  r.body = std::move(body);
  return r;
}

TEST(HttpJsonBody, ParsesObject) {
  auto r = parse_json_object(json_request("application/json", R"({"a":1,"b":"x"})"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->at("a").as_int64(), 1);
  r = parse_json_object(json_request("Application/JSON; charset=utf-8", R"({})"));
  EXPECT_TRUE(r.has_value());
}

TEST(HttpJsonBody, WrongContentTypeIs415) {
  for (const char* ct :
       {"", "text/plain", "application/jsonx", "application/x-www-form-urlencoded"}) {
    auto r = parse_json_object(json_request(ct, R"({"a":1})"));
    ASSERT_TRUE(r.has_error()) << ct;
    EXPECT_EQ(r.error().kind, ProblemKind::unsupported_media) << ct;
    EXPECT_EQ(error_response(r.error()).status, 415u);
  }
}

TEST(HttpJsonBody, MalformedOrNotObjectIs400) {
  for (const char* body :
       {"", "{", "{\"a\":1,}", "[1,2]", "42", "\"s\"", "{\"a\":\"\xff\"}", "{} trailing"}) {
    auto r = parse_json_object(json_request("application/json", body));
    ASSERT_TRUE(r.has_error()) << body;
    EXPECT_EQ(r.error().kind, ProblemKind::bad_input) << body;
    EXPECT_EQ(error_response(r.error()).status, 400u);
  }
}

}  // namespace
}  // namespace shopfloor::http
