// A deliberately tiny blocking HTTP/1.1 client over POSIX sockets for end-to-end tests:
// one request per connection (Connection: close), so tests stay independent of the
// server code they check. Every read waits at most 5 s (SO_RCVTIMEO).
//
// (The raw exchange is called send_raw, not exchange: an unqualified exchange(port, raw)
// with a std::string argument also finds std::exchange by argument-dependent lookup,
// which wins overload resolution and does not compile.)
//
// Thread-safety: every function may be called from any thread.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

namespace shopfloor::testing {

struct HttpAnswer {
  int status = 0;
  std::string head;  // status line and headers
  std::string body;
  std::optional<std::string> header(std::string name) const {
    std::transform(name.begin(), name.end(), name.begin(), ::tolower);
    std::string lower = head;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    auto at = lower.find("\r\n" + name + ":");
    if (at == std::string::npos) return std::nullopt;
    auto start = at + 2 + name.size() + 1;
    auto end = head.find("\r\n", start);
    std::string v = head.substr(start, end - start);
    v.erase(0, v.find_first_not_of(' '));
    return v;
  }
};

// A connected socket to 127.0.0.1:port, or -1.
inline int connect_loopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Sends raw bytes, reads until the server closes. nullopt if it cannot connect.
inline std::optional<HttpAnswer> send_raw(int port, const std::string& raw) {
  int fd = connect_loopback(port);
  if (fd < 0) return std::nullopt;
  for (std::size_t sent = 0; sent < raw.size();) {
    auto n = ::send(fd, raw.data() + sent, raw.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  std::string data;
  char buf[65536];
  for (;;) {
    auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    data.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  HttpAnswer a;
  auto split = data.find("\r\n\r\n");
  if (split == std::string::npos) return a;
  a.head = data.substr(0, split);
  a.body = data.substr(split + 4);
  if (a.head.size() > 12) a.status = std::atoi(a.head.substr(9, 3).c_str());
  return a;
}

// One request; a body (or any POST/PUT) is sent as JSON.
inline std::optional<HttpAnswer> request(int port, const std::string& method,
                                         const std::string& target, const std::string& body = "",
                                         const std::string& extra_headers = "") {
  std::string raw = method + " " + target +
                    " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + extra_headers;
  if (!body.empty() || method == "POST" || method == "PUT")
    raw +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  raw += "\r\n" + body;
  return send_raw(port, raw);
}

inline std::string bearer(const std::string& token) {
  return "Authorization: Bearer " + token + "\r\n";
}

}  // namespace shopfloor::testing
