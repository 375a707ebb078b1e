// Request id validation and generation.
#include "http/request_id.hpp"

#include <random>

namespace shopfloor::http {

bool request_id_is_sane(std::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdLength) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '@' || c == '/' || c == '+' ||
                    c == '=' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string generate_request_id() {
  // Ids correlate logs; they are not secrets, so a seeded PRNG per thread is
  // enough and keeps this lock-free across shards.
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::uint64_t v = rng();
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = kHex[v & 0xF];
    v >>= 4;
  }
  return out;
}

std::string choose_request_id(std::optional<std::string_view> client_id) {
  if (client_id && request_id_is_sane(*client_id)) return std::string(*client_id);
  return generate_request_id();
}

}  // namespace shopfloor::http
