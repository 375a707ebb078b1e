// Config: every setting of the `shopfloor` executable, read from the environment
// (SHOPFLOOR_*) and optionally from a file named by SHOPFLOOR_CONFIG_FILE (lines of
// NAME=value, '#' comments; the environment wins over the file).
//
// Every setting is declared once, in the table in config.cpp, with its meaning; its
// default is the member initializer below (or in the option struct it lands in:
// http::ServerOptions, pg::Options, redis::Options, cache::EngineOptions, each module's
// CachePolicies), and `shopfloor config` prints the table with those defaults
// (docs/configuration.md is its output).
// Secrets (passwords, the admin token) may be given directly or, better, as a file
// through the NAME_FILE variant; they are never logged or printed.
//
// Thread-safety: a plain value, read once at start-up.
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "auth/authenticator.hpp"
#include "cache/cache.hpp"
#include "core/problem.hpp"
#include "http/server.hpp"
#include "mes/service.hpp"
#include "pg/options.hpp"
#include "pricing/service.hpp"
#include "redis/options.hpp"
#include "shop/service.hpp"

namespace shopfloor::app {

struct Config {
  // I/O threads (shards). Default: the number of CPU cores.
  std::size_t threads = std::max(1u, std::thread::hardware_concurrency());
  std::string log_level = "info";
  bool log_json = false;
  // Serve /metrics to any address, not only loopback. Default: false.
  bool metrics_public = false;
  // How often the hit-ratio summary is logged. Default: 60 s.
  std::chrono::milliseconds summary_interval{60'000};
  http::ServerOptions mes{.service = "mes", .port = 8080};
  http::ServerOptions pricing{.service = "pricing", .port = 8081};
  http::ServerOptions shop{.service = "shop", .port = 8082};
  pg::Options db{.dbname = "shopfloor", .user = "shopfloor"};
  // The services identify the Redis server on every connection (run_id), so entries a
  // restarted or replaced server brought back are never served (cache/redis_backend.hpp).
  redis::Options redis{.identify_server = true};
  std::string cache_prefix = "sf:";
  cache::EngineOptions cache;
  mes::CachePolicies mes_caches;
  pricing::CachePolicies pricing_caches;
  shop::CachePolicies shop_caches;
  auth::CachePolicies auth_caches;
  std::string admin_token;  // secret
  std::string sql_dir = "sql";
  std::string web_dir;  // console: static files (web/); empty → "web" beside sql_dir  [console]

  // Every cache's policy (the settings that apply to all caches at once).
  std::vector<cache::Policy*> all_cache_policies();
};

// Reads the configuration; `getenv` is injectable for tests. Bad values are
// reported by name (never with a secret's value). `environment_names`: every SHOPFLOOR_*
// name set in the environment; one that is neither a setting, a secret's _FILE variant
// nor one of the project's tool names (listed by settings_markdown()) is an error, as is
// such a name in SHOPFLOOR_CONFIG_FILE: a misspelt setting must not be ignored.
Result<Config> load_config(
    const std::function<std::optional<std::string>(const std::string&)>& getenv,
    const std::vector<std::string>& environment_names = {});
Result<Config> load_config_from_environment();

// The settings table as Markdown (for `shopfloor config` and docs/configuration.md).
std::string settings_markdown();

}  // namespace shopfloor::app
