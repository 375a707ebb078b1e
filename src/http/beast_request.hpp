// Internal to src/http (server.cpp and request_parse.cpp): Beast's request message and
// parser errors turned into the Beast-free types handlers see. One place, so that the
// server and parse_request() (http/request_parse.hpp) can never disagree.
//
// Thread-safety: pure functions.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/system/error_code.hpp>

#include "http/message.hpp"
#include "http/request_parse.hpp"

namespace shopfloor::http::detail {

using BeastRequest = boost::beast::http::request<boost::beast::http::string_body>;

Method to_method(boost::beast::http::verb v);

// Method, target, headers (names lower-cased, in order) and body (moved out of msg).
Request to_request(BeastRequest& msg);

// How the parser's error answers (malformed / header_too_large / body_too_large).
ParseOutcome rejection_outcome(const boost::system::error_code& ec);

}  // namespace shopfloor::http::detail
