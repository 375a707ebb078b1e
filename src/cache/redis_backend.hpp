// RedisBackend: the cache Backend on Redis 7 / Valkey through redis::Client.
//
// Key layout (all under the configured prefix, default "sf:"; the namespace is a Redis
// Cluster hash tag so a namespace's generation, values and leases share one slot and
// the scripts touch only declared keys):
//
//   <prefix>c:{<ns>}:gen               generation counter (no TTL: never evicted under
//                                      volatile-* policies; INCR retires the namespace)
//   <prefix>c:{<ns>}:<gen>:v:<key>     value, PX ttl
//   <prefix>c:{<ns>}:<gen>:l:<key>     lease token, PX lease_ttl (SET NX)
//
// A hit is one MGET of the generation and the value. store() and retire_key() are Lua
// scripts (EVALSHA) so their checks and writes are atomic. Only GET, MGET, SET, DEL,
// INCR and EVALSHA/SCRIPT LOAD are used: standard on Redis and Valkey.
//
// Thread-safety: like the client it uses, one per io_context thread.
#pragma once

#include "cache/backend.hpp"
#include "redis/client.hpp"

#include <unordered_map>

namespace shopfloor::cache {

class RedisBackend final : public Backend {
 public:
  RedisBackend(redis::Client& client, std::string prefix = "sf:");

  asio::awaitable<BackendResult<Fetched>> fetch(const std::string& ns, std::uint64_t generation,
                                                const std::string& key,
                                                milliseconds timeout) override;
  asio::awaitable<BackendResult<bool>> acquire_lease(const std::string& ns,
                                                     std::uint64_t generation,
                                                     const std::string& key,
                                                     const std::string& token,
                                                     milliseconds lease_ttl,
                                                     milliseconds timeout) override;
  asio::awaitable<BackendResult<bool>> store(const std::string& ns, std::uint64_t generation,
                                             const std::string& key, const std::string& token,
                                             const std::string& value, milliseconds ttl,
                                             milliseconds timeout) override;
  asio::awaitable<BackendResult<void>> release_lease(const std::string& ns,
                                                     std::uint64_t generation,
                                                     const std::string& key,
                                                     const std::string& token,
                                                     milliseconds timeout) override;
  asio::awaitable<BackendResult<std::uint64_t>> retire_namespace(const std::string& ns,
                                                                 milliseconds timeout) override;
  asio::awaitable<BackendResult<void>> retire_key(const std::string& ns, const std::string& key,
                                                  milliseconds timeout) override;
  bool ready() const override { return client_.connected(); }
  const char* kind() const override { return "redis"; }

  // The layout above, exposed for tests and operators.
  std::string generation_key(const std::string& ns) const;
  std::string value_key(const std::string& ns, std::uint64_t generation, const std::string& key) const;
  std::string lease_key(const std::string& ns, std::uint64_t generation, const std::string& key) const;

 private:
  redis::Client& client_;
  std::string prefix_;
  std::unordered_map<std::string, std::uint64_t> generation_hint_;  // for retire_key
};

}  // namespace shopfloor::cache
