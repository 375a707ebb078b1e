// Reading a JSON request body, the way every write handler needs it.
//
// parse_json_object() insists on `Content-Type: application/json` (parameters
// such as `; charset=utf-8` allowed, case-insensitive), otherwise 415
// (unsupported_media, code "unsupported_media_type"). The body must be one JSON
// object in valid UTF-8 (Boost.JSON's strict defaults: no comments, no trailing
// commas); an empty body, malformed JSON or another JSON type is 400 (bad_input,
// code "malformed_json" / "expected_object"). Field validation stays with the
// handler.
//
// Thread-safety: pure functions.
#pragma once

#include <boost/json/object.hpp>
#include <string_view>

#include "core/problem.hpp"
#include "http/message.hpp"

namespace shopfloor::http {

// True for "application/json" with or without parameters.
bool is_json_content_type(std::string_view content_type);

Result<boost::json::object> parse_json_object(const Request& req);

}  // namespace shopfloor::http
