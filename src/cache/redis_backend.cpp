#include "cache/redis_backend.hpp"

#include <spdlog/spdlog.h>

#include <charconv>

namespace shopfloor::cache {
namespace {

namespace errc = boost::system::errc;
using redis::Reply;

// KEYS: generation, value, lease. ARGV: generation, token, value, ttl ms.
// Stores only if the namespace is still at the loader's generation and the loader
// still holds the lease; then releases the lease. 1 stored, 0 refused.
const redis::Script kStore(R"lua(
local g = redis.call('GET', KEYS[1]) or '0'
if g ~= ARGV[1] then return 0 end
if redis.call('GET', KEYS[3]) ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4])
redis.call('DEL', KEYS[3])
return 1
)lua");

// KEYS: generation, value, lease, tag sequence, then one tag set per tag. ARGV:
// generation, token, value, ttl ms, tag sequence. kStore's conditions, and the tag
// sequence still the loader's; then files the value's key in each tag set, which lives
// at least as long as the value. Refused for the tag sequence, it gives the lease back:
// the generation did not move, so the next lookup of the key wants that same lease.
const redis::Script kStoreTagged(R"lua(
local g = redis.call('GET', KEYS[1]) or '0'
if g ~= ARGV[1] then return 0 end
if redis.call('GET', KEYS[3]) ~= ARGV[2] then return 0 end
if (redis.call('GET', KEYS[4]) or '0') ~= ARGV[5] then
  redis.call('DEL', KEYS[3])
  return 0
end
redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4])
redis.call('DEL', KEYS[3])
local ttl = tonumber(ARGV[4])
for i = 5, #KEYS do
  redis.call('SADD', KEYS[i], KEYS[2])
  if redis.call('PTTL', KEYS[i]) < ttl then redis.call('PEXPIRE', KEYS[i], ttl) end
end
return 1
)lua");

// KEYS: tag sequence, then one tag set per tag. Moves the sequence forward (no load in
// flight stores after this), deletes every value filed under the tags and the sets.
// The values' keys are read from the sets, not declared: they carry the namespace's
// hash tag, so they are in the slot of the declared keys (Redis Cluster serves them on
// this node). Returns how many values were deleted.
const redis::Script kRetireTags(R"lua(
redis.call('INCR', KEYS[1])
local n = 0
for i = 2, #KEYS do
  for _, k in ipairs(redis.call('SMEMBERS', KEYS[i])) do n = n + redis.call('DEL', k) end
  redis.call('DEL', KEYS[i])
end
return n
)lua");

// KEYS: lease. ARGV: token. Deletes the lease only if it is still ours.
const redis::Script kRelease(R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
)lua");

// KEYS: generation, value, lease (at the caller's guess). ARGV: guessed generation.
// Deletes value and lease if the guess is current (-1), else returns the current
// generation so the caller retries with the right keys.
const redis::Script kRetireKey(R"lua(
local g = redis.call('GET', KEYS[1]) or '0'
if g ~= ARGV[1] then return tonumber(g) end
redis.call('DEL', KEYS[2], KEYS[3])
return -1
)lua");

std::optional<std::uint64_t> parse_generation(const Reply& r) {
  if (r.type == Reply::Type::nil) return 0;
  if (r.type == Reply::Type::integer)
    return r.integer < 0 ? std::nullopt : std::optional<std::uint64_t>(r.integer);
  if (r.type != Reply::Type::string) return std::nullopt;
  std::uint64_t g = 0;
  auto [end, ec] = std::from_chars(r.str.data(), r.str.data() + r.str.size(), g);
  if (ec != std::errc() || end != r.str.data() + r.str.size()) return std::nullopt;
  return g;
}

// A reply that is not what the command promises (an error reply such as NOPERM or
// OOM, or a wrong type) is a backend failure like a timeout: the core fails open.
boost::system::error_code unexpected(const Reply& r, const char* what) {
  if (r.type == Reply::Type::error) {
    spdlog::warn("cache: redis refused {}: {}", what, r.str);
    return errc::make_error_code(errc::permission_denied);
  }
  spdlog::warn("cache: unexpected redis reply to {}", what);
  return errc::make_error_code(errc::protocol_error);
}

std::string ms(milliseconds d) {
  return std::to_string(std::max<long long>(1, d.count()));
}

}  // namespace

bool evicts_keys_without_ttl(std::string_view policy) {
  return !(policy.starts_with("volatile-") || policy == "noeviction");
}

RedisBackend::RedisBackend(redis::Client& client, std::string prefix)
    : client_(client), prefix_(std::move(prefix)) {}

std::string RedisBackend::generation_key(const std::string& ns) const {
  return prefix_ + "c:{" + ns + "}:gen";
}
std::string RedisBackend::tag_sequence_key(const std::string& ns) const {
  return prefix_ + "c:{" + ns + "}:tseq";
}
std::string RedisBackend::tag_key(const std::string& ns, const std::string& tag) const {
  return prefix_ + "c:{" + ns + "}:t:" + tag;
}
namespace {

// Entries are keyed by the server that holds them (its run_id, when the client
// identifies servers): after a restart from a snapshot or a failover to a replica, what
// the old server held — perhaps from before a retirement that the new one lost — is not
// even addressed. Generation keys are not epoch-scoped: they only move forward.
std::string server_segment(const redis::Client& client) {
  const std::string& id = client.server_id();
  return id.empty() ? std::string() : id.substr(0, 12) + ":";
}

}  // namespace

std::string RedisBackend::value_key(const std::string& ns, std::uint64_t generation,
                                    const std::string& key) const {
  return prefix_ + "c:{" + ns + "}:" + server_segment(client_) + std::to_string(generation) +
         ":v:" + key;
}
std::string RedisBackend::lease_key(const std::string& ns, std::uint64_t generation,
                                    const std::string& key) const {
  return prefix_ + "c:{" + ns + "}:" + server_segment(client_) + std::to_string(generation) +
         ":l:" + key;
}

std::string RedisBackend::current_server() const {
  const std::string segment = server_segment(client_);
  return segment.empty() ? segment : segment.substr(0, segment.size() - 1);
}

std::string RedisBackend::scan_pattern() const {
  std::string pattern;
  pattern.reserve(prefix_.size() + 8);
  for (char c : prefix_) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') pattern.push_back('\\');
    pattern.push_back(c);
  }
  return pattern + "c:{*";
}

std::optional<RedisBackend::StoredKey> RedisBackend::parse_key(std::string_view key) const {
  const std::string head = prefix_ + "c:{";
  if (!key.starts_with(head)) return std::nullopt;
  key.remove_prefix(head.size());
  const auto close = key.find("}:");
  if (close == std::string_view::npos || close == 0) return std::nullopt;
  StoredKey k;
  k.ns = std::string(key.substr(0, close));
  std::string_view rest = key.substr(close + 2);
  if (rest == "gen") {
    k.kind = StoredKey::Kind::generation;
    return k;
  }
  if (rest == "tseq") {
    k.kind = StoredKey::Kind::tag_sequence;
    return k;
  }
  if (rest.starts_with("t:")) {
    k.kind = StoredKey::Kind::tag;
    return k;
  }
  auto next = [&rest]() {
    const auto colon = rest.find(':');
    std::string_view part = rest.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
    return part;
  };
  std::string_view first = next(), second = next();
  if (second != "v" && second != "l") {  // <srv>:<gen>:v|l:<key>
    k.server = std::string(first);
    first = second;
    second = next();
  }
  if (second != "v" && second != "l") return std::nullopt;
  auto [end, ec] = std::from_chars(first.data(), first.data() + first.size(), k.generation);
  if (ec != std::errc() || end != first.data() + first.size() || first.empty()) return std::nullopt;
  k.kind = second == "v" ? StoredKey::Kind::value : StoredKey::Kind::lease;
  return k;
}

asio::awaitable<BackendResult<Fetched>> RedisBackend::fetch(const std::string& ns,
                                                            std::uint64_t generation,
                                                            const std::string& key,
                                                            milliseconds timeout) {
  // g++ 12 rejects a braced list inside co_await: build the awaitable first.
  auto op = client_.command(
      {"MGET", generation_key(ns), value_key(ns, generation, key), tag_sequence_key(ns)}, timeout);
  auto r = co_await std::move(op);
  if (!r) co_return backend_failure<Fetched>(r.error());
  if (r->type != Reply::Type::array || r->elements.size() != 3)
    co_return backend_failure<Fetched>(unexpected(*r, "MGET"));
  auto current = parse_generation(r->elements[0]);
  if (!current) co_return backend_failure<Fetched>(unexpected(r->elements[0], "MGET generation"));
  auto tags = parse_generation(r->elements[2]);
  if (!tags) co_return backend_failure<Fetched>(unexpected(r->elements[2], "MGET tag sequence"));
  generation_hint_[ns] = *current;
  Fetched f{*current, std::nullopt, *tags};
  if (*current == generation && r->elements[1].type == Reply::Type::string)
    f.value = std::move(r->elements[1].str);
  co_return f;
}

asio::awaitable<BackendResult<bool>> RedisBackend::acquire_lease(
    const std::string& ns, std::uint64_t generation, const std::string& key,
    const std::string& token, milliseconds lease_ttl, milliseconds timeout) {
  auto op = client_.command(
      {"SET", lease_key(ns, generation, key), token, "NX", "PX", ms(lease_ttl)}, timeout);
  auto r = co_await std::move(op);
  if (!r) co_return backend_failure<bool>(r.error());
  if (r->type == Reply::Type::status) co_return true;
  if (r->type == Reply::Type::nil) co_return false;
  co_return backend_failure<bool>(unexpected(*r, "SET NX"));
}

asio::awaitable<BackendResult<bool>> RedisBackend::store(
    const std::string& ns, std::uint64_t generation, const std::string& key,
    const std::string& token, const std::string& value, milliseconds ttl, milliseconds timeout) {
  auto op = client_.eval(
      kStore, {generation_key(ns), value_key(ns, generation, key), lease_key(ns, generation, key)},
      {std::to_string(generation), token, value, ms(ttl)}, timeout);
  auto r = co_await std::move(op);
  if (!r) co_return backend_failure<bool>(r.error());
  if (r->type != Reply::Type::integer)
    co_return backend_failure<bool>(unexpected(*r, "store script"));
  co_return r->integer == 1;
}

asio::awaitable<BackendResult<bool>> RedisBackend::store_tagged(
    const std::string& ns, std::uint64_t generation, const std::string& key,
    const std::string& token, const std::string& value, milliseconds ttl,
    std::uint64_t tag_sequence, const std::vector<std::string>& tags, milliseconds timeout) {
  std::vector<std::string> keys{generation_key(ns), value_key(ns, generation, key),
                                lease_key(ns, generation, key), tag_sequence_key(ns)};
  keys.reserve(keys.size() + tags.size());
  for (const std::string& tag : tags) keys.push_back(tag_key(ns, tag));
  auto op = client_.eval(
      kStoreTagged, keys,
      {std::to_string(generation), token, value, ms(ttl), std::to_string(tag_sequence)}, timeout);
  auto r = co_await std::move(op);
  if (!r) co_return backend_failure<bool>(r.error());
  if (r->type != Reply::Type::integer)
    co_return backend_failure<bool>(unexpected(*r, "tagged store script"));
  co_return r->integer == 1;
}

asio::awaitable<BackendResult<void>> RedisBackend::retire_tags(const std::string& ns,
                                                               const std::vector<std::string>& tags,
                                                               milliseconds timeout) {
  std::vector<std::string> keys{tag_sequence_key(ns)};
  keys.reserve(1 + tags.size());
  for (const std::string& tag : tags) keys.push_back(tag_key(ns, tag));
  auto op = client_.eval(kRetireTags, keys, {}, timeout);
  auto r = co_await std::move(op);
  if (!r) co_return backend_failure<void>(r.error());
  if (r->type != Reply::Type::integer)
    co_return backend_failure<void>(unexpected(*r, "tag retire script"));
  co_return BackendResult<void>{};
}

asio::awaitable<BackendResult<void>> RedisBackend::release_lease(const std::string& ns,
                                                                 std::uint64_t generation,
                                                                 const std::string& key,
                                                                 const std::string& token,
                                                                 milliseconds timeout) {
  auto op = client_.eval(kRelease, {lease_key(ns, generation, key)}, {token}, timeout);
  auto r = co_await std::move(op);
  if (!r) co_return backend_failure<void>(r.error());
  if (r->type != Reply::Type::integer)
    co_return backend_failure<void>(unexpected(*r, "release script"));
  co_return BackendResult<void>{};
}

asio::awaitable<BackendResult<std::uint64_t>> RedisBackend::retire_namespace(const std::string& ns,
                                                                             milliseconds timeout) {
  auto op = client_.command({"INCR", generation_key(ns)}, timeout);
  auto r = co_await std::move(op);
  if (!r) co_return backend_failure<std::uint64_t>(r.error());
  if (r->type != Reply::Type::integer || r->integer < 0)
    co_return backend_failure<std::uint64_t>(unexpected(*r, "INCR"));
  generation_hint_[ns] = static_cast<std::uint64_t>(r->integer);
  co_return static_cast<std::uint64_t>(r->integer);
}

asio::awaitable<BackendResult<void>> RedisBackend::retire_key(const std::string& ns,
                                                              const std::string& key,
                                                              milliseconds timeout) {
  std::uint64_t guess = generation_hint_.contains(ns) ? generation_hint_[ns] : 0;
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto op = client_.eval(
        kRetireKey, {generation_key(ns), value_key(ns, guess, key), lease_key(ns, guess, key)},
        {std::to_string(guess)}, timeout);
    auto r = co_await std::move(op);
    if (!r) co_return backend_failure<void>(r.error());
    if (r->type != Reply::Type::integer)
      co_return backend_failure<void>(unexpected(*r, "retire script"));
    if (r->integer == -1) co_return BackendResult<void>{};
    guess = generation_hint_[ns] = static_cast<std::uint64_t>(r->integer);
  }
  // The namespace keeps moving under us; the caller escalates to retiring it whole.
  co_return backend_failure<void>(errc::make_error_code(errc::resource_unavailable_try_again));
}

}  // namespace shopfloor::cache
