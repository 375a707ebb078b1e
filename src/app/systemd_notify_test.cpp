// systemd_notify against real AF_UNIX datagram sockets bound by the test: a path in a
// temporary folder and a name in the abstract namespace, as systemd uses both.
#include "app/systemd_notify.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "testing/notify_receiver.hpp"

namespace shopfloor::app {
namespace {

using testing::NotifyReceiver;
using namespace std::chrono_literals;

// The next datagram, or "(none)" when nothing arrives within `wait`.
std::string next(NotifyReceiver& manager, std::chrono::milliseconds wait = 2000ms) {
  return manager.receive(wait).value_or("(none)");
}

std::string unique_name(const char* what) {
  return std::string("shopfloor-notify-test-") + what + "-" + std::to_string(::getpid());
}

TEST(SystemdNotify, SendsToASocketPath) {
  const auto dir = std::filesystem::temp_directory_path() / unique_name("dir");
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "notify").string();
  NotifyReceiver manager(path);
  ASSERT_TRUE(manager.bound());
  EXPECT_EQ(notify_socket(path, "READY=1\nSTATUS=serving"), std::nullopt);
  EXPECT_EQ(next(manager), "READY=1\nSTATUS=serving");
  std::filesystem::remove_all(dir);
}

TEST(SystemdNotify, SendsToAnAbstractName) {
  const std::string name = "@" + unique_name("abstract");
  NotifyReceiver manager(name);
  ASSERT_TRUE(manager.bound());
  EXPECT_EQ(notify_socket(name, "STOPPING=1"), std::nullopt);
  EXPECT_EQ(next(manager), "STOPPING=1");
  // Only the first '@' stands for the NUL byte: "@@name" is the abstract name "@name",
  // which nobody bound.
  EXPECT_NE(notify_socket("@" + name, "READY=1"), std::nullopt);
  EXPECT_EQ(next(manager, 200ms), "(none)");
}

TEST(SystemdNotify, FollowsNotifySocketAndIsSilentWithoutIt) {
  const std::string name = "@" + unique_name("env");
  NotifyReceiver manager(name);
  ASSERT_TRUE(manager.bound());
  ::setenv("NOTIFY_SOCKET", name.c_str(), 1);
  EXPECT_EQ(notify_systemd("READY=1"), std::nullopt);
  EXPECT_EQ(next(manager), "READY=1");
  ::unsetenv("NOTIFY_SOCKET");
  EXPECT_EQ(notify_systemd("READY=1"), std::nullopt);  // not run by systemd: no-op
  EXPECT_EQ(next(manager, 200ms), "(none)");
}

TEST(SystemdNotify, ReportsBadAddressesInsteadOfSending) {
  EXPECT_NE(notify_socket("relative/path", "READY=1"), std::nullopt);
  EXPECT_NE(notify_socket("vsock:2:1234", "READY=1"), std::nullopt);
  EXPECT_NE(notify_socket("/" + std::string(200, 'x'), "READY=1"), std::nullopt);
  // Nobody bound there: an error, not a hang.
  EXPECT_NE(notify_socket("@" + unique_name("nobody"), "READY=1"), std::nullopt);
  EXPECT_NE(notify_socket("/nonexistent/" + unique_name("socket"), "READY=1"), std::nullopt);
}

}  // namespace
}  // namespace shopfloor::app
