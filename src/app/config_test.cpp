#include "app/config.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>

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
  EXPECT_EQ(c->policies.orders_list.ttl, std::chrono::milliseconds(30'000));
  EXPECT_EQ(c->policies.dashboard.ttl, std::chrono::milliseconds(10'000));
  EXPECT_EQ(c->policies.calculation.ttl, std::chrono::milliseconds(600'000));
  EXPECT_GE(c->threads, 1u);
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
  EXPECT_EQ(c->policies.orders_list.ttl, std::chrono::milliseconds(1234));
  EXPECT_EQ(c->shop.idle_timeout, std::chrono::milliseconds(777)) << "one timeout for all listeners";
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
  for (const char* name : {"SHOPFLOOR_THREADS", "SHOPFLOOR_DB_PASSWORD", "SHOPFLOOR_CACHE_TIMEOUT_MS",
                           "SHOPFLOOR_ADMIN_TOKEN", "SHOPFLOOR_REDIS_CA_FILE"})
    EXPECT_NE(md.find(name), std::string::npos) << name;
}

}  // namespace
}  // namespace shopfloor::app
