// HTTP request and response as handlers see them: plain values, no Beast.
//
// The server (http/server.hpp) fills a Request from the wire and turns the
// handler's Response back into bytes, adding the headers every answer carries
// (X-Request-Id, Content-Type, Content-Length, Server, Connection). Keeping these
// types Beast-free means a handler's translation unit never instantiates Beast.
//
// Thread-safety: plain values; a Request is only read by the one handler call it
// was built for.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shopfloor::http {

namespace asio = boost::asio;

class EventStream;  // http/event_stream.hpp

enum class Method { get, head, post, put, patch, delete_, options, other };

// "GET", "HEAD", …; "OTHER" for Method::other.
std::string_view to_string(Method m);

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct Request {
  Method method = Method::get;
  std::string target;  // raw request target as received, e.g. "/orders?status=new%2Capproved"
  std::string path;    // percent-decoded path without the query, e.g. "/orders"
  // Percent-decoded query parameters ('+' is a space), in order, repeats kept.
  std::vector<std::pair<std::string, std::string>> query;
  HeaderList headers;  // names lower-case, values as received, in order
  std::string body;
  // Client's X-Request-Id when sane (see http/request_id.hpp), else generated.
  std::string request_id;
  asio::ip::address remote;  // peer address of the connection

  // First header with this (lower-case) name.
  std::optional<std::string_view> header(std::string_view lower_name) const;
  // First query parameter with this name.
  std::optional<std::string_view> query_param(std::string_view name) const;
};

struct Response {
  unsigned status = 200;
  std::string body;
  std::string content_type = "application/json";
  // Extra headers, e.g. {"X-Cache", "HIT"}. Do not repeat the headers the server
  // sets itself (see top of file).
  HeaderList headers;
  // Set for a streaming answer (Server-Sent Events): the server writes the status and
  // headers, then the stream's frames as they come instead of `body`, and closes the
  // connection when the stream ends (see http/event_stream.hpp).
  std::shared_ptr<EventStream> stream;
  // For a 500 built by error_response(): the problem's detail, which is never sent to
  // the client. The server logs it with the request id (one place for every service).
  std::string internal_detail;

  static Response json(unsigned status, std::string body);
  // First extra header with this name (case-insensitive).
  std::optional<std::string_view> header(std::string_view name) const;
};

}  // namespace shopfloor::http
