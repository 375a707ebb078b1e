#include "app/config.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

namespace shopfloor::app {
namespace {

using std::chrono::milliseconds;
using Apply = std::function<std::optional<std::string>(Config&, const std::string&)>;

struct Setting {
  const char* name;
  const char* fallback;  // the default, as documented
  const char* meaning;
  bool secret;
  Apply apply;
};

std::optional<long long> parse_int(const std::string& s, long long lo, long long hi) {
  long long v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < lo || v > hi) return std::nullopt;
  return v;
}

template <class T>
Apply integer(T Config::*field, long long lo, long long hi) {
  return [=](Config& c, const std::string& v) -> std::optional<std::string> {
    auto n = parse_int(v, lo, hi);
    if (!n) return "an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
    c.*field = static_cast<T>(*n);
    return std::nullopt;
  };
}

Apply port(std::function<std::uint16_t&(Config&)> field) {
  return [=](Config& c, const std::string& v) -> std::optional<std::string> {
    auto n = parse_int(v, 1, 65535);
    if (!n) return "a TCP port (1-65535)";
    field(c) = static_cast<std::uint16_t>(*n);
    return std::nullopt;
  };
}

Apply millis(std::function<milliseconds&(Config&)> field, long long lo = 1,
             long long hi = 86'400'000LL * 7) {
  return [=](Config& c, const std::string& v) -> std::optional<std::string> {
    auto n = parse_int(v, lo, hi);
    if (!n) return "milliseconds from " + std::to_string(lo) + " to " + std::to_string(hi);
    field(c) = milliseconds(*n);
    return std::nullopt;
  };
}

Apply boolean(std::function<bool&(Config&)> field) {
  return [=](Config& c, const std::string& v) -> std::optional<std::string> {
    if (v == "true" || v == "1" || v == "yes" || v == "on") field(c) = true;
    else if (v == "false" || v == "0" || v == "no" || v == "off") field(c) = false;
    else return "true or false";
    return std::nullopt;
  };
}

Apply text(std::function<std::string&(Config&)> field) {
  return [=](Config& c, const std::string& v) -> std::optional<std::string> {
    field(c) = v;
    return std::nullopt;
  };
}

Apply one_of(std::function<std::string&(Config&)> field, std::vector<std::string> allowed) {
  return [=](Config& c, const std::string& v) -> std::optional<std::string> {
    if (std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
      std::string list;
      for (auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      return "one of: " + list;
    }
    field(c) = v;
    return std::nullopt;
  };
}

const std::vector<Setting>& settings() {
  static const std::vector<Setting> table = {
      {"SHOPFLOOR_THREADS", "number of CPU cores", "I/O threads; each runs its own HTTP listeners, Redis connections and PostgreSQL pool.", false, integer(&Config::threads, 1, 256)},
      {"SHOPFLOOR_LOG_LEVEL", "info", "trace, debug, info, warn, error. debug logs one line per cache lookup.", false, one_of([](Config& c) -> std::string& { return c.log_level; }, {"trace", "debug", "info", "warn", "error", "off"})},
      {"SHOPFLOOR_LOG_FORMAT", "text", "text (human) or json (one JSON object per line).", false, [](Config& c, const std::string& v) -> std::optional<std::string> {
         if (v != "text" && v != "json") return "text or json";
         c.log_json = v == "json";
         return std::nullopt;
       }},
      {"SHOPFLOOR_MES_ADDRESS", "127.0.0.1", "MES API listen address.", false, text([](Config& c) -> std::string& { return c.mes.address; })},
      {"SHOPFLOOR_MES_PORT", "8080", "MES API port.", false, port([](Config& c) -> std::uint16_t& { return c.mes.port; })},
      {"SHOPFLOOR_PRICING_ADDRESS", "127.0.0.1", "Pricing API listen address.", false, text([](Config& c) -> std::string& { return c.pricing.address; })},
      {"SHOPFLOOR_PRICING_PORT", "8081", "Pricing API port.", false, port([](Config& c) -> std::uint16_t& { return c.pricing.port; })},
      {"SHOPFLOOR_SHOP_ADDRESS", "127.0.0.1", "Shop API listen address.", false, text([](Config& c) -> std::string& { return c.shop.address; })},
      {"SHOPFLOOR_SHOP_PORT", "8082", "Shop API port.", false, port([](Config& c) -> std::uint16_t& { return c.shop.port; })},
      {"SHOPFLOOR_HTTP_BODY_LIMIT", "1048576", "Largest request body in bytes (larger: 413).", false, [](Config& c, const std::string& v) -> std::optional<std::string> {
         auto n = parse_int(v, 1024, 64LL << 20);
         if (!n) return "bytes from 1024 to 67108864";
         c.mes.body_limit = c.pricing.body_limit = c.shop.body_limit = static_cast<std::size_t>(*n);
         return std::nullopt;
       }},
      {"SHOPFLOOR_HTTP_HEADER_TIMEOUT_MS", "10000", "Time a client has to send a whole request.", false, millis([](Config& c) -> milliseconds& { return c.mes.header_timeout; })},
      {"SHOPFLOOR_HTTP_IDLE_TIMEOUT_MS", "60000", "Keep-alive idle time before a connection is closed.", false, millis([](Config& c) -> milliseconds& { return c.mes.idle_timeout; })},
      {"SHOPFLOOR_SHUTDOWN_DRAIN_MS", "10000", "On SIGTERM/SIGINT: how long in-flight requests may take to finish.", false, millis([](Config& c) -> milliseconds& { return c.mes.drain_timeout; })},
      {"SHOPFLOOR_METRICS_PUBLIC", "false", "Serve /metrics to any address, not only loopback.", false, boolean([](Config& c) -> bool& { return c.metrics_public; })},
      {"SHOPFLOOR_DB_HOST", "127.0.0.1", "PostgreSQL host (an IP literal keeps connecting fully asynchronous).", false, text([](Config& c) -> std::string& { return c.db.host; })},
      {"SHOPFLOOR_DB_PORT", "5432", "PostgreSQL port.", false, port([](Config& c) -> std::uint16_t& { return c.db.port; })},
      {"SHOPFLOOR_DB_NAME", "shopfloor", "Database name.", false, text([](Config& c) -> std::string& { return c.db.dbname; })},
      {"SHOPFLOOR_DB_USER", "shopfloor", "Database role (not a superuser).", false, text([](Config& c) -> std::string& { return c.db.user; })},
      {"SHOPFLOOR_DB_PASSWORD", "(none)", "Database password; prefer SHOPFLOOR_DB_PASSWORD_FILE.", true, text([](Config& c) -> std::string& { return c.db.password; })},
      {"SHOPFLOOR_DB_POOL_SIZE", "8", "PostgreSQL connections per I/O thread.", false, [](Config& c, const std::string& v) -> std::optional<std::string> {
         auto n = parse_int(v, 1, 200);
         if (!n) return "an integer from 1 to 200";
         c.db.pool_size = static_cast<std::size_t>(*n);
         return std::nullopt;
       }},
      {"SHOPFLOOR_DB_CONNECT_TIMEOUT_MS", "2000", "Deadline of one PostgreSQL connection attempt.", false, millis([](Config& c) -> milliseconds& { return c.db.connect_timeout; })},
      {"SHOPFLOOR_DB_QUERY_TIMEOUT_MS", "5000", "Deadline of one query.", false, millis([](Config& c) -> milliseconds& { return c.db.query_timeout; })},
      {"SHOPFLOOR_DB_ACQUIRE_TIMEOUT_MS", "2000", "Longest wait for a free pooled connection.", false, millis([](Config& c) -> milliseconds& { return c.db.acquire_timeout; })},
      {"SHOPFLOOR_REDIS_HOST", "127.0.0.1", "Redis/Valkey host.", false, text([](Config& c) -> std::string& { return c.redis.host; })},
      {"SHOPFLOOR_REDIS_PORT", "6379", "Redis/Valkey port (the TLS port when TLS is on).", false, port([](Config& c) -> std::uint16_t& { return c.redis.port; })},
      {"SHOPFLOOR_REDIS_TLS", "false", "Connect with TLS (certificate and host name verified).", false, boolean([](Config& c) -> bool& { return c.redis.tls; })},
      {"SHOPFLOOR_REDIS_CA_FILE", "(system store)", "CA certificate(s) that sign the server certificate.", false, text([](Config& c) -> std::string& { return c.redis.ca_file; })},
      {"SHOPFLOOR_REDIS_CERT_FILE", "(none)", "Client certificate for mutual TLS.", false, text([](Config& c) -> std::string& { return c.redis.cert_file; })},
      {"SHOPFLOOR_REDIS_KEY_FILE", "(none)", "Client private key for mutual TLS.", false, text([](Config& c) -> std::string& { return c.redis.key_file; })},
      {"SHOPFLOOR_REDIS_SERVER_NAME", "(the host)", "Name checked against the server certificate and sent as SNI.", false, text([](Config& c) -> std::string& { return c.redis.server_name; })},
      {"SHOPFLOOR_REDIS_USER", "(none)", "ACL user.", false, text([](Config& c) -> std::string& { return c.redis.user; })},
      {"SHOPFLOOR_REDIS_PASSWORD", "(none)", "ACL password; prefer SHOPFLOOR_REDIS_PASSWORD_FILE.", true, text([](Config& c) -> std::string& { return c.redis.password; })},
      {"SHOPFLOOR_REDIS_DB", "0", "Database number (SELECT).", false, [](Config& c, const std::string& v) -> std::optional<std::string> {
         auto n = parse_int(v, 0, 15);
         if (!n) return "an integer from 0 to 15";
         c.redis.db = static_cast<int>(*n);
         return std::nullopt;
       }},
      {"SHOPFLOOR_REDIS_CONNECTIONS", "2", "Pipelined Redis connections per I/O thread.", false, [](Config& c, const std::string& v) -> std::optional<std::string> {
         auto n = parse_int(v, 1, 64);
         if (!n) return "an integer from 1 to 64";
         c.redis.connections = static_cast<std::size_t>(*n);
         return std::nullopt;
       }},
      {"SHOPFLOOR_REDIS_CONNECT_TIMEOUT_MS", "1000", "Deadline of a Redis connect + TLS + AUTH handshake.", false, millis([](Config& c) -> milliseconds& { return c.redis.connect_timeout; })},
      {"SHOPFLOOR_CACHE_ENABLED", "true", "false: every answer comes from the database or calculator (X-Cache: BYPASS).", false, boolean([](Config& c) -> bool& { return c.cache.enabled; })},
      {"SHOPFLOOR_CACHE_PREFIX", "sf:", "Prefix of every cache key (the ACL user must own it).", false, text([](Config& c) -> std::string& { return c.cache_prefix; })},
      {"SHOPFLOOR_CACHE_TIMEOUT_MS", "20", "Deadline of one cache command of a lookup; beyond it the request fails open (BYPASS).", false, millis([](Config& c) -> milliseconds& { return c.cache.op_timeout; }, 1, 10'000)},
      {"SHOPFLOOR_CACHE_RETIRE_TIMEOUT_MS", "250", "Deadline of an invalidation on the write path; beyond it the invalidation waits in the ledger and the cache is bypassed until it is delivered.", false, millis([](Config& c) -> milliseconds& { return c.cache.retire_timeout; }, 1, 10'000)},
      {"SHOPFLOOR_CACHE_BREAKER_FAILURES", "3", "Consecutive cache failures that stop the service from waiting on the cache.", false, [](Config& c, const std::string& v) -> std::optional<std::string> {
         auto n = parse_int(v, 1, 1000);
         if (!n) return "an integer from 1 to 1000";
         c.cache.breaker.failure_threshold = static_cast<int>(*n);
         return std::nullopt;
       }},
      {"SHOPFLOOR_CACHE_BREAKER_OPEN_MS", "500", "While the breaker is open, one probe per this interval.", false, millis([](Config& c) -> milliseconds& { return c.cache.breaker.open_for; })},
      {"SHOPFLOOR_CACHE_MAX_VALUE_BYTES", "1048576", "Larger answers are served but not cached.", false, [](Config& c, const std::string& v) -> std::optional<std::string> {
         auto n = parse_int(v, 1024, 512LL << 20);
         if (!n) return "bytes from 1024 to 536870912";
         for (cache::Policy* p : {&c.policies.orders_list, &c.policies.order, &c.policies.dashboard,
                                  &c.policies.calculation, &c.policies.catalog, &c.policies.token})
           p->max_value_bytes = static_cast<std::size_t>(*n);
         return std::nullopt;
       }},
      {"SHOPFLOOR_CACHE_MAX_TTL_MS", "86400000", "Upper bound of every cache TTL.", false, [](Config& c, const std::string& v) -> std::optional<std::string> {
         auto n = parse_int(v, 1000, 86'400'000LL * 30);
         if (!n) return "milliseconds from 1000 to 2592000000";
         for (cache::Policy* p : {&c.policies.orders_list, &c.policies.order, &c.policies.dashboard,
                                  &c.policies.calculation, &c.policies.catalog, &c.policies.token})
           p->max_ttl = milliseconds(*n);
         return std::nullopt;
       }},
      {"SHOPFLOOR_CACHE_TTL_ORDERS_LIST_MS", "30000", "TTL of cached order lists.", false, millis([](Config& c) -> milliseconds& { return c.policies.orders_list.ttl; })},
      {"SHOPFLOOR_CACHE_TTL_ORDER_MS", "30000", "TTL of a cached order.", false, millis([](Config& c) -> milliseconds& { return c.policies.order.ttl; })},
      {"SHOPFLOOR_CACHE_TTL_DASHBOARD_MS", "10000", "TTL of the cached dashboard.", false, millis([](Config& c) -> milliseconds& { return c.policies.dashboard.ttl; })},
      {"SHOPFLOOR_CACHE_TTL_CALCULATION_MS", "600000", "TTL of a cached cost calculation.", false, millis([](Config& c) -> milliseconds& { return c.policies.calculation.ttl; })},
      {"SHOPFLOOR_CACHE_TTL_CATALOG_MS", "300000", "TTL of cached catalog pages.", false, millis([](Config& c) -> milliseconds& { return c.policies.catalog.ttl; })},
      {"SHOPFLOOR_CACHE_TTL_TOKEN_MS", "60000", "TTL of a cached token lookup (revocation retires it at once).", false, millis([](Config& c) -> milliseconds& { return c.policies.token.ttl; })},
      {"SHOPFLOOR_CACHE_SUMMARY_INTERVAL_MS", "60000", "How often the hit-ratio summary is logged per cache.", false, millis([](Config& c) -> milliseconds& { return c.summary_interval; })},
      {"SHOPFLOOR_ADMIN_TOKEN", "(none)", "Bootstrap admin bearer token; prefer SHOPFLOOR_ADMIN_TOKEN_FILE.", true, text([](Config& c) -> std::string& { return c.admin_token; })},
      {"SHOPFLOOR_SQL_DIR", "sql (beside the working directory)", "Folder of the numbered migrations and seed/ scripts.", false, text([](Config& c) -> std::string& { return c.sql_dir; })},
      {"SHOPFLOOR_WEB_DIR", "web (beside SHOPFLOOR_SQL_DIR)", "Folder of the operator console's static files, served at / on the MES listener (read at start-up).", false, text([](Config& c) -> std::string& { return c.web_dir; })},  // [console]
  };
  return table;
}

std::string trim(std::string s) {
  auto not_space = [](unsigned char ch) { return !std::isspace(ch); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

std::optional<std::string> read_secret_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return trim(ss.str());
}

Config defaults() {
  Config c;
  c.threads = std::max(1u, std::thread::hardware_concurrency());
  c.mes.service = "mes";
  c.mes.port = 8080;
  c.pricing.service = "pricing";
  c.pricing.port = 8081;
  c.shop.service = "shop";
  c.shop.port = 8082;
  c.db.port = 5432;
  c.db.dbname = "shopfloor";
  c.db.user = "shopfloor";
  c.redis.port = 6379;
  c.policies.orders_list.ttl = milliseconds(30'000);
  c.policies.order.ttl = milliseconds(30'000);
  c.policies.dashboard.ttl = milliseconds(10'000);
  c.policies.calculation.ttl = milliseconds(600'000);
  c.policies.catalog.ttl = milliseconds(300'000);
  c.policies.token.ttl = milliseconds(60'000);
  return c;
}

}  // namespace

Result<Config> load_config(
    const std::function<std::optional<std::string>(const std::string&)>& getenv) {
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
        return Problem::bad_input("bad_config", *file + ":" + std::to_string(n) + ": expected NAME=value");
      file_values[trim(line.substr(0, eq))] = trim(line.substr(eq + 1));
    }
  }
  auto lookup = [&](const std::string& name) -> std::optional<std::string> {
    if (auto v = getenv(name)) return v;
    if (auto it = file_values.find(name); it != file_values.end()) return it->second;
    return std::nullopt;
  };

  Config c = defaults();
  for (const Setting& s : settings()) {
    std::optional<std::string> value = lookup(s.name);
    if (!value && s.secret) {
      if (auto path = lookup(std::string(s.name) + "_FILE")) {
        value = read_secret_file(*path);
        if (!value) return Problem::bad_input("bad_config", std::string("cannot read ") + s.name + "_FILE " + *path);
      }
    }
    if (!value) continue;
    if (auto error = s.apply(c, *value)) {
      return Problem::bad_input("bad_config", std::string(s.name) + " must be " + *error +
                                                  (s.secret ? "" : " (got \"" + *value + "\")"));
    }
  }
  // One set of HTTP timeouts for all three listeners.
  for (http::ServerOptions* o : {&c.pricing, &c.shop}) {
    o->header_timeout = c.mes.header_timeout;
    o->idle_timeout = c.mes.idle_timeout;
    o->drain_timeout = c.mes.drain_timeout;
  }
  c.mes.metrics_public = c.pricing.metrics_public = c.shop.metrics_public = c.metrics_public;
  if (c.web_dir.empty()) c.web_dir = (std::filesystem::path(c.sql_dir).parent_path() / "web").string();  // [console]
  return c;
}

Result<Config> load_config_from_environment() {
  return load_config([](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    return v ? std::optional<std::string>(v) : std::nullopt;
  });
}

std::string settings_markdown() {
  std::string out =
      "| setting | default | meaning |\n"
      "|---|---|---|\n";
  for (const Setting& s : settings()) {
    out += "| `" + std::string(s.name) + "`" + (s.secret ? " (or `" + std::string(s.name) + "_FILE`)" : "") +
           " | " + s.fallback + " | " + s.meaning + " |\n";
  }
  out += "| `SHOPFLOOR_CONFIG_FILE` | (none) | Optional file of NAME=value lines; the environment wins over it. |\n";
  return out;
}

}  // namespace shopfloor::app
