// Test helpers for coroutine code: run an awaitable to completion on an io_context.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <stdexcept>

namespace shopfloor::testing {

// Runs `aw` on `ioc` (and whatever else is queued) until it completes or `limit`
// passes; returns its value. Throws on timeout so a hung test fails, not hangs.
template <class T>
T run(boost::asio::io_context& ioc, boost::asio::awaitable<T> aw,
      std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  auto fut = boost::asio::co_spawn(ioc, std::move(aw), boost::asio::use_future);
  ioc.restart();
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (fut.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
    if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("test coroutine timed out");
    if (ioc.run_one_for(std::chrono::milliseconds(50)) == 0 && ioc.stopped()) ioc.restart();
  }
  return fut.get();
}

}  // namespace shopfloor::testing
