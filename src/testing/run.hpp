// Running coroutines and waiting from a test: the one "run an awaitable to completion
// with a bounded wait", the one spawn-to-future, the one poll-until-true helper for the
// test thread, and their coroutine counterparts (testing::co).
//
// Every wait is bounded: a hung operation fails its test with a message instead of
// hanging the run. Bounds are generous on purpose (a sanitizer build on a loaded 2-core
// machine); what a test checks is an outcome, never that a wait was short.
//
// spawn_future completes a std::promise from co_spawn's handler rather than using
// asio::use_future: g++ 12 reports a false -Wmaybe-uninitialized inside use_future at
// -O1 with the sanitizers, and the tests build with -Werror.
//
// Thread-safety: run/run_until/run_for drive the io_context on the calling thread (none
// other may run it meanwhile); spawn_future may be called from any thread;
// co::sleep_for and co::wait_until run on the calling coroutine's executor.
#pragma once

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>

namespace shopfloor::testing {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

inline long long ms_since(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

// Spawns `a` on `ctx` (an io_context or executor); the future holds its value or
// exception, and is ready only once the coroutine has ended and its frame is gone (so
// what it held, a pooled connection say, has been let go). The value travels through
// a wrapper coroutine: co_spawn's value-carrying handler would need T to be
// default-constructible, which results and leases are not.
template <class Context, class T>
std::future<T> spawn_future(Context&& ctx, asio::awaitable<T> a) {
  struct State {
    std::promise<T> promise;
    std::optional<std::conditional_t<std::is_void_v<T>, bool, T>> value;
  };
  auto state = std::make_shared<State>();
  auto future = state->promise.get_future();
  // Parameters, not captures: a coroutine lambda's captures die with the temporary.
  auto keep = [](std::shared_ptr<State> s, asio::awaitable<T> aw) -> asio::awaitable<void> {
    if constexpr (std::is_void_v<T>) {
      co_await std::move(aw);
      s->value.emplace(true);
    } else {
      s->value.emplace(co_await std::move(aw));
    }
  };
  asio::co_spawn(std::forward<Context>(ctx), keep(state, std::move(a)),
                 [state](std::exception_ptr e) {
                   if (e)
                     state->promise.set_exception(e);
                   else if constexpr (std::is_void_v<T>)
                     state->promise.set_value();
                   else
                     state->promise.set_value(std::move(*state->value));
                 });
  return future;
}

// Waits (blocking) for a future another thread completes; throws naming `what` when
// `limit` passes first.
template <class T>
T wait_for_future(std::future<T>& f, std::chrono::milliseconds limit, const std::string& what) {
  if (f.wait_for(limit) != std::future_status::ready) {
    throw std::runtime_error(what + " did not finish within " + std::to_string(limit.count()) +
                             " ms");
  }
  return f.get();
}

// Runs `io` on this thread until `done()` holds; false if `limit` passed first. Sleeps
// briefly when nothing is queued, so waiting on another thread's work does not spin.
inline bool run_until(asio::io_context& io, const std::function<bool()>& done,
                      std::chrono::milliseconds limit) {
  io.restart();
  const auto deadline = Clock::now() + limit;
  while (!done()) {
    const auto now = Clock::now();
    if (now >= deadline) return false;
    if (io.run_one_for(std::min<Clock::duration>(deadline - now, 50ms)) == 0 && io.stopped()) {
      io.restart();
      if (done()) break;
      std::this_thread::sleep_for(5ms);
    }
  }
  return true;
}

// Lets `d` pass while running whatever background work `io` has (a listener, a pool's
// rollback); returns after `d` even when it has none.
inline void run_for(asio::io_context& io, std::chrono::milliseconds d) {
  const auto deadline = Clock::now() + d;
  run_until(
      io, [&] { return Clock::now() >= deadline; }, d + 1000ms);
}

// Runs one awaitable to completion on `io` (with whatever else is queued) and returns
// its value or rethrows its exception; throws if `limit` passes first.
template <class T>
T run(asio::io_context& io, asio::awaitable<T> a, std::chrono::milliseconds limit = 30s) {
  auto f = spawn_future(io, std::move(a));
  if (!run_until(
          io, [&] { return f.wait_for(0s) == std::future_status::ready; }, limit))
    throw std::runtime_error("operation did not finish within the test's time limit");
  return f.get();
}

// Polls `done` on this thread every `every` until it holds; false if `limit` passed.
inline bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit,
                       std::chrono::milliseconds every = 10ms) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(every);
  }
  return done();
}

namespace co {

// Lets `d` pass on the calling coroutine's executor (other work runs meanwhile).
inline asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

// Polls `done` every 5 ms on the calling coroutine's executor; false if `limit` passed.
inline asio::awaitable<bool> wait_until(std::function<bool()> done,
                                        std::chrono::milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  while (!done()) {
    if (Clock::now() >= deadline) co_return false;
    co_await sleep_for(5ms);
  }
  co_return true;
}

}  // namespace co
}  // namespace shopfloor::testing
