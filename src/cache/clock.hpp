// Clocks for the cache: the system steady clock in production, a manual clock in
// tests so TTL behaviour is checked without sleeping.
//
// Thread-safety: SystemClock is stateless; ManualClock is safe to read from several
// threads while one test thread advances it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace shopfloor::cache {

using Clock_ = std::chrono::steady_clock;
using TimePoint = Clock_::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
  // Wall-clock milliseconds since the Unix epoch: comparable across processes and hosts
  // (an entry's expiry, written by one process and read by another).
  virtual std::int64_t wall_ms() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint now() const override { return Clock_::now(); }
  std::int64_t wall_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  static SystemClock& instance() {
    static SystemClock clock;
    return clock;
  }
};

class ManualClock final : public Clock {
 public:
  TimePoint now() const override { return TimePoint(Clock_::duration(ticks_.load())); }
  std::int64_t wall_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(now().time_since_epoch()).count();
  }
  void advance(Clock_::duration d) { ticks_ += d.count(); }

 private:
  std::atomic<Clock_::rep> ticks_{Clock_::duration(std::chrono::hours(1)).count()};
};

}  // namespace shopfloor::cache
