#include "pg/write_fence.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <random>

#include "pg/params.hpp"

namespace shopfloor::pg {

namespace asio = boost::asio;

FenceBook& FenceBook::instance() {
  static FenceBook book;
  return book;
}

namespace {

std::string new_token() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string t = "f";
  for (auto bits = rng(), i = std::uint64_t{0}; i < 16; ++i, bits >>= 4) t += kHex[bits & 0xF];
  return t;
}

asio::awaitable<void> pause(asio::steady_timer& timer, std::chrono::milliseconds d) {
  timer.expires_after(d);
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

}  // namespace

asio::awaitable<bool> fence(Pool& db, std::chrono::milliseconds limit,
                            std::chrono::milliseconds margin) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  const std::string token = new_token();
  asio::steady_timer timer(co_await asio::this_coro::executor);
  auto sent = co_await db.query("SELECT pg_notify($1, $2)",
                                params(std::string(kFenceChannel), token), limit);
  // Unconfirmed (no notification, or the listener silent): the commit is older than now,
  // so waiting the margin from now still outlasts every other process's trust.
  if (!sent) {
    spdlog::error("write fence: cannot notify ({}); answering after the trust margin alone",
                  to_string(sent.error()));
    co_await pause(timer, margin);
    co_return false;
  }
  while (!FenceBook::instance().seen(token)) {
    if (std::chrono::steady_clock::now() >= deadline) {
      spdlog::error("write fence: the change feed did not confirm within {} ms", limit.count());
      co_await pause(timer, margin);
      co_return false;
    }
    co_await pause(timer, std::chrono::milliseconds(5));
  }
  co_await pause(timer, margin);
  co_return true;
}

}  // namespace shopfloor::pg
