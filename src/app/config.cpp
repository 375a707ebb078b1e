#include "app/config.hpp"

#include <unistd.h>  // environ

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "redis/cluster_protocol.hpp"

namespace shopfloor::app {
namespace {

using std::chrono::milliseconds;
using Apply = std::function<std::optional<std::string>(Config&, const std::string&)>;
// Renders a setting's default from a default-constructed Config: the defaults live in
// the member initializers, and the settings table only shows them.
using Show = std::function<std::string(Config&)>;

struct Kind {
  Apply apply;
  Show show;
};

struct Setting {
  const char* name;
  const char* meaning;
  bool secret;
  Kind kind;
  // What the table shows instead of the rendered default, when the default is not a
  // plain value ("number of CPU cores", "(the host)").
  const char* shown = nullptr;
};

std::optional<long long> parse_int(const std::string& s, long long lo, long long hi) {
  long long v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < lo || v > hi) return std::nullopt;
  return v;
}

// An integer field reached through `field` (a projection, so one helper serves members of
// nested option structs).
template <class T>
Kind integer(std::function<T&(Config&)> field, long long lo, long long hi,
             std::string unit = "an integer") {
  return {[=](Config& c, const std::string& v) -> std::optional<std::string> {
            auto n = parse_int(v, lo, hi);
            if (!n) return unit + " from " + std::to_string(lo) + " to " + std::to_string(hi);
            field(c) = static_cast<T>(*n);
            return std::nullopt;
          },
          [=](Config& c) { return std::to_string(field(c)); }};
}

Kind port(std::function<std::uint16_t&(Config&)> field) {
  return {[=](Config& c, const std::string& v) -> std::optional<std::string> {
            auto n = parse_int(v, 1, 65535);
            if (!n) return "a TCP port (1-65535)";
            field(c) = static_cast<std::uint16_t>(*n);
            return std::nullopt;
          },
          [=](Config& c) { return std::to_string(field(c)); }};
}

Kind millis(std::function<milliseconds&(Config&)> field, long long lo = 1,
            long long hi = 86'400'000LL * 7) {
  return {[=](Config& c, const std::string& v) -> std::optional<std::string> {
            auto n = parse_int(v, lo, hi);
            if (!n) return "milliseconds from " + std::to_string(lo) + " to " + std::to_string(hi);
            field(c) = milliseconds(*n);
            return std::nullopt;
          },
          [=](Config& c) { return std::to_string(field(c).count()); }};
}

Kind boolean(std::function<bool&(Config&)> field) {
  return {[=](Config& c, const std::string& v) -> std::optional<std::string> {
            if (v == "true" || v == "1" || v == "yes" || v == "on")
              field(c) = true;
            else if (v == "false" || v == "0" || v == "no" || v == "off")
              field(c) = false;
            else
              return "true or false";
            return std::nullopt;
          },
          [=](Config& c) { return std::string(field(c) ? "true" : "false"); }};
}

Kind text(std::function<std::string&(Config&)> field) {
  return {[=](Config& c, const std::string& v) -> std::optional<std::string> {
            field(c) = v;
            return std::nullopt;
          },
          [=](Config& c) { return field(c).empty() ? std::string("(none)") : field(c); }};
}

Kind one_of(std::function<std::string&(Config&)> field, std::vector<std::string> allowed) {
  return {[=](Config& c, const std::string& v) -> std::optional<std::string> {
            if (std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
              std::string list;
              for (auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
              return "one of: " + list;
            }
            field(c) = v;
            return std::nullopt;
          },
          [=](Config& c) { return field(c); }};
}

// A TTL setting of one cache.
Kind ttl(std::function<cache::Policy&(Config&)> policy) {
  return millis([=](Config& c) -> milliseconds& { return policy(c).ttl; });
}

// A setting that applies to all three HTTP listeners at once.
template <class T>
Kind every_listener(T http::ServerOptions::*member, Kind (*make)(std::function<T&(Config&)>)) {
  Kind first = make([=](Config& c) -> T& { return c.mes.*member; });
  return {[=](Config& c, const std::string& v) -> std::optional<std::string> {
            if (auto error = first.apply(c, v)) return error;
            c.pricing.*member = c.shop.*member = c.mes.*member;
            return std::nullopt;
          },
          first.show};
}

Kind every_listener_millis(milliseconds http::ServerOptions::*member) {
  return every_listener<milliseconds>(
      member, [](std::function<milliseconds&(Config&)> f) { return millis(std::move(f)); });
}

// A setting that applies to every cache's policy at once.
template <class T>
Kind every_cache(T cache::Policy::*member, long long lo, long long hi, std::string unit) {
  Kind first =
      integer<T>([=](Config& c) -> T& { return c.mes_caches.orders_list.*member; }, lo, hi, unit);
  return {[=](Config& c, const std::string& v) -> std::optional<std::string> {
            if (auto error = first.apply(c, v)) return error;
            const T value = c.mes_caches.orders_list.*member;
            for (cache::Policy* p : c.all_cache_policies()) p->*member = value;
            return std::nullopt;
          },
          first.show};
}

using S = std::string&;
using M = milliseconds&;

const std::vector<Setting>& settings() {
  static const std::vector<Setting> table = {
      {"SHOPFLOOR_THREADS",
       "I/O threads; each runs its own HTTP listeners, Redis connections and PostgreSQL pool.",
       false, integer<std::size_t>([](Config& c) -> std::size_t& { return c.threads; }, 1, 256),
       "number of CPU cores"},
      {"SHOPFLOOR_LOG_LEVEL",
       "trace, debug, info, warn, error. debug logs one line per cache lookup.", false,
       one_of([](Config& c) -> S { return c.log_level; },
              {"trace", "debug", "info", "warn", "error", "off"})},
      {"SHOPFLOOR_LOG_FORMAT",
       "text (human) or json (one JSON object per line).",
       false,
       {[](Config& c, const std::string& v) -> std::optional<std::string> {
          if (v != "text" && v != "json") return "text or json";
          c.log_json = v == "json";
          return std::nullopt;
        },
        [](Config& c) { return std::string(c.log_json ? "json" : "text"); }}},
      {"SHOPFLOOR_MES_ADDRESS", "MES API listen address.", false,
       text([](Config& c) -> S { return c.mes.address; })},
      {"SHOPFLOOR_MES_PORT", "MES API port.", false,
       port([](Config& c) -> std::uint16_t& { return c.mes.port; })},
      {"SHOPFLOOR_PRICING_ADDRESS", "Pricing API listen address.", false,
       text([](Config& c) -> S { return c.pricing.address; })},
      {"SHOPFLOOR_PRICING_PORT", "Pricing API port.", false,
       port([](Config& c) -> std::uint16_t& { return c.pricing.port; })},
      {"SHOPFLOOR_SHOP_ADDRESS", "Shop API listen address.", false,
       text([](Config& c) -> S { return c.shop.address; })},
      {"SHOPFLOOR_SHOP_PORT", "Shop API port.", false,
       port([](Config& c) -> std::uint16_t& { return c.shop.port; })},
      {"SHOPFLOOR_HTTP_BODY_LIMIT", "Largest request body in bytes (larger: 413).", false,
       every_listener<std::size_t>(&http::ServerOptions::body_limit,
                                   [](std::function<std::size_t&(Config&)> f) {
                                     return integer<std::size_t>(std::move(f), 1024, 64LL << 20,
                                                                 "bytes");
                                   })},
      {"SHOPFLOOR_HTTP_HEADER_TIMEOUT_MS", "Time a client has to send a whole request.", false,
       every_listener_millis(&http::ServerOptions::header_timeout)},
      {"SHOPFLOOR_HTTP_IDLE_TIMEOUT_MS", "Keep-alive idle time before a connection is closed.",
       false, every_listener_millis(&http::ServerOptions::idle_timeout)},
      {"SHOPFLOOR_SHUTDOWN_DRAIN_MS",
       "On SIGTERM/SIGINT: how long in-flight requests may take to finish.", false,
       every_listener_millis(&http::ServerOptions::drain_timeout)},
      {"SHOPFLOOR_METRICS_PUBLIC", "Serve /metrics to any address, not only loopback.", false,
       boolean([](Config& c) -> bool& { return c.metrics_public; })},
      {"SHOPFLOOR_DB_HOST", "PostgreSQL host (an IP literal keeps connecting fully asynchronous).",
       false, text([](Config& c) -> S { return c.db.host; })},
      {"SHOPFLOOR_DB_PORT", "PostgreSQL port.", false,
       port([](Config& c) -> std::uint16_t& { return c.db.port; })},
      {"SHOPFLOOR_DB_NAME", "Database name.", false,
       text([](Config& c) -> S { return c.db.dbname; })},
      {"SHOPFLOOR_DB_USER", "Database role (not a superuser).", false,
       text([](Config& c) -> S { return c.db.user; })},
      {"SHOPFLOOR_DB_PASSWORD", "Database password; prefer SHOPFLOOR_DB_PASSWORD_FILE.", true,
       text([](Config& c) -> S { return c.db.password; })},
      {"SHOPFLOOR_DB_POOL_SIZE", "PostgreSQL connections per I/O thread.", false,
       integer<std::size_t>([](Config& c) -> std::size_t& { return c.db.pool_size; }, 1, 200)},
      {"SHOPFLOOR_DB_CONNECT_TIMEOUT_MS", "Deadline of one PostgreSQL connection attempt.", false,
       millis([](Config& c) -> M { return c.db.connect_timeout; })},
      {"SHOPFLOOR_DB_QUERY_TIMEOUT_MS", "Deadline of one query.", false,
       millis([](Config& c) -> M { return c.db.query_timeout; })},
      {"SHOPFLOOR_DB_PREPARE_STATEMENTS",
       "Prepare each statement once per connection and run it by name (false behind a "
       "pooler without session state, e.g. PgBouncer in transaction mode).",
       false, boolean([](Config& c) -> bool& { return c.db.prepare_statements; })},
      {"SHOPFLOOR_DB_ACQUIRE_TIMEOUT_MS", "Longest wait for a free pooled connection.", false,
       millis([](Config& c) -> M { return c.db.acquire_timeout; })},
      {"SHOPFLOOR_REDIS_MODE",
       "standalone (one server), cluster (a Redis Cluster found through SHOPFLOOR_REDIS_NODES) "
       "or sentinel (the primary named SHOPFLOOR_REDIS_SENTINEL_MASTER, found through the "
       "Sentinels in SHOPFLOOR_REDIS_NODES).",
       false,
       {[](Config& c, const std::string& v) -> std::optional<std::string> {
          if (v == "standalone") {
            c.redis.mode = redis::Mode::standalone;
          } else if (v == "cluster") {
            c.redis.mode = redis::Mode::cluster;
          } else if (v == "sentinel") {
            c.redis.mode = redis::Mode::sentinel;
          } else {
            return "one of: standalone, cluster, sentinel";
          }
          return std::nullopt;
        },
        [](Config& c) {
          switch (c.redis.mode) {
            case redis::Mode::cluster:
              return std::string("cluster");
            case redis::Mode::sentinel:
              return std::string("sentinel");
            case redis::Mode::standalone:
              break;
          }
          return std::string("standalone");
        }}},
      {"SHOPFLOOR_REDIS_HOST", "Redis/Valkey host.", false,
       text([](Config& c) -> S { return c.redis.host; })},
      {"SHOPFLOOR_REDIS_PORT", "Redis/Valkey port (the TLS port when TLS is on).", false,
       port([](Config& c) -> std::uint16_t& { return c.redis.port; })},
      {"SHOPFLOOR_REDIS_NODES",
       "Comma-separated host:port list: the cluster's seed nodes (any primary or replica) or "
       "the Sentinels.",
       false,
       {[](Config& c, const std::string& v) -> std::optional<std::string> {
          std::string error;
          if (!redis::parse_endpoints(v, c.redis.nodes, error)) return error;
          return std::nullopt;
        },
        [](Config& c) {
          std::string list;
          list.reserve(c.redis.nodes.size() * 24);
          for (const auto& n : c.redis.nodes)
            list += (list.empty() ? "" : ",") + redis::cluster::to_string(n);
          return list;
        }},
       "(SHOPFLOOR_REDIS_HOST:PORT)"},
      {"SHOPFLOOR_REDIS_SENTINEL_MASTER", "sentinel mode: the name the Sentinels monitor.", false,
       text([](Config& c) -> S { return c.redis.sentinel_master; })},
      {"SHOPFLOOR_REDIS_TLS", "Connect with TLS (certificate and host name verified).", false,
       boolean([](Config& c) -> bool& { return c.redis.tls; })},
      {"SHOPFLOOR_REDIS_CA_FILE", "CA certificate(s) that sign the server certificate.", false,
       text([](Config& c) -> S { return c.redis.ca_file; }), "(system store)"},
      {"SHOPFLOOR_REDIS_CERT_FILE", "Client certificate for mutual TLS.", false,
       text([](Config& c) -> S { return c.redis.cert_file; })},
      {"SHOPFLOOR_REDIS_KEY_FILE", "Client private key for mutual TLS.", false,
       text([](Config& c) -> S { return c.redis.key_file; })},
      {"SHOPFLOOR_REDIS_SERVER_NAME",
       "Name checked against the server certificate and sent as SNI.", false,
       text([](Config& c) -> S { return c.redis.server_name; }), "(the host)"},
      {"SHOPFLOOR_REDIS_USER", "ACL user.", false,
       text([](Config& c) -> S { return c.redis.user; })},
      {"SHOPFLOOR_REDIS_PASSWORD", "ACL password; prefer SHOPFLOOR_REDIS_PASSWORD_FILE.", true,
       text([](Config& c) -> S { return c.redis.password; })},
      {"SHOPFLOOR_REDIS_DB", "Database number (SELECT).", false,
       integer<int>([](Config& c) -> int& { return c.redis.db; }, 0, 15)},
      {"SHOPFLOOR_REDIS_CONNECTIONS", "Pipelined Redis connections per I/O thread.", false,
       integer<std::size_t>([](Config& c) -> std::size_t& { return c.redis.connections; }, 1, 64)},
      {"SHOPFLOOR_REDIS_CONNECT_TIMEOUT_MS", "Deadline of a Redis connect + TLS + AUTH handshake.",
       false, millis([](Config& c) -> M { return c.redis.connect_timeout; })},
      {"SHOPFLOOR_CACHE_ENABLED",
       "false: every answer comes from the database or calculator (X-Cache: BYPASS).", false,
       boolean([](Config& c) -> bool& { return c.cache.enabled; })},
      {"SHOPFLOOR_CACHE_PREFIX", "Prefix of every cache key (the ACL user must own it).", false,
       text([](Config& c) -> S { return c.cache_prefix; })},
      {"SHOPFLOOR_CACHE_TIMEOUT_MS",
       "Deadline of one cache command of a lookup; beyond it the request fails open (BYPASS).",
       false, millis([](Config& c) -> M { return c.cache.op_timeout; }, 1, 10'000)},
      {"SHOPFLOOR_CACHE_RETIRE_TIMEOUT_MS",
       "Deadline of an invalidation on the write path; beyond it the invalidation waits in the "
       "ledger and the cache is bypassed until it is delivered.",
       false, millis([](Config& c) -> M { return c.cache.retire_timeout; }, 1, 10'000)},
      {"SHOPFLOOR_CACHE_BREAKER_FAILURES",
       "Consecutive cache failures that stop the service from waiting on the cache.", false,
       integer<int>([](Config& c) -> int& { return c.cache.breaker.failure_threshold; }, 1, 1000)},
      {"SHOPFLOOR_CACHE_BREAKER_OPEN_MS", "While the breaker is open, one probe per this interval.",
       false, millis([](Config& c) -> M { return c.cache.breaker.open_for; })},
      {"SHOPFLOOR_CACHE_BREAKER_FAILING_MS",
       "The consecutive failures must also span this long before the breaker opens (a burst "
       "of timeouts from one stall of the service is not an outage); 0: the count alone.",
       false, millis([](Config& c) -> M { return c.cache.breaker.failing_for; }, 0, 60'000)},
      {"SHOPFLOOR_CACHE_MAX_VALUE_BYTES", "Larger answers are served but not cached (every cache).",
       false,
       every_cache<std::size_t>(&cache::Policy::max_value_bytes, 1024, 512LL << 20, "bytes")},
      {"SHOPFLOOR_CACHE_MAX_TTL_MS",
       "Upper bound of every cache TTL.",
       false,
       {[](Config& c, const std::string& v) -> std::optional<std::string> {
          auto n = parse_int(v, 1000, 86'400'000LL * 30);
          if (!n) return "milliseconds from 1000 to 2592000000";
          for (cache::Policy* p : c.all_cache_policies()) p->max_ttl = milliseconds(*n);
          return std::nullopt;
        },
        [](Config& c) { return std::to_string(c.mes_caches.orders_list.max_ttl.count()); }}},
      {"SHOPFLOOR_CACHE_TTL_ORDERS_LIST_MS", "TTL of cached order lists (cache orders_list).",
       false, ttl([](Config& c) -> cache::Policy& { return c.mes_caches.orders_list; })},
      {"SHOPFLOOR_CACHE_TTL_ORDER_MS", "TTL of a cached order (cache order).", false,
       ttl([](Config& c) -> cache::Policy& { return c.mes_caches.order; })},
      {"SHOPFLOOR_CACHE_TTL_DASHBOARD_MS", "TTL of the cached dashboard (cache dashboard).", false,
       ttl([](Config& c) -> cache::Policy& { return c.mes_caches.dashboard; })},
      {"SHOPFLOOR_CACHE_GZIP_MES",
       "Store order lists and the dashboard gzip-compressed; sent as stored to clients that "
       "accept gzip, inflated for the others.",
       false, boolean([](Config& c) -> bool& { return c.mes_caches.compress_bodies; })},
      {"SHOPFLOOR_CACHE_TTL_CALCULATION_MS",
       "TTL of a cached cost calculation (cache calculation).", false,
       ttl([](Config& c) -> cache::Policy& { return c.pricing_caches.calculation; })},
      {"SHOPFLOOR_CACHE_TTL_PRODUCTS_MS",
       "TTL of the cached Pricing GET /products list (cache products).", false,
       ttl([](Config& c) -> cache::Policy& { return c.pricing_caches.products; })},
      {"SHOPFLOOR_CACHE_TTL_CATALOG_MS",
       "TTL of cached Shop catalog pages and products (cache catalog).", false,
       ttl([](Config& c) -> cache::Policy& { return c.shop_caches.catalog; })},
      {"SHOPFLOOR_CACHE_TTL_TOKEN_MS",
       "TTL of a cached token lookup (cache token; revocation retires it at once).", false,
       ttl([](Config& c) -> cache::Policy& { return c.auth_caches.token; })},
      {"SHOPFLOOR_CACHE_SUMMARY_INTERVAL_MS",
       "How often the hit-ratio summary is logged per cache.", false,
       millis([](Config& c) -> M { return c.summary_interval; })},
      {"SHOPFLOOR_ADMIN_TOKEN", "Bootstrap admin bearer token; prefer SHOPFLOOR_ADMIN_TOKEN_FILE.",
       true, text([](Config& c) -> S { return c.admin_token; })},
      {"SHOPFLOOR_SQL_DIR", "Folder of the numbered migrations and seed/ scripts.", false,
       text([](Config& c) -> S { return c.sql_dir; }), "sql (beside the working directory)"},
      {"SHOPFLOOR_WEB_DIR",
       "Folder of the operator console's static files, served at / on the MES listener (read at "
       "start-up).",
       false, text([](Config& c) -> S { return c.web_dir; }),
       "web (beside SHOPFLOOR_SQL_DIR)"},  // [console]
  };
  return table;
}

std::string trim(std::string s) {
  auto not_space = [](unsigned char ch) { return !std::isspace(ch); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

// SHOPFLOOR_* names that belong to the project's scripts, tests and benchmarks
// (scripts/devenv.sh env, scripts/test.sh, bench/), not to the service. They are
// exported into the same shells that run `shopfloor serve`, so the service accepts and
// ignores them; any other unknown SHOPFLOOR_* name is a typo and stops start-up.
// A name ending in '_' is a prefix.
constexpr const char* kToolNames[] = {
    "SHOPFLOOR_PG_PORT",
    "SHOPFLOOR_REDIS_TLS_PORT",
    "SHOPFLOOR_RUN_DIR",
    "SHOPFLOOR_DEVENV",
    "SHOPFLOOR_BIN",
    "SHOPFLOOR_SEED_ORDERS",
    "SHOPFLOOR_BUILD_DIR",
    "SHOPFLOOR_JOBS",
    "SHOPFLOOR_TIDY",
    "SHOPFLOOR_KEEP_SERVERS",
    "SHOPFLOOR_SCREENSHOT_DIR",
    "SHOPFLOOR_TEST_",
    "SHOPFLOOR_BENCH_",
    "SHOPFLOOR_FRESH_RUN_",
    "SHOPFLOOR_CONSOLE_",
    "SHOPFLOOR_REDIS_CLUSTER_PORT",
    "SHOPFLOOR_LB_",
    "SHOPFLOOR_REDIS_SENTINEL_PORT",
};

bool tool_name(std::string_view name) {
  for (std::string_view tool : kToolNames) {
    if (tool.back() == '_' ? name.starts_with(tool) : name == tool) return true;
  }
  return false;
}

// A secret file's contents without surrounding white space; nullopt when it is not a
// readable regular file (a directory opens as a stream but reads nothing).
std::optional<std::string> read_secret_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return trim(ss.str());
}

std::optional<std::string> unknown_setting(const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    if (!name.starts_with("SHOPFLOOR_") || name == "SHOPFLOOR_CONFIG_FILE" || tool_name(name))
      continue;
    const bool known = std::any_of(settings().begin(), settings().end(), [&](const Setting& s) {
      return name == s.name || (s.secret && name == std::string(s.name) + "_FILE");
    });
    if (!known) return name;
  }
  return std::nullopt;
}

}  // namespace

Result<Config> load_config(
    const std::function<std::optional<std::string>(const std::string&)>& getenv,
    const std::vector<std::string>& environment_names) {
  if (auto unknown = unknown_setting(environment_names))
    return Problem::bad_input("bad_config", "unknown setting " + *unknown +
                                                " (see `shopfloor config` for every setting)");
  std::map<std::string, std::string> file_values;
  if (auto file = getenv("SHOPFLOOR_CONFIG_FILE")) {
    std::ifstream in(*file);
    if (!in) return Problem::bad_input("bad_config", "cannot read SHOPFLOOR_CONFIG_FILE " + *file);
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
      line = trim(line);
      if (line.empty() || line[0] == '#') continue;
      auto eq = line.find('=');
      if (eq == std::string::npos)
        return Problem::bad_input("bad_config",
                                  *file + ":" + std::to_string(n) + ": expected NAME=value");
      std::string name = trim(line.substr(0, eq));
      if (name.starts_with("SHOPFLOOR_") && unknown_setting({name}))
        return Problem::bad_input("bad_config",
                                  *file + ":" + std::to_string(n) + ": unknown setting " + name);
      file_values[std::move(name)] = trim(line.substr(eq + 1));
    }
  }
  auto lookup = [&](const std::string& name) -> std::optional<std::string> {
    if (auto v = getenv(name)) return v;
    if (auto it = file_values.find(name); it != file_values.end()) return it->second;
    return std::nullopt;
  };

  Config c;
  for (const Setting& s : settings()) {
    std::optional<std::string> value = lookup(s.name);
    if (!value && s.secret) {
      if (auto path = lookup(std::string(s.name) + "_FILE")) {
        value = read_secret_file(*path);
        if (!value)
          return Problem::bad_input("bad_config", std::string(s.name) + "_FILE: cannot read " +
                                                      *path + " (not a readable file)");
        if (value->empty())
          return Problem::bad_input("bad_config",
                                    std::string(s.name) + "_FILE: " + *path + " is empty");
      }
    }
    if (!value) continue;
    if (auto error = s.kind.apply(c, *value)) {
      return Problem::bad_input("bad_config", std::string(s.name) + " must be " + *error +
                                                  (s.secret ? "" : " (got \"" + *value + "\")"));
    }
  }
  if (c.web_dir.empty())
    c.web_dir = (std::filesystem::path(c.sql_dir).parent_path() / "web").string();  // [console]
  return c;
}

Result<Config> load_config_from_environment() {
  std::vector<std::string> names;
  for (char** entry = environ; entry && *entry; ++entry) {
    const std::string_view var(*entry);
    if (var.starts_with("SHOPFLOOR_")) names.emplace_back(var.substr(0, var.find('=')));
  }
  return load_config(
      [](const std::string& name) -> std::optional<std::string> {
        const char* v = std::getenv(name.c_str());
        return v ? std::optional<std::string>(v) : std::nullopt;
      },
      names);
}

std::vector<cache::Policy*> Config::all_cache_policies() {
  return {&mes_caches.orders_list,     &mes_caches.order,        &mes_caches.dashboard,
          &pricing_caches.calculation, &pricing_caches.products, &shop_caches.catalog,
          &auth_caches.token};
}

std::string settings_markdown() {
  Config defaults;
  std::string out =
      "| setting | default | meaning |\n"
      "|---|---|---|\n";
  for (const Setting& s : settings()) {
    out += "| `" + std::string(s.name) + "`" +
           (s.secret ? " (or `" + std::string(s.name) + "_FILE`)" : "") + " | " +
           (s.shown ? std::string(s.shown) : s.kind.show(defaults)) + " | " + s.meaning + " |\n";
  }
  out +=
      "| `SHOPFLOOR_CONFIG_FILE` | (none) | Optional file of NAME=value lines; the environment "
      "wins over it. |\n";
  out +=
      "\nAny other `SHOPFLOOR_*` name in the environment (or in the file) stops start-up "
      "(exit status 2) naming it, except these names of the project's own scripts, tests and "
      "benchmarks, which the service accepts and ignores (`*`: any suffix):";
  std::string tools;
  for (std::string_view tool : kToolNames) {
    tools += tools.empty() ? " `" : ", `";
    tools += tool;
    tools += tool.back() == '_' ? "*`" : "`";
  }
  out += tools + ".\n";
  return out;
}

}  // namespace shopfloor::app
