// Clocks for the cache: the system steady clock in production, a manual clock in
// tests so TTL behaviour is checked without sleeping.
//
// Thread-safety: SystemClock is stateless; ManualClock is safe to read from several
// threads while one test thread advances it.
#pragma once

#include <atomic>
#include <chrono>

namespace shopfloor::cache {

using Clock_ = std::chrono::steady_clock;
using TimePoint = Clock_::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint now() const override { return Clock_::now(); }
  static SystemClock& instance() {
    static SystemClock clock;
    return clock;
  }
};

class ManualClock final : public Clock {
 public:
  TimePoint now() const override { return TimePoint(Clock_::duration(ticks_.load())); }
  void advance(Clock_::duration d) { ticks_ += d.count(); }

 private:
  std::atomic<Clock_::rep> ticks_{Clock_::duration(std::chrono::hours(1)).count()};
};

}  // namespace shopfloor::cache
