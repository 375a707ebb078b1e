// End-to-end: `shopfloor admin ...`, the health probes and start-up errors, driving the
// real binary (SHOPFLOOR_BIN) against the real PostgreSQL and Redis of scripts/devenv.sh.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "testing/http_client.hpp"
#include "testing/outages.hpp"
#include "testing/run.hpp"
#include "testing/settings.hpp"

namespace shopfloor::e2e {
namespace {

using namespace std::chrono_literals;
using testing::request;
namespace fs = std::filesystem;

struct Ran {
  int status = -1;
  std::string out;
  std::vector<std::string> lines() const {
    std::vector<std::string> v;
    std::size_t at = 0;
    while (at < out.size()) {
      auto eol = out.find('\n', at);
      if (eol == std::string::npos) eol = out.size();
      v.push_back(out.substr(at, eol - at));
      at = eol + 1;
    }
    return v;
  }
};

std::string bin() {
  const char* b = std::getenv("SHOPFLOOR_BIN");
  return b ? b : "";
}

// Runs `env <env> shopfloor <args>` through the shell; `streams`: "2>&1" (both) or
// "2>/dev/null" (stdout only). Every argument is a fixed word of this file.
Ran run(const std::string& args, const std::string& env = "", const std::string& streams = "2>&1") {
  const std::string cmd = "env " + env + " timeout 60 '" + bin() + "' " + args + " " + streams;
  Ran r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = ::pclose(p);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// A copy of the repository's migrations plus one that was never applied.
std::string sql_dir_with_a_pending_migration() {
  const fs::path dir = fs::temp_directory_path() / ("sf_admin_sql_" + testing::random_id());
  fs::create_directories(dir);
  for (const auto& entry : fs::directory_iterator(testing::env("SHOPFLOOR_SQL_DIR")))
    if (entry.is_regular_file()) fs::copy_file(entry.path(), dir / entry.path().filename());
  std::ofstream(dir / "9999_never_applied.sql") << "SELECT 1;\n";
  return dir.string();
}

class AdminCheck : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(bin().empty()) << "SHOPFLOOR_BIN is not set (run through scripts/test.sh)";
    ASSERT_TRUE(std::getenv("SHOPFLOOR_DB_PORT")) << "server settings missing";
  }
};

TEST_F(AdminCheck, PassesOnTheTestServersWithOneLinePerFinding) {
  auto r = run("admin check", "", "2>/dev/null");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_FALSE(contains(r.out, "FAIL")) << r.out;
  for (const char* finding :
       {"ok    postgresql:", "ok    migrations: all", "TLS verified", "writes keys under",
        "is refused keys outside", "ok    redis: the cache's scripts run as the ACL user",
        "ok    redis: eviction policy volatile-"})
    EXPECT_TRUE(contains(r.out, finding)) << finding << "\n" << r.out;
  for (const auto& line : r.lines()) {
    EXPECT_TRUE(line.starts_with("ok    ") || line.starts_with("warn  ") ||
                line.starts_with("FAIL  "))
        << line;
  }
}

TEST_F(AdminCheck, APendingMigrationFails) {
  const std::string dir = sql_dir_with_a_pending_migration();
  auto r = run("admin check", "SHOPFLOOR_SQL_DIR=" + dir, "2>/dev/null");
  fs::remove_all(dir);
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_TRUE(contains(r.out, "FAIL  migrations: 9999_never_applied.sql is not applied")) << r.out;
}

TEST_F(AdminCheck, AServerCertificateForAnotherNameFails) {
  auto r = run("admin check", "SHOPFLOOR_REDIS_SERVER_NAME=not-this-server.example", "2>/dev/null");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_TRUE(contains(r.out, "FAIL  redis: cannot connect")) << r.out;
  EXPECT_TRUE(contains(r.out, "certificate verify failed")) << r.out;
}

TEST_F(AdminCheck, APrefixTheAclDoesNotGrantFails) {
  auto r = run("admin check", "SHOPFLOOR_CACHE_PREFIX=notours:", "2>/dev/null");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_TRUE(contains(r.out, "FAIL  redis: cannot write its own key notours:")) << r.out;
}

TEST_F(AdminCheck, AnAclUserWithoutTheScriptsCommandsFails) {
  // A user set up for a release before the tagged list pages: no SADD, SMEMBERS, PTTL,
  // PEXPIRE for the scripts to call.
  const std::string user = "sf_old_acl_" + testing::random_id();
  const std::string password = testing::random_id();
  const std::string made = testing::redis_admin(
      "ACL SETUSER " + user + " on '>" + password +
      "' resetkeys '~sf:*' resetchannels -@all +ping +auth +select '+client|setname' +info "
      "+get +mget +set +del +incr +evalsha '+script|load' +scan");
  ASSERT_TRUE(contains(made, "OK")) << made;
  const fs::path secret = fs::temp_directory_path() / ("sf_acl_" + testing::random_id());
  std::ofstream(secret) << password;
  auto r = run("admin check",
               "SHOPFLOOR_REDIS_USER=" + user + " SHOPFLOOR_REDIS_PASSWORD_FILE=" + secret.string(),
               "2>/dev/null");
  fs::remove(secret);
  testing::redis_admin("ACL DELUSER " + user);
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_TRUE(contains(r.out, "FAIL  redis: the cache's scripts fail as the ACL user")) << r.out;
  EXPECT_TRUE(contains(r.out, "ok    redis: the ACL user writes keys under")) << r.out;
}

TEST_F(AdminCheck, AnAllkeysEvictionPolicyFails) {
  const std::string before = testing::redis_admin("CONFIG GET maxmemory-policy");
  ASSERT_TRUE(contains(before, "volatile-lru")) << before;
  ASSERT_TRUE(contains(testing::redis_admin("CONFIG SET maxmemory-policy allkeys-lru"), "OK"));
  auto r = run("admin check", "", "2>/dev/null");
  // Restored before any assertion can end the test.
  const std::string restored = testing::redis_admin("CONFIG SET maxmemory-policy volatile-lru");
  ASSERT_TRUE(contains(restored, "OK")) << restored;
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_TRUE(contains(r.out, "FAIL  redis: eviction policy allkeys-lru")) << r.out;
}

TEST_F(AdminCheck, UsageErrorsExitWithTwo) {
  EXPECT_EQ(run("admin").status, 2);
  EXPECT_EQ(run("admin cache").status, 2);
  EXPECT_EQ(run("admin cache retire").status, 2);
  EXPECT_EQ(run("admin tokens create x").status, 2);
  EXPECT_EQ(run("admin tokens create x superuser").status, 2);
  EXPECT_EQ(run("admin check extra").status, 2);
}

// ---------------------------------------------------------------- start-up errors

class StartUp : public AdminCheck {};

TEST_F(StartUp, APortInUseStopsItWithOneLineNamingTheSetting) {
  // A plain listener (no SO_REUSEPORT) holds the port.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const int port = ntohs(addr.sin_port);
  auto r = run("serve", "SHOPFLOOR_PRICING_PORT=" + std::to_string(port));
  ::close(fd);
  EXPECT_EQ(r.status, 2) << r.out;
  ASSERT_EQ(r.lines().size(), 1u) << r.out;
  EXPECT_TRUE(contains(r.out, "SHOPFLOOR_PRICING_PORT: cannot listen on 127.0.0.1:" +
                                  std::to_string(port) + ": Address already in use"))
      << r.out;
}

TEST_F(StartUp, BadSettingsStopItWithOneLineNamingTheSetting) {
  struct Case {
    const char* env;
    const char* expected;
  } cases[] = {
      {"SHOPFLOOR_DB_PROT=5432", "unknown setting SHOPFLOOR_DB_PROT"},
      {"SHOPFLOOR_DB_POOL_SIZE=8x", "SHOPFLOOR_DB_POOL_SIZE must be"},
      {"SHOPFLOOR_MES_PORT=70000", "SHOPFLOOR_MES_PORT must be a TCP port"},
      {"SHOPFLOOR_DB_PASSWORD_FILE=/nonexistent/secret",
       "SHOPFLOOR_DB_PASSWORD_FILE: cannot read /nonexistent/secret"},
  };
  for (const Case& c : cases) {
    auto r = run("serve", c.env);
    EXPECT_EQ(r.status, 2) << c.env << "\n" << r.out;
    EXPECT_EQ(r.lines().size(), 1u) << c.env << "\n" << r.out;
    EXPECT_TRUE(contains(r.out, c.expected)) << c.env << "\n" << r.out;
  }
}

// ---------------------------------------------------------------- against `shopfloor serve`

class Served : public AdminCheck {
 protected:
  void start(const std::vector<std::string>& extra_env = {}) {
    base_ = 26000 + (::getpid() % 1000) * 3;
    pid_ = ::fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      ::setenv("SHOPFLOOR_MES_PORT", std::to_string(base_).c_str(), 1);
      ::setenv("SHOPFLOOR_PRICING_PORT", std::to_string(base_ + 1).c_str(), 1);
      ::setenv("SHOPFLOOR_SHOP_PORT", std::to_string(base_ + 2).c_str(), 1);
      for (const auto& kv : extra_env) ::putenv(const_cast<char*>(kv.c_str()));
      const std::string b = bin();
      ::execl(b.c_str(), b.c_str(), "serve", nullptr);
      ::_exit(127);
    }
    const bool up = testing::wait_until(
        [&] {
          auto h = request(base_, "GET", "/health");
          return h && h->status == 200 && contains(h->body, R"("db":"up")") &&
                 contains(h->body, R"("cache":"up")");
        },
        15s, 100ms);
    if (!up) FAIL() << "the service did not report db and cache up within 15 s";
  }
  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  // The service's settings for `shopfloor admin` (it finds /metrics on the MES port).
  std::string admin_env() const { return "SHOPFLOOR_MES_PORT=" + std::to_string(base_); }
  std::string x_cache(int port, const std::string& target, const std::string& auth = "") {
    auto a = request(port, "GET", target, "", auth.empty() ? "" : testing::bearer(auth));
    if (!a) return "no answer";
    return a->header("x-cache").value_or(std::to_string(a->status));
  }
  int status_of(int port, const std::string& target, const std::string& token) {
    auto a = request(port, "GET", target, "", testing::bearer(token));
    return a ? a->status : -1;
  }
  int base_ = 0;
  pid_t pid_ = -1;
};

TEST_F(Served, LiveAndReadyOnEveryListener) {
  start();
  if (HasFatalFailure()) return;
  for (int port : {base_, base_ + 1, base_ + 2}) {
    auto live = request(port, "GET", "/health/live");
    ASSERT_TRUE(live);
    EXPECT_EQ(live->status, 200);
    EXPECT_EQ(live->body, R"({"status":"live"})");
    ASSERT_TRUE(testing::wait_until(
        [&] {
          auto ready = request(port, "GET", "/health/ready");
          return ready && ready->status == 200;
        },
        5s, 50ms));
    auto ready = request(port, "GET", "/health/ready");
    ASSERT_TRUE(ready);
    EXPECT_EQ(ready->body, R"({"status":"ready","db":"up","migrations":"current"})");
  }
}

TEST_F(Served, NotReadyWhileAMigrationIsPendingButLive) {
  const std::string dir = sql_dir_with_a_pending_migration();
  start({"SHOPFLOOR_SQL_DIR=" + dir});
  fs::remove_all(dir);  // read at start-up
  if (HasFatalFailure()) return;
  std::this_thread::sleep_for(1500ms);  // a few probes
  auto ready = request(base_ + 1, "GET", "/health/ready");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503);
  EXPECT_EQ(ready->body, R"({"status":"not_ready","db":"up","migrations":"pending"})");
  auto live = request(base_ + 1, "GET", "/health/live");
  ASSERT_TRUE(live);
  EXPECT_EQ(live->status, 200);
  auto health = request(base_ + 1, "GET", "/health");  // unchanged (contract)
  ASSERT_TRUE(health);
  EXPECT_EQ(health->body, R"({"status":"ok","db":"up","cache":"up"})");
}

TEST_F(Served, CacheStatsShowCountersAndKeysAndRetireMakesTheNextLookupMiss) {
  start();
  if (HasFatalFailure()) return;
  const int shop = base_ + 2;
  const std::string target = "/catalog/products?category=brackets";
  x_cache(shop, target);
  ASSERT_TRUE(testing::wait_until([&] { return x_cache(shop, target) == "HIT"; }, 5s, 20ms));

  auto stats = run("admin cache stats", admin_env(), "2>&1");
  EXPECT_EQ(stats.status, 0) << stats.out;
  const auto split = stats.out.find("keys under");
  ASSERT_NE(split, std::string::npos) << stats.out;
  EXPECT_TRUE(contains(stats.out, "SCAN as shopfloor")) << stats.out;
  // "catalog <hits> <misses> ..." among the counters, "catalog <generation> <live> ..."
  // among the keys.
  auto row = [](const std::string& part, long long& a, long long& b) {
    const auto at = part.find("\ncatalog ");
    return at != std::string::npos &&
           std::sscanf(part.c_str() + at + 1, "catalog %lld %lld", &a, &b) == 2;
  };
  long long hits = 0, misses = 0, generation = 0, live = 0;
  ASSERT_TRUE(row(stats.out.substr(0, split), hits, misses)) << stats.out;
  EXPECT_GE(hits, 1);
  EXPECT_GE(misses, 1);
  ASSERT_TRUE(row(stats.out.substr(split), generation, live)) << stats.out;
  EXPECT_GE(live, 1) << stats.out;

  auto retired = run("admin cache retire catalog", admin_env());
  EXPECT_EQ(retired.status, 0) << retired.out;
  EXPECT_EQ(x_cache(shop, target), "MISS");
  ASSERT_TRUE(testing::wait_until([&] { return x_cache(shop, target) == "HIT"; }, 5s, 20ms));

  auto all = run("admin cache retire --all", admin_env());
  EXPECT_EQ(all.status, 0) << all.out;
  EXPECT_TRUE(contains(all.out, "retired catalog")) << all.out;
  EXPECT_EQ(x_cache(shop, target), "MISS");
}

TEST_F(Served, CacheStatsSayWhenTheServiceIsNotRunning) {
  // No service on this port: the counters cannot be had; the keys still are.
  auto stats = run("admin cache stats", "SHOPFLOOR_MES_PORT=1", "2>&1");
  EXPECT_EQ(stats.status, 1) << stats.out;
  EXPECT_TRUE(contains(stats.out, "counters: no /metrics from the service at 127.0.0.1:1"))
      << stats.out;
  EXPECT_TRUE(contains(stats.out, "keys under")) << stats.out;
}

TEST_F(Served, ARevokedTokenStopsWorkingBeforeTheCommandReturns) {
  start();
  if (HasFatalFailure()) return;
  const std::string name = "admin-e2e-" + testing::random_id(8);
  auto created = run("admin tokens create " + name + " operator", "", "2>/dev/null");
  ASSERT_EQ(created.status, 0) << created.out;
  const std::string token = created.out.substr(0, created.out.find('\n'));
  ASSERT_TRUE(token.starts_with("sft_")) << created.out;
  EXPECT_EQ(status_of(base_, "/orders?page_size=1", token), 200);
  EXPECT_EQ(status_of(base_, "/orders?page_size=1", token), 200);  // the lookup is cached now

  auto listed = run("admin tokens list", "", "2>/dev/null");
  EXPECT_EQ(listed.status, 0);
  EXPECT_TRUE(contains(listed.out, name + " ")) << listed.out;

  auto revoked = run("admin tokens revoke " + name);
  EXPECT_EQ(revoked.status, 0) << revoked.out;
  EXPECT_EQ(status_of(base_, "/orders?page_size=1", token), 401);

  auto again = run("admin tokens revoke " + name);
  EXPECT_EQ(again.status, 1) << again.out;
  EXPECT_TRUE(contains(again.out, "no live token with this name")) << again.out;
  auto after = run("admin tokens list", "", "2>/dev/null");
  for (const auto& line : after.lines())
    if (line.starts_with(name + " ")) {
      EXPECT_FALSE(line.ends_with(" -")) << "revoked_at shown: " << line;
    }
}

}  // namespace
}  // namespace shopfloor::e2e
