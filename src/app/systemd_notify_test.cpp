// systemd_notify against real AF_UNIX datagram sockets bound by the test: a path in a
// temporary folder and a name in the abstract namespace, as systemd uses both.
#include "app/systemd_notify.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

namespace shopfloor::app {
namespace {

// A bound datagram socket standing in for the service manager's.
class Receiver {
 public:
  // `address`: '@name' (abstract) or a path.
  explicit Receiver(const std::string& address) : fd_(::socket(AF_UNIX, SOCK_DGRAM, 0)) {
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::memcpy(sa.sun_path, address.data(), address.size());
    socklen_t length = offsetof(sockaddr_un, sun_path) + address.size();
    if (address.front() == '@')
      sa.sun_path[0] = '\0';
    else
      ++length;
    bound_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&sa), length) == 0;
  }
  ~Receiver() { ::close(fd_); }
  bool bound() const { return bound_; }
  // The next datagram, or "(none)" when nothing arrives within `wait_ms`.
  std::string receive(int wait_ms = 2000) {
    pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
    if (::poll(&p, 1, wait_ms) != 1) return "(none)";
    char buffer[4096];
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    return n < 0 ? "(error)" : std::string(buffer, static_cast<std::size_t>(n));
  }

 private:
  int fd_;
  bool bound_ = false;
};

std::string unique_name(const char* what) {
  return std::string("shopfloor-notify-test-") + what + "-" + std::to_string(::getpid());
}

TEST(SystemdNotify, SendsToASocketPath) {
  const auto dir = std::filesystem::temp_directory_path() / unique_name("dir");
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "notify").string();
  Receiver manager(path);
  ASSERT_TRUE(manager.bound());
  EXPECT_EQ(notify_socket(path, "READY=1\nSTATUS=serving"), std::nullopt);
  EXPECT_EQ(manager.receive(), "READY=1\nSTATUS=serving");
  std::filesystem::remove_all(dir);
}

TEST(SystemdNotify, SendsToAnAbstractName) {
  const std::string name = "@" + unique_name("abstract");
  Receiver manager(name);
  ASSERT_TRUE(manager.bound());
  EXPECT_EQ(notify_socket(name, "STOPPING=1"), std::nullopt);
  EXPECT_EQ(manager.receive(), "STOPPING=1");
  // Only the first '@' stands for the NUL byte: "@@name" is the abstract name "@name",
  // which nobody bound.
  EXPECT_NE(notify_socket("@" + name, "READY=1"), std::nullopt);
  EXPECT_EQ(manager.receive(200), "(none)");
}

TEST(SystemdNotify, FollowsNotifySocketAndIsSilentWithoutIt) {
  const std::string name = "@" + unique_name("env");
  Receiver manager(name);
  ASSERT_TRUE(manager.bound());
  ::setenv("NOTIFY_SOCKET", name.c_str(), 1);
  EXPECT_EQ(notify_systemd("READY=1"), std::nullopt);
  EXPECT_EQ(manager.receive(), "READY=1");
  ::unsetenv("NOTIFY_SOCKET");
  EXPECT_EQ(notify_systemd("READY=1"), std::nullopt);  // not run by systemd: no-op
  EXPECT_EQ(manager.receive(200), "(none)");
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
