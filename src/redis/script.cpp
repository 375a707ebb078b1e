// Script digests: SHA1 via OpenSSL's EVP interface (the SHA1() shortcut is
// deprecated in OpenSSL 3).
#include "redis/script.hpp"

#include <openssl/evp.h>

#include <stdexcept>
#include <utility>

namespace shopfloor::redis {

std::string sha1_hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha1(), nullptr) != 1) {
    throw std::runtime_error("EVP_Digest(sha1) failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0x0f];
  }
  return out;
}

Script::Script(std::string lua) : body_(std::move(lua)), sha1_(sha1_hex(body_)) {}

}  // namespace shopfloor::redis
