#include "cache/memory_backend.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace shopfloor::cache {
namespace {

std::string slot(const std::string& ns, std::uint64_t generation, const std::string& key) {
  std::string s;
  s.reserve(ns.size() + key.size() + 24);
  s.append(ns).push_back('\x1f');
  s.append(std::to_string(generation)).push_back('\x1f');
  s.append(key);
  return s;
}

std::string tag_slot(const std::string& ns, const std::string& tag) {
  std::string s;
  s.reserve(ns.size() + tag.size() + 1);
  s.append(ns).push_back('\x1f');
  s.append(tag);
  return s;
}

}  // namespace

asio::awaitable<boost::system::error_code> MemoryBackend::enter(milliseconds timeout) {
  namespace errc = boost::system::errc;
  if (!available_) co_return errc::make_error_code(errc::host_unreachable);
  if (latency_.count() > 0) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    timer.expires_after(std::min(latency_, timeout));
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (latency_ > timeout) co_return errc::make_error_code(errc::timed_out);
    if (!available_) co_return errc::make_error_code(errc::host_unreachable);
  }
  co_return boost::system::error_code{};
}

std::uint64_t MemoryBackend::generation_of(const std::string& ns) const {
  auto it = generations_.find(ns);
  return it == generations_.end() ? 0 : it->second;
}

std::uint64_t MemoryBackend::tag_sequence_of(const std::string& ns) const {
  auto it = tag_sequences_.find(ns);
  return it == tag_sequences_.end() ? 0 : it->second;
}

void MemoryBackend::drop_lease(const std::string& ns, std::uint64_t generation,
                               const std::string& key, const std::string& token) {
  const std::string k = slot(ns, generation, key);
  if (const Item* lease = live(leases_, k); lease && lease->value == token) leases_.erase(k);
}

const MemoryBackend::Item* MemoryBackend::live(std::unordered_map<std::string, Item>& map,
                                               const std::string& k) {
  auto it = map.find(k);
  if (it == map.end()) return nullptr;
  if (it->second.expires <= clock_.now()) {
    map.erase(it);
    return nullptr;
  }
  return &it->second;
}

void MemoryBackend::sweep() {
  // Bounded: look at a few entries per write so memory stays proportional to live data.
  const auto now = clock_.now();
  int budget = 16;
  for (auto it = values_.begin(); it != values_.end() && budget-- > 0;) {
    it = it->second.expires <= now ? values_.erase(it) : std::next(it);
  }
}

asio::awaitable<BackendResult<Fetched>> MemoryBackend::fetch(const std::string& ns,
                                                             std::uint64_t generation,
                                                             const std::string& key,
                                                             milliseconds timeout) {
  if (auto ec = co_await enter(timeout)) co_return backend_failure<Fetched>(ec);
  Fetched f{generation_of(ns), std::nullopt, tag_sequence_of(ns)};
  if (f.generation == generation) {
    if (const Item* item = live(values_, slot(ns, generation, key))) f.value = item->value;
  }
  co_return f;
}

asio::awaitable<BackendResult<bool>> MemoryBackend::acquire_lease(
    const std::string& ns, std::uint64_t generation, const std::string& key,
    const std::string& token, milliseconds lease_ttl, milliseconds timeout) {
  if (auto ec = co_await enter(timeout)) co_return backend_failure<bool>(ec);
  const std::string k = slot(ns, generation, key);
  if (live(leases_, k)) co_return false;
  leases_[k] = Item{token, clock_.now() + lease_ttl};
  co_return true;
}

const std::string* MemoryBackend::put(const std::string& ns, std::uint64_t generation,
                                      const std::string& key, const std::string& token,
                                      const std::string& value, milliseconds ttl) {
  if (generation_of(ns) != generation) return nullptr;
  const std::string k = slot(ns, generation, key);
  const Item* lease = live(leases_, k);
  if (!lease || lease->value != token) return nullptr;
  leases_.erase(k);
  sweep();
  return &values_.insert_or_assign(k, Item{value, clock_.now() + ttl}).first->first;
}

asio::awaitable<BackendResult<bool>> MemoryBackend::store(
    const std::string& ns, std::uint64_t generation, const std::string& key,
    const std::string& token, const std::string& value, milliseconds ttl, milliseconds timeout) {
  if (auto ec = co_await enter(timeout)) co_return backend_failure<bool>(ec);
  co_return put(ns, generation, key, token, value, ttl) != nullptr;
}

asio::awaitable<BackendResult<bool>> MemoryBackend::store_tagged(
    const std::string& ns, std::uint64_t generation, const std::string& key,
    const std::string& token, const std::string& value, milliseconds ttl,
    std::uint64_t tag_sequence, const std::vector<std::string>& tags, milliseconds timeout) {
  if (auto ec = co_await enter(timeout)) co_return backend_failure<bool>(ec);
  if (tag_sequence_of(ns) != tag_sequence) {
    // Refused: the lease goes back (the generation did not move; the next lookup wants it).
    drop_lease(ns, generation, key, token);
    co_return false;
  }
  const std::string* stored = put(ns, generation, key, token, value, ttl);
  if (!stored) co_return false;
  for (const std::string& tag : tags) tagged_[tag_slot(ns, tag)].insert(*stored);
  co_return true;
}

asio::awaitable<BackendResult<void>> MemoryBackend::retire_tags(
    const std::string& ns, const std::vector<std::string>& tags, milliseconds timeout) {
  if (auto ec = co_await enter(timeout)) co_return backend_failure<void>(ec);
  ++tag_sequences_[ns];
  for (const std::string& tag : tags) {
    auto it = tagged_.find(tag_slot(ns, tag));
    if (it == tagged_.end()) continue;
    for (const std::string& k : it->second) values_.erase(k);
    tagged_.erase(it);
  }
  co_return boost::system::result<void>{};
}

asio::awaitable<BackendResult<void>> MemoryBackend::release_lease(const std::string& ns,
                                                                  std::uint64_t generation,
                                                                  const std::string& key,
                                                                  const std::string& token,
                                                                  milliseconds timeout) {
  if (auto ec = co_await enter(timeout)) co_return backend_failure<void>(ec);
  drop_lease(ns, generation, key, token);
  co_return boost::system::result<void>{};
}

asio::awaitable<BackendResult<std::uint64_t>> MemoryBackend::retire_namespace(
    const std::string& ns, milliseconds timeout) {
  if (auto ec = co_await enter(timeout)) co_return backend_failure<std::uint64_t>(ec);
  co_return ++generations_[ns];
}

asio::awaitable<BackendResult<void>> MemoryBackend::retire_key(const std::string& ns,
                                                               const std::string& key,
                                                               milliseconds timeout) {
  if (auto ec = co_await enter(timeout)) co_return backend_failure<void>(ec);
  const std::string k = slot(ns, generation_of(ns), key);
  values_.erase(k);
  leases_.erase(k);
  co_return boost::system::result<void>{};
}

}  // namespace shopfloor::cache
