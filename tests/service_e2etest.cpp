// End-to-end: the real `shopfloor serve` binary against the real PostgreSQL and Redis
// (scripts/test.sh provides SHOPFLOOR_BIN and the server settings).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <thread>

#include "testing/http_client.hpp"
#include "testing/outages.hpp"
#include "testing/run.hpp"
#include "testing/settings.hpp"
#include "testing/sql_session.hpp"

namespace shopfloor::e2e {
namespace {

using namespace std::chrono_literals;
using testing::connect_loopback;
using testing::request;

// Runs SQL as another system would: a session of its own on the test database.
void sql(const std::string& statement, const std::vector<std::string>& params = {}) {
  testing::SqlSession("sf_e2etest_other_system").exec(statement, params);
}

using testing::bearer;

std::string json_field(const std::string& body, const std::string& name) {
  auto at = body.find("\"" + name + "\":\"");
  if (at == std::string::npos) return {};
  at += name.size() + 4;
  return body.substr(at, body.find('"', at) - at);
}

class Service : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* bin = std::getenv("SHOPFLOOR_BIN");
    ASSERT_TRUE(bin) << "SHOPFLOOR_BIN is not set (run through scripts/test.sh)";
    ASSERT_TRUE(std::getenv("SHOPFLOOR_DB_PORT")) << "server settings missing";
    base_ = 20000 + (::getpid() % 2000) * 3;
    pid_ = ::fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      ::setenv("SHOPFLOOR_MES_PORT", std::to_string(base_).c_str(), 1);
      ::setenv("SHOPFLOOR_PRICING_PORT", std::to_string(base_ + 1).c_str(), 1);
      ::setenv("SHOPFLOOR_SHOP_PORT", std::to_string(base_ + 2).c_str(), 1);
      ::setenv("SHOPFLOOR_SHUTDOWN_DRAIN_MS", "3000", 1);
      ::execl(bin, bin, "serve", nullptr);
      ::_exit(127);
    }
    // Ready when /health reports both dependencies up (bounded).
    const bool up = testing::wait_until(
        [&] {
          auto h = request(base_, "GET", "/health");
          return h && h->status == 200 && h->body.find(R"("db":"up")") != std::string::npos &&
                 h->body.find(R"("cache":"up")") != std::string::npos;
        },
        15s, 100ms);
    if (!up) FAIL() << "the service did not report db and cache up within 15 s";
  }
  void TearDown() override {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  int stop_and_wait(std::chrono::milliseconds limit) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    if (!testing::wait_until([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, limit,
                             20ms))
      return -1;
    exited_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  // Whether GET /health's body contains `part` (e.g. R"("cache":"down")").
  bool health_has(const char* part) const {
    auto h = request(base_, "GET", "/health");
    return h && h->body.find(part) != std::string::npos;
  }
  // Whether the service has stopped accepting (its listeners close first on SIGTERM).
  bool refuses_connections() const {
    const int fd = connect_loopback(base_);
    if (fd >= 0) ::close(fd);
    return fd < 0;
  }
  int base_ = 0;
  pid_t pid_ = -1;
  bool exited_ = false;
};

TEST_F(Service, EveryServiceAnswersHealthWithBothDependenciesUp) {
  for (int port : {base_, base_ + 1, base_ + 2}) {
    auto h = request(port, "GET", "/health");
    ASSERT_TRUE(h) << port;
    EXPECT_EQ(h->status, 200);
    EXPECT_EQ(h->body, R"({"status":"ok","db":"up","cache":"up"})");
    EXPECT_EQ(h->header("content-type").value_or(""), "application/json");
    EXPECT_TRUE(h->header("x-request-id"));
  }
}

// /health says what is true (issue 10): a hung Redis (SIGSTOP: its connections stay open,
// nothing answers) and a stopped PostgreSQL are reported down within about a second (one
// probe interval plus one probe deadline), and up again once they answer.
TEST_F(Service, HealthReportsAHungRedisAndAStoppedDatabaseWithinASecond) {
  {
    struct Thaw {  // however the test ends, Redis runs again
      ~Thaw() { testing::devenv("redis-thaw"); }
    } thaw;
    ASSERT_TRUE(testing::devenv("redis-freeze"));
    const auto frozen = std::chrono::steady_clock::now();
    EXPECT_TRUE(testing::wait_until([&] { return health_has(R"("cache":"down")"); }, 2s, 50ms))
        << "a hung Redis was still reported up after 2 s";
    std::cout << "[ hung Redis reported after "
              << std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - frozen)
                     .count()
              << " ms ]\n";
  }
  EXPECT_TRUE(testing::wait_until([&] { return health_has(R"("cache":"up")"); }, 5s, 50ms));
  {
    testing::PgOutage pg;
    ASSERT_TRUE(pg.stopped());
    EXPECT_TRUE(testing::wait_until([&] { return health_has(R"("db":"down")"); }, 2s, 50ms))
        << "a stopped PostgreSQL was still reported up after 2 s";
    EXPECT_FALSE(health_has(R"("db":"up")"));
  }
  EXPECT_TRUE(testing::wait_until([&] { return health_has(R"("db":"up")"); }, 10s, 100ms));
}

// An eviction policy that may evict keys without a TTL (allkeys-*) could evict a
// namespace's generation (issue 10): the service refuses the cache while it is so.
TEST_F(Service, AnAllkeysEvictionPolicyIsRefusedWhileItLasts) {
  const auto token = bearer(testing::secret_from_env("SHOPFLOOR_ADMIN_TOKEN_FILE"));
  auto x_cache = [&] {
    auto a = request(base_, "GET", "/orders?sort=number&page_size=3", "", token);
    return a ? a->header("x-cache").value_or("") : std::string("no answer");
  };
  x_cache();
  ASSERT_EQ(x_cache(), "HIT");
  const std::string before = testing::redis_admin("CONFIG GET maxmemory-policy");
  ASSERT_NE(before.find("volatile-lru"), std::string::npos) << before;
  struct Restore {  // however the test ends
    ~Restore() { testing::redis_admin("CONFIG SET maxmemory-policy volatile-lru"); }
  } restore;
  ASSERT_NE(testing::redis_admin("CONFIG SET maxmemory-policy allkeys-lru").find("OK"),
            std::string::npos);
  // Checked every 10 probes (5 s).
  EXPECT_TRUE(testing::wait_until([&] { return health_has(R"("cache":"down")"); }, 8s, 100ms))
      << "an allkeys-lru Redis was still reported up";
  EXPECT_EQ(x_cache(), "BYPASS");
  EXPECT_EQ(x_cache(), "BYPASS") << "a lookup read the cache under allkeys-lru";
  ASSERT_NE(testing::redis_admin("CONFIG SET maxmemory-policy volatile-lru").find("OK"),
            std::string::npos);
  EXPECT_TRUE(testing::wait_until([&] { return health_has(R"("cache":"up")"); }, 8s, 100ms));
  x_cache();
  EXPECT_EQ(x_cache(), "HIT") << "the cache was not used again once the policy was safe";
}

TEST_F(Service, MetricsArePrometheusTextWithRequestCounters) {
  ASSERT_TRUE(request(base_, "GET", "/health"));
  auto m = request(base_, "GET", "/metrics");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status, 200);
  EXPECT_NE(m->header("content-type").value_or("").find("text/plain; version=0.0.4"),
            std::string::npos);
  EXPECT_NE(m->body.find("# TYPE shopfloor_http_requests_total counter"), std::string::npos);
  EXPECT_NE(m->body.find("shopfloor_http_request_duration_seconds_bucket"), std::string::npos);
}

TEST_F(Service, UnknownPathsAndMethodsGetTheErrorEnvelopeAndRequestIdsAreEchoed) {
  auto nf = request(base_, "GET", "/no/such/thing", "", "X-Request-Id: abc-123\r\n");
  ASSERT_TRUE(nf);
  EXPECT_EQ(nf->status, 404);
  EXPECT_NE(nf->body.find(R"("error":{"code":")"), std::string::npos) << nf->body;
  EXPECT_EQ(nf->header("x-request-id").value_or(""), "abc-123");
  auto na = request(base_, "POST", "/health", "{}");
  ASSERT_TRUE(na);
  EXPECT_EQ(na->status, 405);
}

TEST_F(Service, MalformedAndOversizedRequestsAreRefusedAndOthersStillServed) {
  auto garbage = testing::send_raw(base_, "NOT A REQUEST\r\n\r\n");
  ASSERT_TRUE(garbage);
  EXPECT_EQ(garbage->status, 400);
  // Announcing a 2 MiB body is enough: the answer must come before the body is sent.
  auto oversized =
      testing::send_raw(base_,
                        "POST /health HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        "Content-Length: 2097152\r\n\r\n");
  ASSERT_TRUE(oversized);
  EXPECT_EQ(oversized->status, 413);
  auto h = request(base_, "GET", "/health");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
}

TEST_F(Service, SigtermStopsTheServiceGracefullyEvenWithAnIdleClientConnected) {
  int idle = connect_loopback(base_);  // a client that sends nothing
  ASSERT_GE(idle, 0);
  EXPECT_EQ(stop_and_wait(5000ms), 0) << "exit code after SIGTERM";
  ::close(idle);
  EXPECT_FALSE(request(base_, "GET", "/health")) << "still accepting after shutdown";
}

TEST_F(Service, RepeatedSigtermsDuringTheDrainAndTeardownStillExitCleanly) {
  // An operator pressing Ctrl-C twice, or a supervisor repeating SIGTERM: every signal until
  // the process is gone must leave its clean exit (0) as it is, not turn it into a kill (143).
  int status = 0;
  int sent = 0;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (::waitpid(pid_, &status, WNOHANG) != pid_) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "not stopped 5 s after SIGTERM";
    ::kill(pid_, SIGTERM);
    ++sent;
    std::this_thread::sleep_for(1ms);
  }
  exited_ = true;
  EXPECT_GT(sent, 1) << "only one signal reached the process: the test proved nothing";
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status) << " after " << sent
                                 << " SIGTERMs";
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST_F(Service, SigtermDuringARequestInFlightLetsItFinish) {
  // A client in the middle of sending its request when SIGTERM arrives.
  int fd = connect_loopback(base_);
  ASSERT_GE(fd, 0);
  const std::string head =
      "POST /tokens HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: 2\r\nConnection: close\r\n\r\n";
  ASSERT_EQ(::send(fd, head.data(), head.size(), MSG_NOSIGNAL), static_cast<ssize_t>(head.size()));
  // (No event tells that the server has read the head; a pause lets it.)
  std::this_thread::sleep_for(100ms);
  ::kill(pid_, SIGTERM);
  // The listeners close first: once connections are refused, the drain has begun.
  ASSERT_TRUE(testing::wait_until([&] { return refuses_connections(); }, 5s))
      << "still accepting 5 s after SIGTERM";
  ASSERT_EQ(::send(fd, "{}", 2, MSG_NOSIGNAL), 2);
  std::string answer;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
    answer.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  EXPECT_EQ(answer.substr(0, 12), "HTTP/1.1 401")
      << "the in-flight request was not answered: " << answer;
  EXPECT_EQ(stop_and_wait(5000ms), 0);
}

}  // namespace
}  // namespace shopfloor::e2e

namespace shopfloor::e2e {
namespace {

class Tokens : public Service {
 protected:
  std::string admin_ = testing::secret_from_env("SHOPFLOOR_ADMIN_TOKEN_FILE");
  std::string name_ = "e2e-" + testing::random_id();
};

TEST_F(Tokens, AdminIssuesAPartnerTokenThatAuthenticatesUntilRevoked) {
  ASSERT_FALSE(admin_.empty()) << "SHOPFLOOR_ADMIN_TOKEN_FILE not set";
  auto created = request(base_, "POST", "/tokens",
                         R"({"name":")" + name_ + R"(","role":"partner"})", bearer(admin_));
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;
  const std::string secret = json_field(created->body, "token");
  ASSERT_FALSE(secret.empty());
  EXPECT_EQ(json_field(created->body, "role"), "partner");
  // Authenticated as a partner: the admin-only list is forbidden, not unauthorized.
  EXPECT_EQ(request(base_, "GET", "/tokens", "", bearer(secret))->status, 403);
  EXPECT_EQ(request(base_, "GET", "/tokens", "", bearer(secret))->status, 403) << "cached lookup";
  // The same name again: conflict.
  EXPECT_EQ(request(base_, "POST", "/tokens", R"({"name":")" + name_ + R"(","role":"partner"})",
                    bearer(admin_))
                ->status,
            409);
  auto revoked = request(base_, "DELETE", "/tokens/" + name_, "", bearer(admin_));
  ASSERT_TRUE(revoked);
  EXPECT_EQ(revoked->status, 204);
  // Revocation takes effect at once, although the lookup was cached.
  EXPECT_EQ(request(base_, "GET", "/tokens", "", bearer(secret))->status, 401);
  EXPECT_EQ(request(base_, "DELETE", "/tokens/" + name_, "", bearer(admin_))->status, 404);
}

TEST_F(Tokens, RevocationDirectlyInTheDatabaseIsSeenWithinOneSecond) {
  auto created = request(base_, "POST", "/tokens",
                         R"({"name":")" + name_ + R"(","role":"operator"})", bearer(admin_));
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201);
  const std::string secret = json_field(created->body, "token");
  ASSERT_EQ(request(base_, "GET", "/tokens", "", bearer(secret))->status, 403);  // cached as valid
  sql("UPDATE api_tokens SET revoked_at = now() WHERE name = $1", {name_});
  int status = 0;
  testing::wait_until(
      [&] {
        status = request(base_, "GET", "/tokens", "", bearer(secret))->status;
        return status == 401;
      },
      1s, 20ms);
  EXPECT_EQ(status, 401) << "a token revoked in the database still worked after 1 s";
}

TEST_F(Tokens, BadCredentialsAndBadInputGetTheirStatusAndChangeNothing) {
  EXPECT_EQ(request(base_, "GET", "/tokens")->status, 401);
  EXPECT_EQ(request(base_, "GET", "/tokens", "", bearer("sft_not-a-real-token"))->status, 401);
  EXPECT_EQ(request(base_, "GET", "/tokens", "", "Authorization: Basic YTpi\r\n")->status, 401);
  for (const std::string& body :
       {std::string("{"), std::string("[]"), std::string(R"({"name":"x"})"),
        std::string(R"({"name":"Bad Name","role":"partner"})"),
        std::string(R"({"name":")") + name_ + R"(","role":"boss"})",
        std::string(R"({"name":")") + name_ + R"(","role":"partner","extra":1})",
        std::string(R"({"name":7,"role":"partner"})")}) {
    auto r = request(base_, "POST", "/tokens", body, bearer(admin_));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << body;
    EXPECT_NE(r->body.find(R"({"error":{"code":")"), std::string::npos) << r->body;
  }
  auto wrong_type = testing::send_raw(
      base_, "POST /tokens HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + bearer(admin_) +
                 "Content-Type: text/plain\r\nContent-Length: 2\r\n\r\n{}");
  EXPECT_EQ(wrong_type->status, 415);
  auto list = request(base_, "GET", "/tokens", "", bearer(admin_));
  ASSERT_EQ(list->status, 200);
  EXPECT_EQ(list->body.find(name_), std::string::npos) << "a refused request created a token";
}

}  // namespace
}  // namespace shopfloor::e2e
