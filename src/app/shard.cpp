#include "app/shard.hpp"

#include <spdlog/spdlog.h>  // [console]

#include <algorithm>
#include <boost/system/system_error.hpp>
#include <cctype>
#include <stdexcept>

#include "auth/tokens.hpp"
#include "http/static_files.hpp"  // [console]
#include "metrics/registry.hpp"

namespace shopfloor::app {
namespace {

// "SHOPFLOOR_MES_PORT: cannot listen on 127.0.0.1:8080: Address already in use (...)".
ListenError listen_error(const http::ServerOptions& options, const boost::system::system_error& e) {
  std::string api = options.service;
  std::transform(api.begin(), api.end(), api.begin(),
                 [](unsigned char c) { return std::toupper(c); });
  std::string line = "SHOPFLOOR_" + api + "_PORT: cannot listen on ";
  line += options.address + ":" + std::to_string(options.port) + ": " + e.code().message();
  line += " (SHOPFLOOR_" + api + "_ADDRESS, SHOPFLOOR_" + api + "_PORT)";
  return ListenError(line);
}

}  // namespace

Shard::Shard(const Config& c, std::shared_ptr<cache::InvalidationLedger> ledger,
             const HealthState& h)
    : ServiceClients(c, std::move(ledger)),
      config(c),
      health(h),
      work(ioc.get_executor()),
      mes(mes::Deps{db, engine, c.mes_caches, auth}),
      pricing(pricing::Deps{db, engine, c.pricing_caches, auth}),
      shop(shop::Deps{db, engine, c.shop_caches}) {}

void Shard::start() {
  // Started even when lookups bypass the cache: this process's writes must still retire
  // what other processes cached.
  redis.start();
  auto web = http::StaticFiles::load(config.web_dir);  // [console] operator console, at / on MES
  if (web->size() == 0)
    spdlog::warn("console: no files in {} (SHOPFLOOR_WEB_DIR)", config.web_dir);  // [console]
  for (const http::ServerOptions* options : {&config.mes, &config.pricing, &config.shop}) {
    auto router = std::make_shared<http::Router>();
    add_common_routes(*router, health, engine, config.metrics_public);
    if (options == &config.mes) {
      auth::add_token_routes(*router, auth);
      mes.add_routes(*router);
      http::add_static_routes(*router, web);  // [console]
    }
    if (options == &config.pricing) pricing.add_routes(*router);
    if (options == &config.shop) shop.add_routes(*router);
    auto server =
        std::make_unique<http::Server>(ioc, *options, router, metrics::default_registry());
    try {
      server->start();
    } catch (const boost::system::system_error& e) {  // in use, no permission, bad address
      throw listen_error(*options, e);
    }
    servers.push_back(std::move(server));
  }
}

std::vector<pg::ChangeFeed> Shard::change_feeds() {
  std::vector<pg::ChangeFeed> feeds{auth::token_feed(auth)};
  for (auto& feed : mes.change_feeds()) feeds.push_back(std::move(feed));
  for (auto& feed : pricing.change_feeds()) feeds.push_back(std::move(feed));
  for (auto& feed : shop.change_feeds()) feeds.push_back(std::move(feed));
  return feeds;
}

std::unique_ptr<pg::ChangeFeedListener> Shard::change_feed_listener() {
  std::shared_ptr<cache::InvalidationLedger> ledger = engine.shared_ledger();
  ledger->trust_until(std::chrono::steady_clock::time_point::min());
  return std::make_unique<pg::ChangeFeedListener>(
      ioc.get_executor(), config.db, change_feeds(),
      [ledger](std::chrono::steady_clock::time_point until) { ledger->trust_until(until); });
}

asio::awaitable<void> Shard::drain() {
  for (auto& server : servers) co_await server->shutdown();
  redis.stop();
  db.close();
  work.reset();
}

std::uint16_t Shard::port(std::string_view service) const {
  const http::ServerOptions* all[] = {&config.mes, &config.pricing, &config.shop};
  for (std::size_t i = 0; i < servers.size(); ++i) {
    if (all[i]->service == service) return servers[i]->local_endpoint().port();
  }
  throw std::invalid_argument("no started listener for service " + std::string(service));
}

}  // namespace shopfloor::app
