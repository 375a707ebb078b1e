// Metrics registry: counters, gauges and histograms rendered in the Prometheus
// text exposition format 0.0.4 (what `GET /metrics` answers).
//
// A metric family is a name with one HELP text and one TYPE; each distinct label
// set in a family is one instrument. Asking the registry again for the same name
// and labels returns the same instrument, so components look their instruments up
// once (at construction) and keep the reference: references stay valid for the
// registry's lifetime. Label order does not matter for identity; labels are
// rendered sorted by name.
//
// Thread-safety: the registry is shared by every io_context thread. Registration
// and render() take a mutex; updates on instruments are lock-free atomics
// (relaxed: a scrape may see one instrument a few updates ahead of another, which
// Prometheus tolerates). Do not look instruments up on a hot path: keep the
// reference (or cache it per shard) instead.
//
// Values that live elsewhere (the process's memory and file descriptors) are read at
// scrape time by collectors: add_collector() registers a function that render() runs
// first, outside the registry's lock, so it may update its gauges (or register new
// instruments) before the text is produced.
//
// Misuse is a programming error and throws std::invalid_argument at registration:
// an invalid metric or label name, a name reused with another type, help text or
// bucket layout, a duplicate label name, or the reserved label `le` on a histogram.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shopfloor::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

// Monotonic total, e.g. requests served. Starts at 0.
class Counter {
 public:
  // Negative or NaN increments are ignored: a counter never goes down (Prometheus
  // treats a decrease as a process restart).
  void inc(double v = 1);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// A value that goes up and down, e.g. open connections. Starts at 0.
class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Distribution of observations (usually durations in seconds) over fixed upper
// bounds. Rendered as cumulative `_bucket{le="..."}` series ending in `+Inf`,
// plus `_sum` and `_count`.
class Histogram {
 public:
  // `bounds`: finite upper bounds, strictly increasing; +Inf is implicit.
  explicit Histogram(std::vector<double> bounds);

  // An observation lands in the first bucket whose bound is >= v. NaN is ignored.
  void observe(double v);

  const std::vector<double>& bounds() const { return bounds_; }
  // Non-cumulative count of bucket i; i == bounds().size() is the +Inf overflow.
  std::uint64_t bucket_count(std::size_t i) const;
  // Sum of all buckets: consistent with the +Inf bucket by construction.
  std::uint64_t count() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // bounds_.size() + 1
  std::atomic<double> sum_{0};
};

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Same name + labels → same instrument (stable reference for the registry's
  // lifetime). `help` must be identical for every instrument of a family.
  Counter& counter(std::string_view name, std::string_view help, Labels labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, Labels labels = {});
  // `buckets` must match the family's first registration.
  Histogram& histogram(std::string_view name, std::string_view help, Labels labels = {},
                       std::vector<double> buckets = default_latency_buckets());

  // `refresh` runs at the start of every render(), on the rendering thread, one
  // collector at a time (in registration order). It must be cheap and not throw
  // (an exception escapes render()).
  void add_collector(std::function<void()> refresh);

  // Text format 0.0.4: `# HELP` and `# TYPE` once per family, families in
  // registration order, instruments sorted by labels. Label values escape
  // backslash, double quote and newline; HELP escapes backslash and newline.
  std::string render() const;

  // Request latency buckets in seconds: 0.0005 … 10.
  static std::vector<double> default_latency_buckets();

 private:
  struct Family;
  Family& family_locked(std::string_view name, std::string_view help, int type,
                        const std::vector<double>* buckets);

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Family>> families_;  // registration order
  mutable std::mutex collectors_mutex_;            // never held with mutex_ taken first
  std::vector<std::function<void()>> collectors_;
};

// The process-wide registry the services expose on /metrics.
Registry& default_registry();

}  // namespace shopfloor::metrics
