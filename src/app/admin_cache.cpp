// `shopfloor admin cache stats|retire`: the counters of a running service, a census of
// the cache's keys in Redis, and retirement through the cache core (cache/cache.hpp).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string_view>

#include "app/admin.hpp"
#include "app/admin_context.hpp"

namespace shopfloor::app::admin_detail {
namespace {

using Key = cache::RedisBackend::StoredKey;

// ---------------------------------------------------------------- the service's counters

struct Counts {
  double hit = 0, miss = 0, bypass = 0;
};

// GET /metrics from host:port over plain HTTP/1.1, Connection: close; each wait bounded
// by `timeout`. The body, or the reason it could not be had.
struct Scrape {
  std::optional<std::string> body;
  std::string error;
};

Scrape scrape_metrics(const std::string& host, std::uint16_t port,
                      std::chrono::milliseconds timeout) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1)
    return {std::nullopt, "not an IPv4 address: " + host};
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return {std::nullopt, std::strerror(errno)};
  auto fail = [fd](std::string why) {
    ::close(fd);
    return Scrape{std::nullopt, std::move(why)};
  };
  auto wait = [&](short events) {
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(timeout.count()));
    return n == 1 && !(p.revents & (POLLERR | POLLNVAL));
  };
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS)
    return fail(std::strerror(errno));
  int err = 0;
  socklen_t len = sizeof err;
  if (!wait(POLLOUT) || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0)
    return fail(err ? std::strerror(err) : "connect timed out");
  const std::string req =
      "GET /metrics HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n";
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size()))
    return fail("cannot send the request");
  std::string answer;
  char buf[16384];
  for (;;) {
    if (!wait(POLLIN)) return fail("no answer within " + std::to_string(timeout.count()) + " ms");
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n < 0) return fail(std::strerror(errno));
    if (n == 0) break;
    answer.append(buf, static_cast<std::size_t>(n));
    if (answer.size() > (64u << 20)) return fail("answer larger than 64 MiB");
  }
  ::close(fd);
  const auto body_at = answer.find("\r\n\r\n");
  if (answer.rfind("HTTP/1.1 200", 0) != 0 || body_at == std::string::npos)
    return {std::nullopt, "answered " + answer.substr(0, answer.find('\r'))};
  // The metrics endpoint answers with Content-Length (no chunking); Connection: close ends it.
  return {answer.substr(body_at + 4), {}};
}

std::string label(std::string_view line, std::string_view name) {
  const std::string needle = std::string(name) + "=\"";
  auto at = line.find(needle);
  if (at == std::string_view::npos) return {};
  at += needle.size();
  return std::string(line.substr(at, line.find('"', at) - at));
}

// shopfloor_cache_requests_total{cache="…",result="hit|miss|bypass"} N, per cache.
std::map<std::string, Counts> cache_counts(const std::string& metrics) {
  std::map<std::string, Counts> out;
  std::string_view text(metrics);
  while (!text.empty()) {
    const auto eol = text.find('\n');
    const std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    if (!line.starts_with("shopfloor_cache_requests_total{")) continue;
    const auto space = line.rfind(' ');
    if (space == std::string_view::npos) continue;
    const double value = std::strtod(std::string(line.substr(space + 1)).c_str(), nullptr);
    Counts& c = out[label(line, "cache")];
    const std::string result = label(line, "result");
    if (result == "hit") c.hit = value;
    if (result == "miss") c.miss = value;
    if (result == "bypass") c.bypass = value;
  }
  return out;
}

// ---------------------------------------------------------------- the keys in Redis

struct NamespaceKeys {
  std::uint64_t generation = 0;  // current (0: never retired)
  std::size_t live = 0;          // values at the current generation and server: served
  std::size_t retired = 0;       // values of older generations or servers: wait for TTL
  std::size_t leases = 0;
};

struct Census {
  std::map<std::string, NamespaceKeys> namespaces;
  std::size_t other = 0;  // keys under the prefix of no known layout
};

asio::awaitable<Result<Census>> census(AdminContext& ctx) {
  const std::chrono::milliseconds timeout =
      std::max(ctx.config.redis.connect_timeout, std::chrono::milliseconds(2000));
  Census c;
  std::map<std::string, std::vector<Key>> found;
  std::string cursor = "0";
  do {
    auto op =
        ctx.redis.command(std::vector<std::string>{"SCAN", cursor, "MATCH",
                                                   ctx.backend.scan_pattern(), "COUNT", "1000"},
                          timeout);
    auto r = co_await std::move(op);
    if (!r) co_return Problem::unavailable("SCAN: " + redis_failure(ctx.redis, r.error()));
    if (r->is_error())
      co_return Problem::unavailable("SCAN refused: " + r->str +
                                     " (the ACL user needs +scan: scripts/devenv.sh)");
    if (!r->is_array() || r->elements.size() != 2 || !r->elements[1].is_array())
      co_return Problem::internal("SCAN: unexpected reply");
    cursor = r->elements[0].str;
    for (const auto& k : r->elements[1].elements) {
      auto parsed = ctx.backend.parse_key(k.str);
      if (!parsed) {
        ++c.other;
        continue;
      }
      found[parsed->ns].push_back(std::move(*parsed));
    }
  } while (cursor != "0");
  if (found.empty()) co_return c;
  std::vector<std::string> mget{"MGET"};
  mget.reserve(found.size() + 1);
  for (const auto& [ns, keys] : found) mget.push_back(ctx.backend.generation_key(ns));
  auto op = ctx.redis.command(std::move(mget), timeout);
  auto gens = co_await std::move(op);
  if (!gens) co_return Problem::unavailable("MGET: " + redis_failure(ctx.redis, gens.error()));
  if (!gens->is_array() || gens->elements.size() != found.size())
    co_return Problem::internal("MGET: unexpected reply");
  const std::string server = ctx.backend.current_server();
  std::size_t i = 0;
  for (const auto& [ns, keys] : found) {
    NamespaceKeys& n = c.namespaces[ns];
    const auto& g = gens->elements[i++];
    if (g.is_string()) n.generation = std::strtoull(g.str.c_str(), nullptr, 10);
    for (const Key& k : keys) {
      if (k.kind == Key::Kind::lease) ++n.leases;
      if (k.kind != Key::Kind::value) continue;
      if (k.generation == n.generation && k.server == server)
        ++n.live;
      else
        ++n.retired;
    }
  }
  co_return c;
}

asio::awaitable<int> print_census(AdminContext& ctx) {
  if (const bool up = co_await ctx.connect_redis(); !up) {
    problem("keys: cannot reach Redis at " + ctx.config.redis.host + ":" +
            std::to_string(ctx.config.redis.port) + ": " +
            redis_failure(ctx.redis, redis::make_error_code(redis::error::not_connected)));
    co_return 1;
  }
  auto c = co_await census(ctx);
  if (!c) {
    problem("keys: " + c.error().message);
    co_return 1;
  }
  std::printf("\nkeys under %s in Redis %s:%u (SCAN as %s):\n", ctx.config.cache_prefix.c_str(),
              ctx.config.redis.host.c_str(), ctx.config.redis.port,
              ctx.config.redis.user.empty() ? "default" : ctx.config.redis.user.c_str());
  std::printf("%-40s %10s %10s %10s %8s\n", "namespace", "generation", "live", "retired", "leases");
  for (const auto& [ns, n] : c->namespaces) {
    std::printf("%-40s %10llu %10zu %10zu %8zu\n", ns.c_str(),
                static_cast<unsigned long long>(n.generation), n.live, n.retired, n.leases);
  }
  if (c->namespaces.empty()) std::printf("(none)\n");
  if (c->other) std::printf("%zu other key(s) under the prefix\n", c->other);
  std::printf(
      "live: served at the current generation; retired: unreachable, deleted by their TTL\n");
  co_return 0;
}

int stats(AdminContext& ctx) {
  int status = 0;
  // Every listener of a process serves the same registry: the MES one is asked.
  std::string host = ctx.config.mes.address;
  if (host == "0.0.0.0" || host.empty()) host = "127.0.0.1";
  const Scrape s = scrape_metrics(host, ctx.config.mes.port, std::chrono::milliseconds(2000));
  if (!s.body) {
    problem("counters: no /metrics from the service at " + host + ":" +
            std::to_string(ctx.config.mes.port) + " (" + s.error +
            "); hits, misses and bypasses are counted in the running service only");
    status = 1;
  } else {
    std::printf("lookups of the service at %s:%u since it started (one process):\n", host.c_str(),
                ctx.config.mes.port);
    std::printf("%-14s %12s %12s %12s %10s\n", "cache", "hits", "misses", "bypasses", "hit_ratio");
    for (const auto& [name, c] : cache_counts(*s.body)) {
      const double total = c.hit + c.miss + c.bypass;
      const std::string ratio = total > 0 ? std::to_string(c.hit / total).substr(0, 5) : "-";
      std::printf("%-14s %12.0f %12.0f %12.0f %10s\n", name.c_str(), c.hit, c.miss, c.bypass,
                  ratio.c_str());
    }
  }
  std::fflush(stdout);
  if (ctx.run(print_census(ctx)) != 0) status = 1;
  return status;
}

// ---------------------------------------------------------------- retire

asio::awaitable<int> retire(AdminContext& ctx, std::optional<std::string> one) {
  if (const bool up = co_await ctx.connect_redis(); !up) {
    problem("retire: cannot reach Redis at " + ctx.config.redis.host + ":" +
            std::to_string(ctx.config.redis.port) + ": " +
            redis_failure(ctx.redis, redis::make_error_code(redis::error::not_connected)) +
            "; nothing retired");
    co_return 1;
  }
  // A cache of its own name: the retirements count in this process's metrics only.
  cache::Cache admin_cache(ctx.engine, "admin", {});
  if (one) {
    // A name as `cache stats` lists it may be hashed already ("#…"): retired as stored.
    auto op = one->starts_with('#') ? admin_cache.retire_stored_namespace(*one)
                                    : admin_cache.retire_namespace(*one);
    if (const bool done = co_await std::move(op); !done) {
      problem("retire: " + *one +
              ": Redis did not confirm the retirement in time; it may not have happened: run "
              "it again");
      co_return 1;
    }
    std::printf("retired %s\n", one->c_str());
    co_return 0;
  }
  // --all: every namespace that holds keys now (a namespace with none has nothing to
  // retire). Names come from the scan as stored, so hashed names stay as they are.
  auto c = co_await census(ctx);
  if (!c) {
    problem("retire: " + c.error().message + "; nothing retired");
    co_return 1;
  }
  int failed = 0;
  for (const auto& [ns, keys] : c->namespaces) {
    if (const bool done = co_await admin_cache.retire_stored_namespace(ns); !done) {
      problem("retire: " + ns + ": Redis did not confirm the retirement in time");
      ++failed;
      continue;
    }
    std::printf("retired %s\n", ns.c_str());
  }
  std::printf("%zu namespace(s) retired, %d failed\n", c->namespaces.size() - failed, failed);
  co_return failed ? 1 : 0;
}

}  // namespace

int cache_command(AdminContext& ctx, const std::vector<std::string>& args) {
  if (args.size() == 1 && args[0] == "stats") return stats(ctx);
  if (args.size() == 2 && args[0] == "retire") {
    if (args[1] == "--all") return ctx.run(retire(ctx, std::nullopt));
    if (!args[1].empty() && args[1][0] != '-') return ctx.run(retire(ctx, args[1]));
  }
  std::fputs(admin_usage(), stderr);
  return 2;
}

}  // namespace shopfloor::app::admin_detail
