// Reading a service's JSON answer in a test: the body as an object, and the contract's
// error envelope ({"error":{"code","message"}}). A body that is not what the contract
// says is a test failure (ADD_FAILURE) and reads as an empty object or a "<...>" code,
// so the test's own expectation fails next to it with the body shown.
//
// Thread-safety: pure functions (gtest's failure reporting is thread-safe).
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "testing/http_client.hpp"

namespace shopfloor::testing {

inline boost::json::object body_of(const HttpAnswer& a) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(a.body, ec);
  if (ec || !v.is_object()) {
    ADD_FAILURE() << "not a JSON object: " << a.body;
    return {};
  }
  return v.as_object();
}

// The error envelope's code; "<no envelope: body>" when the body is not one.
inline std::string error_code(const HttpAnswer& a) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(a.body, ec);
  const boost::json::object* o = ec ? nullptr : v.if_object();
  const boost::json::value* e = o ? o->if_contains("error") : nullptr;
  const boost::json::object* envelope = e ? e->if_object() : nullptr;
  const boost::json::value* code = envelope ? envelope->if_contains("code") : nullptr;
  if (!code || !code->is_string()) return "<no envelope: " + a.body + ">";
  EXPECT_TRUE(envelope->contains("message")) << a.body;
  return std::string(code->as_string());
}

}  // namespace shopfloor::testing
