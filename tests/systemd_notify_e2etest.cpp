// End-to-end: `shopfloor serve` speaks systemd's readiness protocol (Type=notify in
// deploy/systemd/shopfloor.service). The test binds the notification socket itself
// (NOTIFY_SOCKET, abstract namespace) and runs the real binary (SHOPFLOOR_BIN) against
// the real PostgreSQL and Redis:
//   - READY=1 arrives, and at that moment every listener answers and /health says the
//     database is up;
//   - with the database unreachable, the listeners answer but READY=1 never comes;
//   - SIGTERM sends STOPPING=1 with the stop timeout the drain needs, then exit 0.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>

#include "testing/http_client.hpp"
#include "testing/notify_receiver.hpp"
#include "testing/run.hpp"

namespace shopfloor::e2e {
namespace {

using namespace std::chrono_literals;
using testing::NotifyReceiver;
using testing::request;

class NotifyingService : public ::testing::Test {
 protected:
  // Starts `shopfloor serve` with NOTIFY_SOCKET pointing at `manager_`; `db_port`
  // overrides the database port (one nobody listens on: the database is unreachable).
  void start(const char* db_port = nullptr) {
    const char* bin = std::getenv("SHOPFLOOR_BIN");
    ASSERT_TRUE(bin) << "SHOPFLOOR_BIN is not set (run through scripts/test.sh)";
    ASSERT_TRUE(std::getenv("SHOPFLOOR_DB_PORT")) << "server settings missing";
    ASSERT_TRUE(manager_.bound());
    // Below the ephemeral range, apart from service_e2etest's 20000-26000.
    base_ = 26000 + (::getpid() % 1000) * 3;
    pid_ = ::fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      ::setenv("NOTIFY_SOCKET", socket_.c_str(), 1);
      ::setenv("SHOPFLOOR_MES_PORT", std::to_string(base_).c_str(), 1);
      ::setenv("SHOPFLOOR_PRICING_PORT", std::to_string(base_ + 1).c_str(), 1);
      ::setenv("SHOPFLOOR_SHOP_PORT", std::to_string(base_ + 2).c_str(), 1);
      ::setenv("SHOPFLOOR_SHUTDOWN_DRAIN_MS", "3000", 1);
      ::setenv("SHOPFLOOR_THREADS", "2", 1);
      if (db_port) ::setenv("SHOPFLOOR_DB_PORT", db_port, 1);
      ::execl(bin, bin, "serve", nullptr);
      ::_exit(127);
    }
  }
  void TearDown() override {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  // The next message that contains `what`, or nothing within `limit`.
  std::optional<std::string> message_with(const std::string& what,
                                          std::chrono::milliseconds limit) {
    const auto until = testing::Clock::now() + limit;
    while (testing::Clock::now() < until) {
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(until - testing::Clock::now());
      auto m = manager_.receive(std::max(left, 1ms));
      if (m && m->find(what) != std::string::npos) return m;
    }
    return std::nullopt;
  }
  bool answers(int port, const std::string& path) {
    auto r = request(port, "GET", path);
    return r && r->status == 200;
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

  const std::string socket_ = "@shopfloor-notify-e2etest-" + std::to_string(::getpid());
  NotifyReceiver manager_{socket_};
  int base_ = 0;
  pid_t pid_ = -1;
  bool exited_ = false;
};

TEST_F(NotifyingService, ReadyOnlyOnceListeningWithTheDatabaseUpAndStoppingOnDrain) {
  start();
  auto ready = message_with("READY=1", 20s);
  ASSERT_TRUE(ready) << "no READY=1 within 20 s";
  // Nothing is awaited here: READY=1 means it is already so.
  auto health = request(base_, "GET", "/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_NE(health->body.find(R"("db":"up")"), std::string::npos) << health->body;
  EXPECT_TRUE(answers(base_ + 1, "/health"));
  EXPECT_TRUE(answers(base_ + 2, "/health"));

  ::kill(pid_, SIGTERM);
  auto stopping = message_with("STOPPING=1", 5s);
  ASSERT_TRUE(stopping) << "no STOPPING=1 within 5 s of SIGTERM";
  // The drain (3 s here) plus 5 s to close connections, in microseconds.
  EXPECT_NE(stopping->find("EXTEND_TIMEOUT_USEC=8000000"), std::string::npos) << *stopping;
  int status = 0;
  ASSERT_TRUE(
      testing::wait_until([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, 15s, 20ms));
  exited_ = true;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST_F(NotifyingService, NotReadyWhileTheDatabaseIsUnreachable) {
  start("1");  // nothing listens on port 1
  ASSERT_TRUE(testing::wait_until([&] { return answers(base_, "/health"); }, 20s, 100ms))
      << "the MES listener did not answer within 20 s";
  // Several probe rounds (every 500 ms) fail meanwhile: none may announce readiness.
  EXPECT_EQ(message_with("READY=1", 3s), std::nullopt);
  EXPECT_EQ(stop_and_wait(15s), 0);
}

}  // namespace
}  // namespace shopfloor::e2e
