// Breaker: a circuit breaker that stops the cache core from waiting on a dead cache.
//
// Closed: every call goes to the backend. After `failure_threshold` consecutive
// failures spanning at least `failing_for` it opens: calls are refused at once (the
// core answers from the loader, X-Cache: BYPASS) and one probe call per `open_for`
// interval is let through; the first success closes it again. Pure logic, time passed
// in, no I/O.
//
// Why the span: when this process's own thread stalls (both cores busy, the thread
// descheduled), every command in flight misses its deadline at once, then the
// replies arrive. Such a burst is not an outage; opening on it made the engine bypass
// for a whole `open_for` (~1,500 lookups sent to PostgreSQL, on a machine that was
// already saturated), ~20 times in 15 s of the MES mix under writes.
//
// Thread-safety: one per Engine (per io_context thread); not thread-safe.
#pragma once

#include <chrono>

#include "cache/clock.hpp"

namespace shopfloor::cache {

struct BreakerOptions {
  // Consecutive backend failures that open the breaker. Default: 3.
  int failure_threshold = 3;
  // While open, at most one probe per interval. Default: 500 ms.
  std::chrono::milliseconds open_for{500};
  // The run of failures must last this long, first to latest, before it opens (0:
  // open on the count alone). Default: 100 ms.
  std::chrono::milliseconds failing_for{100};
};

class Breaker {
 public:
  enum class State { closed, open };
  explicit Breaker(BreakerOptions options = {}) : options_(options) {}

  // Whether a backend call may be made now. In the open state this hands out the
  // single probe of the current interval.
  bool allow(TimePoint now) {
    if (state_ == State::closed) return true;
    if (now < next_probe_) return false;
    next_probe_ = now + options_.open_for;
    return true;
  }
  void on_success() {
    state_ = State::closed;
    failures_ = 0;
  }
  void on_failure(TimePoint now) {
    if (state_ == State::closed && failures_++ == 0) first_failure_ = now;
    if (state_ == State::open ||
        (failures_ >= options_.failure_threshold && now - first_failure_ >= options_.failing_for)) {
      state_ = State::open;
      next_probe_ = now + options_.open_for;
    }
  }
  State state() const { return state_; }

 private:
  BreakerOptions options_;
  State state_ = State::closed;
  int failures_ = 0;
  TimePoint first_failure_{};  // of the current run of failures
  TimePoint next_probe_{};
};

}  // namespace shopfloor::cache
