// ProblemKind → HTTP status and the JSON error envelope.
#include "http/error_response.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace shopfloor::http {

unsigned http_status(ProblemKind kind) {
  switch (kind) {
    case ProblemKind::bad_input:
      return 400;
    case ProblemKind::unauthorized:
      return 401;
    case ProblemKind::forbidden:
      return 403;
    case ProblemKind::not_found:
      return 404;
    case ProblemKind::method_not_allowed:
      return 405;
    case ProblemKind::conflict:
      return 409;
    case ProblemKind::too_large:
      return 413;
    case ProblemKind::unsupported_media:
      return 415;
    case ProblemKind::unavailable:
      return 503;
    case ProblemKind::internal:
      break;
  }
  return 500;
}

std::string_view default_error_code(ProblemKind kind) {
  switch (kind) {
    case ProblemKind::bad_input:
      return "bad_request";
    case ProblemKind::unauthorized:
      return "unauthorized";
    case ProblemKind::forbidden:
      return "forbidden";
    case ProblemKind::not_found:
      return "not_found";
    case ProblemKind::method_not_allowed:
      return "method_not_allowed";
    case ProblemKind::conflict:
      return "conflict";
    case ProblemKind::too_large:
      return "payload_too_large";
    case ProblemKind::unsupported_media:
      return "unsupported_media_type";
    case ProblemKind::unavailable:
      return "service_unavailable";
    case ProblemKind::internal:
      break;
  }
  return "internal_error";
}

Response error_response(const Problem& p) {
  // The detail of an internal problem describes a bug; it belongs in the log (the
  // server writes it with the request id), not in the answer.
  const bool internal = p.kind == ProblemKind::internal;
  std::string_view message = internal ? std::string_view("internal server error") : p.message;
  boost::json::object inner;
  inner["code"] = p.code.empty() ? default_error_code(p.kind) : std::string_view(p.code);
  inner["message"] = message;
  boost::json::object envelope;
  envelope["error"] = std::move(inner);

  Response r = Response::json(http_status(p.kind), boost::json::serialize(envelope));
  if (p.kind == ProblemKind::unauthorized) r.headers.emplace_back("WWW-Authenticate", "Bearer");
  if (internal) r.internal_detail = p.message.empty() ? "(no detail)" : p.message;
  return r;
}

}  // namespace shopfloor::http
