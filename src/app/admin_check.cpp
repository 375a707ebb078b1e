// `shopfloor admin check`: the configuration against the servers, one finding per line
// ("ok", "warn" or "FAIL" first); exit status 1 when any FAIL.
//
// PostgreSQL: reachable with the configured role, which is not a superuser; every
// migration in SHOPFLOOR_SQL_DIR applied as it is. Redis: reachable; TLS on, with the
// server certificate and host name verified (the client refuses anything else); the ACL
// user may write and read its own prefix and is refused a key outside it; the eviction
// policy never evicts keys without a TTL (volatile-* or noeviction: the namespace
// generations have none, and an evicted generation would restart at an old number:
// src/cache/DESIGN.md); the cache's scripts (a tagged store and a tag retirement) run as
// that user. The probes are harmless: GET of a key outside the prefix, SET of keys with
// a 10 s TTL, the scripts on a scratch namespace whose keys are deleted afterwards.
#include <cstdio>
#include <string>

#include "app/admin_context.hpp"
#include "pg/migration_files.hpp"
#include "pg/migrations.hpp"
#include "redis/connection.hpp"

namespace shopfloor::app::admin_detail {
namespace {

struct Findings {
  int failed = 0;
  void ok(const std::string& s) { std::printf("ok    %s\n", s.c_str()); }
  void warn(const std::string& s) { std::printf("warn  %s\n", s.c_str()); }
  void fail(const std::string& s) {
    std::printf("FAIL  %s\n", s.c_str());
    ++failed;
  }
};

asio::awaitable<void> check_postgres(AdminContext& ctx, Findings& f) {
  const auto& db = ctx.config.db;
  const std::string where = db.host + ":" + std::to_string(db.port) + "/" + db.dbname;
  auto who = co_await ctx.db.query(
      "SELECT current_user, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user), "
      "current_setting('server_version')");
  if (!who) {
    f.fail("postgresql: cannot query " + where + " as " + db.user + ": " + who.error().message);
    co_return;
  }
  f.ok("postgresql: " + where + " answers as " + std::string(who->text(0, 0)) + " (PostgreSQL " +
       std::string(who->text(0, 2)) + ")");
  if (who->text(0, 1) == "t")
    f.fail("postgresql: role " + std::string(who->text(0, 0)) +
           " is a superuser; the services need only to own their database");
  auto files = pg::load_migrations(ctx.config.sql_dir);
  if (!files) {
    f.fail("migrations: SHOPFLOOR_SQL_DIR: " + files.error().message);
    co_return;
  }
  auto status = co_await pg::migration_status(ctx.db, *files);
  if (!status) {
    f.fail("migrations: cannot read schema_migrations: " + status.error().message);
    co_return;
  }
  if (status->current()) {
    f.ok("migrations: all " + std::to_string(files->size()) + " in " + ctx.config.sql_dir +
         " applied");
  }
  for (const auto& name : status->pending)
    f.fail("migrations: " + name + " is not applied (run `shopfloor migrate`)");
  for (const auto& name : status->changed)
    f.fail("migrations: " + name + " was changed after it was applied");
  if (!status->unknown.empty())
    f.warn("migrations: the database has " + std::to_string(status->unknown.size()) +
           " newer migration(s) than " + ctx.config.sql_dir + " (a newer release migrated)");
}

// The cache's scripts as the services run them, on a scratch namespace: a tagged store
// and a tag retirement (their inner commands — SADD, SMEMBERS, PTTL, PEXPIRE — need the
// ACL's grants too, which a user set up for an older version may lack: then every list
// store would fail and the breaker open). The scratch keys are deleted afterwards.
asio::awaitable<void> check_cache_scripts(AdminContext& ctx, Findings& f,
                                          std::chrono::milliseconds timeout) {
  const std::string ns = "admin-check";
  auto& b = ctx.backend;
  const std::vector<std::string> tags{"probe"};  // (g++ 12: no braced list in a co_await)
  std::string failure;
  auto fetched = co_await b.fetch(ns, 0, "k", timeout);
  if (!fetched) {
    failure = "fetch: " + fetched.error().message();
  } else {
    const std::uint64_t g = fetched->generation;
    auto lease =
        co_await b.acquire_lease(ns, g, "k", "admin-check", std::chrono::seconds(10), timeout);
    // (No co_await inside a conditional expression: g++ 12 destroys its temporaries twice.)
    cache::BackendResult<bool> stored = false;
    if (lease && *lease)
      stored = co_await b.store_tagged(ns, g, "k", "admin-check", "1", std::chrono::seconds(10),
                                       fetched->tag_sequence, tags, timeout);
    auto retired = co_await b.retire_tags(ns, tags, timeout);
    if (!lease || !*lease)
      failure = "lease: " + (lease ? std::string("held by another") : lease.error().message());
    else if (!stored || !*stored)
      failure = "tagged store: " + (stored ? std::string("refused") : stored.error().message());
    else if (!retired)
      failure = "tag retirement: " + retired.error().message();
  }
  auto cleanup = ctx.redis.command(
      std::vector<std::string>{"DEL", b.generation_key(ns), b.tag_sequence_key(ns)}, timeout);
  co_await std::move(cleanup);
  if (failure.empty())
    f.ok("redis: the cache's scripts run as the ACL user (tagged store, tag retirement)");
  else
    f.fail("redis: the cache's scripts fail as the ACL user (" + failure +
           "): grant what docs/OPERATIONS.md lists (+sadd +smembers +pttl +pexpire since "
           "the tagged list pages)");
}

asio::awaitable<void> check_redis(AdminContext& ctx, Findings& f) {
  const auto& r = ctx.config.redis;
  const std::string where = r.host + ":" + std::to_string(r.port);
  if (!r.tls)
    f.fail(
        "redis: TLS is off (SHOPFLOOR_REDIS_TLS=false): the password and the cached answers "
        "cross the network in clear");
  if (const bool up = co_await ctx.connect_redis(); !up) {
    f.fail("redis: cannot connect to " + where + " as " + (r.user.empty() ? "default" : r.user) +
           ": " + redis_failure(ctx.redis, redis::make_error_code(redis::error::not_connected)));
    co_return;
  }
  f.ok("redis: " + where + " answers as " + (r.user.empty() ? "default" : r.user) +
       (r.tls ? ", TLS verified (server name " + (r.server_name.empty() ? r.host : r.server_name) +
                    ", CA " + (r.ca_file.empty() ? "system store" : r.ca_file) + ")"
              : ""));
  const std::chrono::milliseconds timeout =
      std::max(r.connect_timeout, std::chrono::milliseconds(1000));
  const std::string& prefix = ctx.config.cache_prefix;
  if (prefix.empty()) {
    f.fail("redis: SHOPFLOOR_CACHE_PREFIX is empty: the ACL cannot confine the services' keys");
  } else {
    // Its own prefix: writable and readable (a short TTL: nothing stays behind).
    const std::string inside = prefix + "admin-check";
    auto op =
        ctx.redis.command(std::vector<std::string>{"SET", inside, "1", "PX", "10000"}, timeout);
    auto set = co_await std::move(op);
    if (!set || !set->is_ok())
      f.fail("redis: cannot write its own key " + inside + ": " +
             (set ? set->str : redis_failure(ctx.redis, set.error())));
    else
      f.ok("redis: the ACL user writes keys under " + prefix);
    // Outside the prefix: must be refused (NOPERM), for reads and writes.
    const std::string outside = "admin-check-outside-" + prefix;
    auto get_op = ctx.redis.command(std::vector<std::string>{"GET", outside}, timeout);
    auto get = co_await std::move(get_op);
    auto set_op =
        ctx.redis.command(std::vector<std::string>{"SET", outside, "1", "PX", "10000"}, timeout);
    auto set_out = co_await std::move(set_op);
    if (!get || !set_out)
      f.fail("redis: no answer to the ACL probe: " +
             redis_failure(ctx.redis, !get ? get.error() : set_out.error()));
    else if (get->is_error_code("NOPERM") && set_out->is_error_code("NOPERM"))
      f.ok("redis: the ACL user is refused keys outside " + prefix);
    else
      f.fail("redis: the ACL user may touch " + outside +
             ", a key outside its prefix: restrict it to ~" + prefix +
             "* (see docs/OPERATIONS.md)");
  }
  co_await check_cache_scripts(ctx, f, timeout);
  auto info_op = ctx.redis.command(std::vector<std::string>{"INFO", "memory"}, timeout);
  auto info = co_await std::move(info_op);
  if (!info || !info->is_string()) {
    f.fail("redis: cannot read INFO memory: " +
           (info ? info->str : redis_failure(ctx.redis, info.error())));
    co_return;
  }
  const std::string policy = redis::info_field(info->str, "maxmemory_policy");
  const std::string maxmemory = redis::info_field(info->str, "maxmemory");
  if (!policy.empty() && !cache::evicts_keys_without_ttl(policy))
    f.ok("redis: eviction policy " + policy + " never evicts the namespace generations");
  else
    f.fail("redis: eviction policy " + (policy.empty() ? "(unknown)" : policy) +
           " may evict namespace generations (keys without a TTL); set maxmemory-policy "
           "volatile-lru");
  if (maxmemory == "0")
    f.warn(
        "redis: maxmemory is 0 (no limit): the server grows until the machine runs out of "
        "memory");
}

asio::awaitable<int> check(AdminContext& ctx) {
  Findings f;
  co_await check_postgres(ctx, f);
  if (ctx.config.cache.enabled)
    co_await check_redis(ctx, f);
  else
    f.warn("redis: the cache is disabled (SHOPFLOOR_CACHE_ENABLED=false); not checked");
  std::fflush(stdout);
  co_return f.failed ? 1 : 0;
}

}  // namespace

int check_command(AdminContext& ctx) {
  return ctx.run(check(ctx));
}

}  // namespace shopfloor::app::admin_detail
