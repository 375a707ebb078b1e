// JSON request body parsing with the contract's 400/415 answers.
#include "http/json_body.hpp"

#include <boost/algorithm/string/predicate.hpp>
#include <boost/json/parse.hpp>

namespace shopfloor::http {

bool is_json_content_type(std::string_view content_type) {
  std::string_view media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.remove_suffix(1);
  while (!media.empty() && (media.front() == ' ' || media.front() == '\t')) media.remove_prefix(1);
  return boost::algorithm::iequals(media, "application/json");
}

Result<boost::json::object> parse_json_object(const Request& req) {
  const auto content_type = req.header("content-type");
  if (!content_type || !is_json_content_type(*content_type)) {
    return Problem{ProblemKind::unsupported_media, "unsupported_media_type",
                   "Content-Type must be application/json"};
  }
  if (req.body.empty()) return Problem::bad_input("malformed_json", "request body is empty");
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(req.body, ec);
  if (ec) return Problem::bad_input("malformed_json", "request body is not valid JSON");
  if (!v.is_object()) {
    return Problem::bad_input("expected_object", "request body must be a JSON object");
  }
  return std::move(v.as_object());
}

}  // namespace shopfloor::http
