// Command: a command formatted into RESP bytes up front.
//
// Why these exist next to Client::command(std::initializer_list<...>): g++
// 11.2-12.x (Debian 12 ships 12.2) rejects any braced list that creates an
// std::initializer_list inside a co_await expression ("error: array used as
// initializer"), so `co_await client.command({"GET", key})` does not compile
// with our toolchain. Either split the call —
//     auto get = client.command({"GET", key});  // formats now
//     auto reply = co_await std::move(get);
// — or build a Command, whose variadic constructor creates no such list:
//     auto reply = co_await client.command(Command("GET", key));
//
// Arguments are anything convertible to std::string_view (literals,
// std::string, std::string_view); they are copied into the bytes at once, so
// temporaries are safe. Binary-safe.
//
// Thread-safety: plain values; copy or move freely.
#pragma once

#include <concepts>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "redis/resp.hpp"

namespace shopfloor::redis {

template <class T>
concept CommandArgument = std::convertible_to<const T&, std::string_view>;

class Command {
 public:
  template <CommandArgument... Args>
  requires(sizeof...(Args) > 0) explicit Command(const Args&... args) {
    const std::string_view argv[] = {std::string_view(args)...};
    append_command(bytes_, argv);
  }
  explicit Command(std::span<const std::string_view> args) { append_command(bytes_, args); }
  explicit Command(std::span<const std::string> args) { append_command(bytes_, args); }

  const std::string& bytes() const& { return bytes_; }
  std::string bytes() && { return std::move(bytes_); }

 private:
  std::string bytes_;
};

}  // namespace shopfloor::redis
