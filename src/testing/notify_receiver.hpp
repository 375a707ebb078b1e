// NotifyReceiver: stands in for systemd's notification socket in tests — a bound
// AF_UNIX datagram socket, at a path or in the abstract namespace ('@name'), whose
// datagrams (sd_notify messages such as "READY=1\nSTATUS=...") a test reads with a
// bounded wait. Header-only: the unit test of app/systemd_notify and the end-to-end
// test of `shopfloor serve` both use it.
//
// Thread-safety: one thread at a time.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstring>
#include <optional>
#include <string>

namespace shopfloor::testing {

class NotifyReceiver {
 public:
  // `address`: '@name' (abstract) or a path (at most 107 bytes).
  explicit NotifyReceiver(const std::string& address)
      : fd_(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (address.empty() || address.size() >= sizeof(sa.sun_path)) return;
    std::memcpy(sa.sun_path, address.data(), address.size());
    auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address.size());
    if (address.front() == '@')
      sa.sun_path[0] = '\0';
    else
      ++length;
    bound_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&sa), length) == 0;
  }
  ~NotifyReceiver() {
    if (fd_ >= 0) ::close(fd_);
  }
  NotifyReceiver(const NotifyReceiver&) = delete;
  NotifyReceiver& operator=(const NotifyReceiver&) = delete;

  bool bound() const { return bound_; }
  // The next datagram, or nothing when none arrives within `wait`.
  std::optional<std::string> receive(std::chrono::milliseconds wait) {
    pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
    if (::poll(&p, 1, static_cast<int>(wait.count())) != 1) return std::nullopt;
    char buffer[4096];
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n < 0) return std::nullopt;
    return std::string(buffer, static_cast<std::size_t>(n));
  }

 private:
  int fd_;
  bool bound_ = false;
};

}  // namespace shopfloor::testing
