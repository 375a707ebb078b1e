#include "app/systemd_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace shopfloor::app {

std::optional<std::string> notify_socket(std::string_view address, std::string_view state) {
  if (address.empty()) return "NOTIFY_SOCKET is empty";
  const bool abstract = address.front() == '@';
  if (!abstract && address.front() != '/')
    return "NOTIFY_SOCKET \"" + std::string(address) +
           "\" is neither @abstract nor an absolute path";
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  // An abstract name has no terminating NUL: its length is the address length. A path
  // must leave room for its NUL.
  if (address.size() > sizeof(sa.sun_path) - (abstract ? 0 : 1))
    return "NOTIFY_SOCKET is longer than a socket address allows";
  std::memcpy(sa.sun_path, address.data(), address.size());
  if (abstract) sa.sun_path[0] = '\0';
  const auto length =
      static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address.size() + (abstract ? 0 : 1));

  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::string("socket: ") + std::strerror(errno);
  const ssize_t sent = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL | MSG_DONTWAIT,
                                reinterpret_cast<const sockaddr*>(&sa), length);
  const int error = errno;
  ::close(fd);
  if (sent < 0) return "send to " + std::string(address) + ": " + std::strerror(error);
  if (static_cast<std::size_t>(sent) != state.size())
    return "short send to " + std::string(address);
  return std::nullopt;
}

std::optional<std::string> notify_systemd(std::string_view state) {
  const char* address = std::getenv("NOTIFY_SOCKET");
  if (!address || !*address) return std::nullopt;
  return notify_socket(address, state);
}

}  // namespace shopfloor::app
