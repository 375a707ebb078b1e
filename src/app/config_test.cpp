#include "app/config.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

namespace shopfloor::app {
namespace {

auto env(std::map<std::string, std::string> values) {
  return [values](const std::string& name) -> std::optional<std::string> {
    auto it = values.find(name);
    return it == values.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

TEST(Config, DefaultsFollowTheContract) {
  auto c = load_config(env({}));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->mes.port, 8080);
  EXPECT_EQ(c->pricing.port, 8081);
  EXPECT_EQ(c->shop.port, 8082);
  EXPECT_EQ(c->mes.address, "127.0.0.1");
  EXPECT_EQ(c->cache_prefix, "sf:");
  EXPECT_GE(c->threads, 1u);
}

// Each cache's defaults are declared once, by the module that owns the cache; the
// configuration only carries them, and the settings table shows them.
TEST(Config, CacheDefaultsComeFromTheModules) {
  auto c = load_config(env({}));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->mes_caches.orders_list.ttl, mes::CachePolicies{}.orders_list.ttl);
  EXPECT_EQ(c->mes_caches.dashboard.ttl, mes::CachePolicies{}.dashboard.ttl);
  EXPECT_EQ(c->pricing_caches.calculation.ttl, pricing::CachePolicies{}.calculation.ttl);
  EXPECT_EQ(c->pricing_caches.products.ttl, pricing::CachePolicies{}.products.ttl);
  EXPECT_EQ(c->shop_caches.catalog.ttl, shop::CachePolicies{}.catalog.ttl);
  EXPECT_EQ(c->auth_caches.token.ttl, auth::CachePolicies{}.token.ttl);
  const std::string md = settings_markdown();
  auto row_shows = [&md](const std::string& name, std::chrono::milliseconds value) {
    return md.find("| `" + name + "` | " + std::to_string(value.count()) + " |") !=
           std::string::npos;
  };
  EXPECT_TRUE(row_shows("SHOPFLOOR_CACHE_TTL_DASHBOARD_MS", mes::CachePolicies{}.dashboard.ttl));
  EXPECT_TRUE(row_shows("SHOPFLOOR_CACHE_TTL_PRODUCTS_MS", pricing::CachePolicies{}.products.ttl));
  EXPECT_TRUE(row_shows("SHOPFLOOR_CACHE_TTL_CATALOG_MS", shop::CachePolicies{}.catalog.ttl));
  EXPECT_TRUE(row_shows("SHOPFLOOR_CACHE_TIMEOUT_MS", cache::EngineOptions{}.op_timeout));
}

TEST(Config, OneTtlSettingPerCache) {
  auto c = load_config(env({{"SHOPFLOOR_CACHE_TTL_PRODUCTS_MS", "4000"},
                            {"SHOPFLOOR_CACHE_TTL_CATALOG_MS", "5000"},
                            {"SHOPFLOOR_CACHE_MAX_VALUE_BYTES", "2048"}}));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->pricing_caches.products.ttl, std::chrono::milliseconds(4000));
  EXPECT_EQ(c->shop_caches.catalog.ttl, std::chrono::milliseconds(5000));
  for (cache::Policy* p : c->all_cache_policies()) EXPECT_EQ(p->max_value_bytes, 2048u);
}

// docs/configuration.md carries the table `shopfloor config` prints: it cannot drift.
TEST(Config, DocumentedTableIsTheGeneratedOne) {
  std::ifstream in(SHOPFLOOR_DOCS_DIR "/configuration.md");
  ASSERT_TRUE(in) << "cannot read docs/configuration.md";
  std::stringstream doc;
  doc << in.rdbuf();
  EXPECT_NE(doc.str().find(settings_markdown()), std::string::npos)
      << "docs/configuration.md is out of date: regenerate its table with `shopfloor config`";
}

TEST(Config, ReadsValuesAndSecretFiles) {
  const std::string path = ::testing::TempDir() + "/sf_secret";
  std::ofstream(path) << "s3cret\n";
  auto c = load_config(env({{"SHOPFLOOR_MES_PORT", "9000"},
                            {"SHOPFLOOR_REDIS_TLS", "true"},
                            {"SHOPFLOOR_REDIS_PASSWORD_FILE", path},
                            {"SHOPFLOOR_CACHE_TTL_ORDERS_LIST_MS", "1234"},
                            {"SHOPFLOOR_HTTP_IDLE_TIMEOUT_MS", "777"}}));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->mes.port, 9000);
  EXPECT_TRUE(c->redis.tls);
  EXPECT_EQ(c->redis.password, "s3cret");
  EXPECT_EQ(c->mes_caches.orders_list.ttl, std::chrono::milliseconds(1234));
  EXPECT_EQ(c->shop.idle_timeout, std::chrono::milliseconds(777))
      << "one timeout for all listeners";
}

TEST(Config, BadValuesNameTheSettingButNeverASecret) {
  auto bad_port = load_config(env({{"SHOPFLOOR_MES_PORT", "http"}}));
  ASSERT_FALSE(bad_port);
  EXPECT_NE(bad_port.error().message.find("SHOPFLOOR_MES_PORT"), std::string::npos);
  auto missing_secret = load_config(env({{"SHOPFLOOR_DB_PASSWORD_FILE", "/nonexistent/pw"}}));
  ASSERT_FALSE(missing_secret);
  EXPECT_NE(missing_secret.error().message.find("SHOPFLOOR_DB_PASSWORD_FILE"), std::string::npos);
  EXPECT_FALSE(load_config(env({{"SHOPFLOOR_LOG_FORMAT", "xml"}})));
}

TEST(Config, RedisModeAndNodes) {
  auto c = load_config(env({{"SHOPFLOOR_REDIS_MODE", "cluster"},
                            {"SHOPFLOOR_REDIS_NODES", "127.0.0.1:7000, [::1]:7001,node-3:7002"}}));
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->redis.mode, redis::Mode::cluster);
  ASSERT_EQ(c->redis.nodes.size(), 3u);
  EXPECT_EQ(c->redis.nodes[1].host, "::1");
  EXPECT_EQ(c->redis.nodes[2].port, 7002);
  auto standalone = load_config(env({}));
  ASSERT_TRUE(standalone);
  EXPECT_EQ(standalone->redis.mode, redis::Mode::standalone);
  EXPECT_TRUE(standalone->redis.nodes.empty());
  for (const char* bad : {"127.0.0.1", "a:0", "a:b", ":7000", "a:7000,b"}) {
    auto n = load_config(env({{"SHOPFLOOR_REDIS_NODES", bad}}));
    ASSERT_FALSE(n) << bad;
    EXPECT_EQ(n.error().message.rfind("SHOPFLOOR_REDIS_NODES", 0), 0u) << n.error().message;
  }
  auto mode = load_config(env({{"SHOPFLOOR_REDIS_MODE", "clustered"}}));
  ASSERT_FALSE(mode);
  EXPECT_EQ(mode.error().message.rfind("SHOPFLOOR_REDIS_MODE", 0), 0u);
}

TEST(Config, MalformedNumbersNameTheSetting) {
  for (const char* name : {"SHOPFLOOR_THREADS", "SHOPFLOOR_DB_POOL_SIZE", "SHOPFLOOR_DB_PORT",
                           "SHOPFLOOR_CACHE_TIMEOUT_MS", "SHOPFLOOR_HTTP_BODY_LIMIT"}) {
    for (const char* value : {"12abc", "", "-1", "99999999999999999999", "1.5"}) {
      auto c = load_config(env({{name, value}}));
      ASSERT_FALSE(c) << name << "=" << value;
      EXPECT_EQ(c.error().message.rfind(name, 0), 0u) << c.error().message;
    }
  }
}

TEST(Config, AnUnknownSettingStopsStartUp) {
  auto typo = load_config(env({{"SHOPFLOOR_DB_PORTT", "5432"}}), {"SHOPFLOOR_DB_PORTT"});
  ASSERT_FALSE(typo);
  EXPECT_NE(typo.error().message.find("unknown setting SHOPFLOOR_DB_PORTT"), std::string::npos)
      << typo.error().message;
  // A _FILE variant exists only for secrets.
  EXPECT_FALSE(load_config(env({}), {"SHOPFLOOR_DB_PORT_FILE"}));
  // Settings, secrets' _FILE variants, other variables and the scripts' own names pass.
  EXPECT_TRUE(load_config(
      env({}), {"SHOPFLOOR_DB_PORT", "SHOPFLOOR_DB_PASSWORD_FILE", "SHOPFLOOR_CONFIG_FILE",
                "SHOPFLOOR_PG_PORT", "SHOPFLOOR_REDIS_TLS_PORT", "SHOPFLOOR_RUN_DIR",
                "SHOPFLOOR_TEST_FILTER", "SHOPFLOOR_BENCH_PORT"}));
  // The tool names are exact: a near miss of one is still unknown.
  EXPECT_FALSE(load_config(env({}), {"SHOPFLOOR_PG_PORTS"}));
}

TEST(Config, AnUnknownSettingInTheFileStopsStartUp) {
  const std::string path = ::testing::TempDir() + "/sf_config_typo";
  std::ofstream(path) << "SHOPFLOOR_MES_PORT=9100\nSHOPFLOOR_SHOP_PROT=9102\n";
  auto c = load_config(env({{"SHOPFLOOR_CONFIG_FILE", path}}));
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find(":2: unknown setting SHOPFLOOR_SHOP_PROT"), std::string::npos)
      << c.error().message;
}

TEST(Config, AnUnreadableSecretFileNamesTheSettingAndThePath) {
  const std::string dir = ::testing::TempDir();
  auto c = load_config(env({{"SHOPFLOOR_REDIS_PASSWORD_FILE", dir}}));  // a directory
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message.rfind("SHOPFLOOR_REDIS_PASSWORD_FILE: cannot read " + dir, 0), 0u)
      << c.error().message;
  const std::string empty = dir + "/sf_empty_secret";
  std::ofstream(empty) << "\n";
  auto blank = load_config(env({{"SHOPFLOOR_ADMIN_TOKEN_FILE", empty}}));
  ASSERT_FALSE(blank);
  EXPECT_NE(blank.error().message.find("SHOPFLOOR_ADMIN_TOKEN_FILE: " + empty + " is empty"),
            std::string::npos)
      << blank.error().message;
}

TEST(Config, FileValuesYieldToTheEnvironment) {
  const std::string path = ::testing::TempDir() + "/sf_config";
  std::ofstream(path) << "# comment\nSHOPFLOOR_MES_PORT=9100\nSHOPFLOOR_SHOP_PORT = 9102\n";
  auto c = load_config(env({{"SHOPFLOOR_CONFIG_FILE", path}, {"SHOPFLOOR_MES_PORT", "9200"}}));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->mes.port, 9200);
  EXPECT_EQ(c->shop.port, 9102);
}

TEST(Config, SettingsTableDocumentsEverySetting) {
  const std::string md = settings_markdown();
  for (const char* name :
       {"SHOPFLOOR_THREADS", "SHOPFLOOR_DB_PASSWORD", "SHOPFLOOR_CACHE_TIMEOUT_MS",
        "SHOPFLOOR_ADMIN_TOKEN", "SHOPFLOOR_REDIS_CA_FILE"})
    EXPECT_NE(md.find(name), std::string::npos) << name;
}

}  // namespace
}  // namespace shopfloor::app
