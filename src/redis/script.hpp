// Script: a Lua script for EVALSHA, with its SHA1 computed once.
//
// Client::eval sends EVALSHA with the digest and, when the server answers
// NOSCRIPT (script cache flushed, server restarted, failover), loads the body
// with SCRIPT LOAD and retries, so callers never manage the script cache.
//
// Thread-safety: immutable after construction; share freely (e.g. a static).
#pragma once

#include <string>

namespace shopfloor::redis {

class Script {
 public:
  explicit Script(std::string lua);

  // 40 lowercase hex digits, as the server computes them.
  const std::string& sha1() const { return sha1_; }
  const std::string& body() const { return body_; }

 private:
  std::string body_;
  std::string sha1_;
};

// Lowercase hex SHA1 of `data` (OpenSSL EVP).
std::string sha1_hex(const std::string& data);

}  // namespace shopfloor::redis
