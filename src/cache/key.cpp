#include "cache/key.hpp"

#include <openssl/sha.h>

#include <array>

namespace shopfloor::cache {
namespace {

std::string sha256_hex(std::string_view data, std::size_t hex_digits) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < digest.size() && out.size() < hex_digits; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xF]);
  }
  out.resize(std::min(out.size(), hex_digits));
  return out;
}

bool plain(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == ':' || c == '=' || c == ',' || c == '&' || c == '+' || c == '-';
}

}  // namespace

std::string safe_segment(std::string_view raw, std::size_t max_bytes) {
  bool keep = !raw.empty() && raw.size() <= max_bytes && raw.front() != '#';
  for (char c : raw) {
    if (!keep) break;
    keep = plain(c);
  }
  if (keep) return std::string(raw);
  std::string hashed(1, '#');  // (not "#" + ...: g++ 12 warns falsely, -Wrestrict)
  hashed += sha256_hex(raw, 32);
  return hashed;
}

std::string key_fingerprint(std::string_view ns, std::string_view key) {
  std::string joined;
  joined.reserve(ns.size() + key.size() + 1);
  joined.append(ns).push_back('\x1f');
  joined.append(key);
  return sha256_hex(joined, 12);
}

}  // namespace shopfloor::cache
