// parse_endpoint(s): node addresses of cluster and sentinel mode (settings, MOVED/ASK).
#include "redis/options.hpp"

#include <charconv>

namespace shopfloor::redis {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<Endpoint> parse_endpoint(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == text.size()) return std::nullopt;
  std::string_view host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {  // [IPv6]:port
    host = host.substr(1, host.size() - 2);
  }
  unsigned port = 0;
  const std::string_view digits = text.substr(colon + 1);
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (ec != std::errc() || end != digits.data() + digits.size() || port == 0 || port > 65535)
    return std::nullopt;
  if (host.find_first_of(" \t,") != std::string_view::npos) return std::nullopt;
  return Endpoint{std::string(host), static_cast<std::uint16_t>(port)};
}

bool parse_endpoints(std::string_view text, std::vector<Endpoint>& out, std::string& error) {
  out.clear();
  if (trim(text).empty()) return true;
  while (true) {
    const auto comma = text.find(',');
    const std::string_view entry = trim(text.substr(0, comma));
    auto endpoint = parse_endpoint(entry);
    if (!endpoint || endpoint->host.empty()) {
      error = "'" + std::string(entry) + "' is not host:port (port 1..65535)";
      return false;
    }
    out.push_back(std::move(*endpoint));
    if (comma == std::string_view::npos) return true;
    text.remove_prefix(comma + 1);
  }
}

}  // namespace shopfloor::redis
