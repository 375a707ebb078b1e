// Config: every setting of the `shopfloor` executable, read from the environment
// (SHOPFLOOR_*) and optionally from a file named by SHOPFLOOR_CONFIG_FILE (lines of
// NAME=value, '#' comments; the environment wins over the file).
//
// Every setting is declared once, in the table in config.cpp, with its default and
// meaning; `shopfloor config` prints that table (docs/configuration.md is its output).
// Secrets (passwords, the admin token) may be given directly or, better, as a file
// through the NAME_FILE variant; they are never logged or printed.
//
// Thread-safety: a plain value, read once at start-up.
#pragma once

#include "api/deps.hpp"
#include "cache/cache.hpp"
#include "core/problem.hpp"
#include "http/server.hpp"
#include "pg/options.hpp"
#include "redis/options.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace shopfloor::app {

struct Config {
  std::size_t threads = 2;
  std::string log_level = "info";
  bool log_json = false;
  bool metrics_public = false;
  std::chrono::milliseconds summary_interval{60'000};
  http::ServerOptions mes, pricing, shop;
  pg::Options db;
  redis::Options redis;
  std::string cache_prefix = "sf:";
  cache::EngineOptions cache;
  api::CachePolicies policies;
  std::string admin_token;  // secret
  std::string sql_dir = "sql";
  std::string web_dir;  // console: static files (web/); empty → "web" beside sql_dir  [console]
};

// Reads the configuration; `getenv` is injectable for tests. Bad values are
// reported by name (never with a secret's value).
Result<Config> load_config(const std::function<std::optional<std::string>(const std::string&)>& getenv);
Result<Config> load_config_from_environment();

// The settings table as Markdown (for `shopfloor config` and docs/configuration.md).
std::string settings_markdown();

}  // namespace shopfloor::app
