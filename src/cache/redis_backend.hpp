// RedisBackend: the cache Backend on Redis 7 / Valkey through redis::Client.
//
// Key layout (all under the configured prefix, default "sf:"; the namespace is a Redis
// Cluster hash tag so a namespace's keys share one slot and each script runs on one
// node):
//
//   <prefix>c:{<ns>}:gen               generation counter (no TTL: never evicted under
//                                      volatile-* policies; INCR retires the namespace)
//   <prefix>c:{<ns>}:<srv>:<gen>:v:<key>  value, PX ttl
//   <prefix>c:{<ns>}:<srv>:<gen>:l:<key>  lease token, PX lease_ttl (SET NX)
//   <prefix>c:{<ns>}:tseq              tag retirements so far (no TTL, like gen)
//   <prefix>c:{<ns>}:t:<tag>           set of the value keys stored with that tag, PX at
//                                      least the longest of their ttls
//
// The tag retirement script deletes the value keys it reads from the tag sets, which it
// cannot declare beforehand; they share the namespace's hash tag, hence its slot.
// <srv> is the first 12 characters of the server's run_id when the client identifies
// servers (redis::Options::identify_server; the services do), and absent otherwise. A
// restarted server (even one that loaded an RDB or AOF file written before a
// retirement) or a promoted replica has a new run_id, so nothing it brought back is
// addressed again; epoch() counts those changes so a lookup in flight across one is
// answered from the source (cache.cpp).
//
// A hit is one MGET of the generation, the value and the tag sequence.
// store(), store_tagged(), retire_key() and retire_tags() are Lua scripts (EVALSHA) so
// their checks and writes are atomic. Only GET, MGET, SET, DEL, INCR, SADD, SMEMBERS,
// PTTL, PEXPIRE and EVALSHA/SCRIPT LOAD are used (and INFO server in the client's
// handshake): standard on Redis and Valkey. (The admin command also SCANs the prefix to
// count keys.)
//
// Thread-safety: like the client it uses, one per io_context thread.
#pragma once

#include <optional>
#include <string_view>
#include <unordered_map>

#include "cache/backend.hpp"
#include "redis/client.hpp"

namespace shopfloor::cache {

// Whether a Redis `maxmemory-policy` may evict keys that have no TTL (allkeys-*): then a
// namespace's generation key can be evicted and restart at an old number, meeting
// entries stored under that number before a retirement. volatile-* and noeviction keep
// them. The services refuse the cache while it is so (app/runtime.cpp), and `shopfloor
// admin check` fails.
bool evicts_keys_without_ttl(std::string_view policy);

class RedisBackend final : public Backend {
 public:
  RedisBackend(redis::Client& client, std::string prefix = "sf:");

  asio::awaitable<BackendResult<Fetched>> fetch(const std::string& ns, std::uint64_t generation,
                                                const std::string& key,
                                                milliseconds timeout) override;
  asio::awaitable<BackendResult<bool>> acquire_lease(
      const std::string& ns, std::uint64_t generation, const std::string& key,
      const std::string& token, milliseconds lease_ttl, milliseconds timeout) override;
  asio::awaitable<BackendResult<bool>> store(const std::string& ns, std::uint64_t generation,
                                             const std::string& key, const std::string& token,
                                             const std::string& value, milliseconds ttl,
                                             milliseconds timeout) override;
  asio::awaitable<BackendResult<bool>> store_tagged(const std::string& ns, std::uint64_t generation,
                                                    const std::string& key,
                                                    const std::string& token,
                                                    const std::string& value, milliseconds ttl,
                                                    std::uint64_t tag_sequence,
                                                    const std::vector<std::string>& tags,
                                                    milliseconds timeout) override;
  asio::awaitable<BackendResult<void>> retire_tags(const std::string& ns,
                                                   const std::vector<std::string>& tags,
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
  std::uint64_t epoch() const override { return client_.server_changes(); }
  const char* kind() const override { return "redis"; }

  // A key of the layout above taken apart (`shopfloor admin cache stats` counts them);
  // nullopt for any other key.
  struct StoredKey {
    enum class Kind { generation, value, lease, tag_sequence, tag } kind = Kind::value;
    std::string ns;      // as stored: already a safe segment (cache/key.hpp)
    std::string server;  // <srv> ("" for generation keys and unidentified servers)
    std::uint64_t generation = 0;
  };
  std::optional<StoredKey> parse_key(std::string_view key) const;
  // A SCAN MATCH pattern for every key of this layout (glob characters of the prefix
  // escaped).
  std::string scan_pattern() const;
  // The <srv> the backend addresses now ("" before the first connection, or when the
  // client does not identify servers): values under another are never read again.
  std::string current_server() const;

  // The layout above, exposed for tests and operators.
  std::string generation_key(const std::string& ns) const;
  std::string value_key(const std::string& ns, std::uint64_t generation,
                        const std::string& key) const;
  std::string lease_key(const std::string& ns, std::uint64_t generation,
                        const std::string& key) const;
  std::string tag_sequence_key(const std::string& ns) const;
  std::string tag_key(const std::string& ns, const std::string& tag) const;

 private:
  redis::Client& client_;
  std::string prefix_;
  std::unordered_map<std::string, std::uint64_t> generation_hint_;  // for retire_key
};

}  // namespace shopfloor::cache
