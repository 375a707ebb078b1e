// Request-target parsing: split "/path?query" and percent-decode both parts.
//
// Pure functions, no I/O. Only origin-form targets ("/…") are accepted: the
// services are not proxies, so absolute-form and "*" are bad input. A decoded
// NUL byte or a malformed escape ("%4", "%zz") is bad input too, so handlers
// never see them. Path decoding keeps '+' literal; query decoding turns '+' into
// a space (HTML form convention, what browsers and curl --data-urlencode send).
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/problem.hpp"

namespace shopfloor::http {

struct ParsedTarget {
  std::string path;                                        // decoded
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order, repeats kept
};

// Empty on a malformed escape or a decoded NUL.
std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space);

// The raw path part of a target (everything before '?').
std::string_view raw_path(std::string_view target);

// Problem kind bad_input, code "malformed_target".
Result<ParsedTarget> parse_target(std::string_view target);

}  // namespace shopfloor::http
