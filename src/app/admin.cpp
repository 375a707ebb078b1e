// `shopfloor admin`: the dispatcher and the context its subcommands share.
#include "app/admin.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstdio>

#include "app/admin_context.hpp"

namespace shopfloor::app {

namespace admin_detail {

AdminContext::AdminContext(const Config& c)
    : ServiceClients(c, std::make_shared<cache::InvalidationLedger>()), config(c) {}

AdminContext::~AdminContext() {
  // Let the client and the pool close their connections on the io_context.
  if (redis_started_) redis.stop();
  db.close();
  ioc.run_for(std::chrono::milliseconds(100));
}

asio::awaitable<bool> AdminContext::connect_redis() {
  if (!redis_started_) {
    redis_started_ = true;
    redis.start();
  }
  const auto deadline =
      std::chrono::steady_clock::now() + config.redis.connect_timeout + std::chrono::seconds(1);
  asio::steady_timer timer(ioc);
  while (!redis.connected() && std::chrono::steady_clock::now() < deadline) {
    timer.expires_after(std::chrono::milliseconds(10));
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  co_return redis.connected();
}

std::string redis_failure(const redis::Client& client, boost::system::error_code ec) {
  if (ec == redis::make_error_code(redis::error::not_connected) && client.last_error())
    return client.last_error().message();
  return ec.message();
}

void problem(const std::string& line) {
  std::fprintf(stderr, "%s\n", line.c_str());
}

}  // namespace admin_detail

const char* admin_usage() {
  return "usage: shopfloor admin <command>\n"
         "  cache stats              hits, misses, bypasses per cache (from the service's\n"
         "                           /metrics) and cached keys per namespace (from Redis)\n"
         "  cache retire <namespace> retire every cached answer of a namespace\n"
         "  cache retire --all       retire every namespace that holds keys\n"
         "  tokens list              every API token, live and revoked\n"
         "  tokens create <name> <role>   issue a token (admin, operator, partner); prints\n"
         "                           the secret once\n"
         "  tokens revoke <name>     revoke a token; it stops working before this returns\n"
         "  check                    verify the configuration against the servers\n";
}

int admin(const Config& config, const std::vector<std::string>& args) {
  using namespace admin_detail;
  const std::string what = args.empty() ? "" : args[0];
  const std::vector<std::string> rest(args.empty() ? args.end() : args.begin() + 1, args.end());
  if (what != "cache" && what != "tokens" && what != "check") {
    std::fputs(admin_usage(), what == "help" || what == "--help" ? stdout : stderr);
    return what == "help" || what == "--help" ? 0 : 2;
  }
  if (what == "check" && !rest.empty()) {
    std::fputs(admin_usage(), stderr);
    return 2;
  }
  AdminContext ctx(config);
  if (what == "cache") return cache_command(ctx, rest);
  if (what == "tokens") return tokens_command(ctx, rest);
  return check_command(ctx);
}

}  // namespace shopfloor::app
