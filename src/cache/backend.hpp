// Backend: the storage the cache-aside core runs on (Redis, or memory in tests).
//
// The core speaks in namespaces, generations and keys; a backend decides how they are
// laid out. Contract every backend must honour (checked by the one conformance suite,
// backend_conformance.hpp, which runs against every backend):
//  - A namespace starts at generation 0; retire_namespace() makes it generation+1 and
//    returns the new number. Generations never go backwards while the backend lives.
//  - fetch(ns, g, key) returns the namespace's current generation and, only when it
//    equals g, the value stored for key under g. One round trip.
//  - acquire_lease() grants at most one live lease per (ns, g, key) at a time.
//  - store() writes only if g is still current AND the caller still holds the lease;
//    it then releases the lease. Otherwise it writes nothing and returns false: a value
//    read from the database before an invalidation can never land after it.
//  - retire_key(ns, key) removes the current generation's value and lease for key.
//  - Tags (an order's id on a list page, say): store_tagged() stores like store() and
//    files the value under each of its tags; retire_tags(ns, tags) removes every value of
//    ns filed under one of the tags and moves ns's tag sequence (returned by fetch())
//    forward. store_tagged() writes only if the tag sequence is still the one the
//    loader's fetch returned: a value read before a tag retirement never lands after it,
//    whatever its tags (the loader learns them only from what it read); refused so, it
//    releases the caller's lease. Values stored without tags are never touched by
//    retire_tags().
//  - Values expire after their TTL; leases after theirs.
//  - Failures (unreachable, timeout) are error_codes, never exceptions; every call
//    completes within its timeout (plus scheduling).
//
// Thread-safety: one backend instance per io_context thread; not thread-safe.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/system/result.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace shopfloor::cache {

namespace asio = boost::asio;
using std::chrono::milliseconds;

template <class T>
using BackendResult = boost::system::result<T>;

// A failed BackendResult<T> (spelled out: result<bool> cannot be built from an
// error_code implicitly, since error_code converts to bool).
template <class T>
BackendResult<T> backend_failure(boost::system::error_code ec) {
  return BackendResult<T>(boost::system::in_place_error, ec);
}

struct Fetched {
  std::uint64_t generation = 0;      // the namespace's current generation
  std::optional<std::string> value;  // present only on a hit at the asked generation
  std::uint64_t tag_sequence = 0;    // the namespace's tag retirements so far
};

class Backend {
 public:
  virtual ~Backend() = default;

  virtual asio::awaitable<BackendResult<Fetched>> fetch(const std::string& ns,
                                                        std::uint64_t generation,
                                                        const std::string& key,
                                                        milliseconds timeout) = 0;

  virtual asio::awaitable<BackendResult<bool>> acquire_lease(
      const std::string& ns, std::uint64_t generation, const std::string& key,
      const std::string& token, milliseconds lease_ttl, milliseconds timeout) = 0;

  virtual asio::awaitable<BackendResult<bool>> store(const std::string& ns,
                                                     std::uint64_t generation,
                                                     const std::string& key,
                                                     const std::string& token,
                                                     const std::string& value, milliseconds ttl,
                                                     milliseconds timeout) = 0;

  // store() that also files the value under `tags`, and only while the namespace's tag
  // sequence is still `tag_sequence` (as the loader's fetch returned it).
  virtual asio::awaitable<BackendResult<bool>> store_tagged(
      const std::string& ns, std::uint64_t generation, const std::string& key,
      const std::string& token, const std::string& value, milliseconds ttl,
      std::uint64_t tag_sequence, const std::vector<std::string>& tags, milliseconds timeout) = 0;

  // Gives the lease back early (the loader failed); best effort.
  virtual asio::awaitable<BackendResult<void>> release_lease(const std::string& ns,
                                                             std::uint64_t generation,
                                                             const std::string& key,
                                                             const std::string& token,
                                                             milliseconds timeout) = 0;

  virtual asio::awaitable<BackendResult<std::uint64_t>> retire_namespace(const std::string& ns,
                                                                         milliseconds timeout) = 0;

  virtual asio::awaitable<BackendResult<void>> retire_key(const std::string& ns,
                                                          const std::string& key,
                                                          milliseconds timeout) = 0;

  // Removes every value of ns stored with one of `tags` (any generation) and moves the
  // namespace's tag sequence forward, so loads in flight store nothing.
  virtual asio::awaitable<BackendResult<void>> retire_tags(const std::string& ns,
                                                           const std::vector<std::string>& tags,
                                                           milliseconds timeout) = 0;

  // Cheap, non-blocking: whether the backend believes it can serve now (for /health).
  virtual bool ready() const = 0;
  // Counts changes of the server behind the backend (a restart, perhaps from a
  // snapshot; a promoted replica). Entries written before a change are never read
  // after it, and a lookup must not trust a reply that crossed one. Default: never.
  virtual std::uint64_t epoch() const { return 0; }
  virtual const char* kind() const = 0;  // "memory", "redis"
};

}  // namespace shopfloor::cache
