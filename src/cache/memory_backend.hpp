// MemoryBackend: the cache Backend in process memory, for unit tests and single-node
// use without Redis. Honours the whole Backend contract (same conformance suite as
// Redis), with time taken from an injectable Clock so TTL tests need no sleeping.
//
// For fail-open tests it can pretend to be down (`set_available(false)`: every call
// fails at once) or slow (`set_latency(d)`: every call takes d, and fails with
// `timed_out` when d exceeds the call's timeout).
//
// Thread-safety: one instance per io_context thread; not thread-safe. Expired entries
// are dropped lazily on access and by a bounded sweep on writes.
#pragma once

#include <unordered_map>
#include <unordered_set>

#include "cache/backend.hpp"
#include "cache/clock.hpp"

namespace shopfloor::cache {

class MemoryBackend final : public Backend {
 public:
  explicit MemoryBackend(Clock& clock = SystemClock::instance()) : clock_(clock) {}

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
  bool ready() const override { return available_; }
  const char* kind() const override { return "memory"; }

  void set_available(bool available) { available_ = available; }
  void set_latency(milliseconds latency) { latency_ = latency; }
  // Pretends the server behind the backend was replaced (epoch() moves on).
  void change_server() { ++epoch_; }
  std::uint64_t epoch() const override { return epoch_; }
  std::size_t entries() const { return values_.size(); }

 private:
  struct Item {
    std::string value;
    TimePoint expires;
  };
  // Simulated outage/latency; returns an error when the call must fail.
  asio::awaitable<boost::system::error_code> enter(milliseconds timeout);
  std::uint64_t generation_of(const std::string& ns) const;
  std::uint64_t tag_sequence_of(const std::string& ns) const;
  // Removes the lease of (ns, generation, key) if `token` holds it.
  void drop_lease(const std::string& ns, std::uint64_t generation, const std::string& key,
                  const std::string& token);
  const Item* live(std::unordered_map<std::string, Item>& map, const std::string& k);
  void sweep();
  // store()'s checks and write; the stored slot, or nullptr when refused.
  const std::string* put(const std::string& ns, std::uint64_t generation, const std::string& key,
                         const std::string& token, const std::string& value, milliseconds ttl);

  Clock& clock_;
  bool available_ = true;
  milliseconds latency_{0};
  std::uint64_t epoch_ = 0;
  std::unordered_map<std::string, std::uint64_t> generations_;
  std::unordered_map<std::string, Item> values_;
  std::unordered_map<std::string, Item> leases_;
  std::unordered_map<std::string, std::uint64_t> tag_sequences_;  // by namespace
  // (namespace, tag) -> the value slots stored with that tag (some perhaps gone since).
  std::unordered_map<std::string, std::unordered_set<std::string>> tagged_;
};

}  // namespace shopfloor::cache
