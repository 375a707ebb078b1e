// shopfloor: the one executable of the Shopfloor services.
//
//   shopfloor serve     run the MES, Pricing and Shop APIs (until SIGTERM/SIGINT)
//   shopfloor migrate   apply the numbered SQL migrations (safe to run twice)
//   shopfloor seed [--orders N]   load demo data (sql/seed/*.sql, idempotent)
//   shopfloor admin ... operator commands (app/admin.hpp): cache stats|retire, tokens, check
//   shopfloor config    print every setting with its default (Markdown)
//   shopfloor version   print the version
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "app/admin.hpp"
#include "app/config.hpp"
#include "app/logging.hpp"
#include "app/runtime.hpp"

#ifndef SHOPFLOOR_VERSION
#define SHOPFLOOR_VERSION "0.0.0"
#endif

namespace {

int usage(int code) {
  std::fputs(
      "usage: shopfloor <command>\n"
      "  serve     run the MES, Pricing and Shop APIs until SIGTERM/SIGINT\n"
      "  migrate   apply the numbered SQL migrations (safe to run twice)\n"
      "  seed [--orders N]   load demo data when absent (default 100000 orders)\n"
      "  admin ... cache stats|retire, tokens list|create|revoke, check (`admin help`)\n"
      "  config    print every setting with its default\n"
      "  version   print the version\n"
      "Settings come from SHOPFLOOR_* environment variables (see `shopfloor config`).\n",
      code == 0 ? stdout : stderr);
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace shopfloor;
  const std::string_view command = argc > 1 ? argv[1] : "";
  if (command == "version" || command == "--version") {
    std::printf("shopfloor %s\n", SHOPFLOOR_VERSION);
    return 0;
  }
  if (command == "config") {
    std::fputs(app::settings_markdown().c_str(), stdout);
    return 0;
  }
  if (command == "help" || command == "--help" || command == "-h") return usage(0);
  if (command == "admin" && argc == 2) {
    std::fputs(app::admin_usage(), stderr);
    return 2;
  }
  if (command != "serve" && command != "migrate" && command != "seed" && command != "admin")
    return usage(2);

  long long orders = 100'000;
  if (command == "seed" && argc > 2) {
    char* end = nullptr;
    orders =
        argc == 4 && std::string_view(argv[2]) == "--orders" ? std::strtoll(argv[3], &end, 10) : -1;
    if (orders < 0 || orders > 100'000'000 || !end || *end) return usage(2);
  }
  auto config = app::load_config_from_environment();
  if (!config) {
    app::setup_logging("info", false);
    spdlog::error("configuration: {}", config.error().message);
    return 2;
  }
  // Admin commands print their own findings; the log says only what goes wrong.
  const bool quiet = command == "admin" && config->log_level == "info";
  app::setup_logging(quiet ? "warn" : config->log_level, config->log_json);
  try {
    if (command == "admin")
      return app::admin(*config, std::vector<std::string>(argv + 2, argv + argc));
    if (command == "serve") return app::serve(*config);
    if (command == "migrate") return app::migrate(*config);
    return app::seed(*config, orders);
  } catch (const std::exception& e) {
    spdlog::critical("fatal: {}", e.what());
    return 1;
  }
}
