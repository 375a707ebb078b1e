// Request-target parsing and percent-decoding.
#include "http/target.hpp"

namespace shopfloor::http {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Problem malformed(std::string message) {
  return Problem::bad_input("malformed_target", std::move(message));
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (in.size() - i < 3) return std::nullopt;
      const int hi = hex_value(in[i + 1]);
      const int lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      const char decoded = static_cast<char>(hi * 16 + lo);
      if (decoded == '\0') return std::nullopt;
      out += decoded;
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string_view raw_path(std::string_view target) {
  return target.substr(0, target.find_first_of("?#"));
}

Result<ParsedTarget> parse_target(std::string_view target) {
  if (target.empty() || target.front() != '/') {
    return malformed("request target must start with '/'");
  }
  // A fragment is never meant for the server; ignore it rather than fail.
  target = target.substr(0, target.find('#'));
  ParsedTarget out;
  const auto q = target.find('?');
  auto path = percent_decode(target.substr(0, q), false);
  if (!path) return malformed("malformed percent-encoding in path");
  out.path = std::move(*path);
  if (q == std::string_view::npos) return out;

  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;  // "a=1&&b=2"
    const auto eq = pair.find('=');
    auto key = percent_decode(pair.substr(0, eq), true);
    auto value = percent_decode(
        eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
    if (!key || !value) return malformed("malformed percent-encoding in query");
    out.query.emplace_back(std::move(*key), std::move(*value));
  }
  return out;
}

}  // namespace shopfloor::http
