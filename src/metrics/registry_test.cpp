// Unit tests for the metrics registry: identity, text rendering, concurrency.
#include "metrics/registry.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace shopfloor::metrics {
namespace {

std::size_t occurrences(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) {
    ++n;
  }
  return n;
}

TEST(MetricsRegistry, SameNameAndLabelsIsSameInstrument) {
  Registry r;
  Counter& a = r.counter("sf_requests_total", "Requests.", {{"a", "1"}, {"b", "2"}});
  Counter& b = r.counter("sf_requests_total", "Requests.", {{"b", "2"}, {"a", "1"}});
  Counter& c = r.counter("sf_requests_total", "Requests.", {{"a", "1"}, {"b", "3"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &c);
  a.inc();
  b.inc(2.5);
  EXPECT_DOUBLE_EQ(a.value(), 3.5);
  EXPECT_DOUBLE_EQ(c.value(), 0);
}

TEST(MetricsRegistry, CounterIgnoresNegativeIncrements) {
  Registry r;
  Counter& c = r.counter("sf_c_total", "C.");
  c.inc(2);
  c.inc(-1);
  EXPECT_DOUBLE_EQ(c.value(), 2);
}

TEST(MetricsRegistry, GaugeSetAndAdd) {
  Registry r;
  Gauge& g = r.gauge("sf_open", "Open things.");
  g.set(5);
  g.add(-2);
  g.add(0.5);
  EXPECT_DOUBLE_EQ(g.value(), 3.5);
}

TEST(MetricsRegistry, MisuseThrows) {
  Registry r;
  r.counter("sf_x_total", "X.");
  EXPECT_THROW(r.gauge("sf_x_total", "X."), std::invalid_argument);
  EXPECT_THROW(r.counter("sf_x_total", "Other help."), std::invalid_argument);
  EXPECT_THROW(r.counter("0bad", "Bad."), std::invalid_argument);
  EXPECT_THROW(r.counter("sf_y_total", "Y.", {{"bad-name", "v"}}), std::invalid_argument);
  EXPECT_THROW(r.counter("sf_y_total", "Y.", {{"a", "1"}, {"a", "2"}}), std::invalid_argument);
  EXPECT_THROW(r.histogram("sf_h", "H.", {{"le", "1"}}), std::invalid_argument);
  EXPECT_THROW(r.histogram("sf_h2", "H.", {}, {1, 0.5}), std::invalid_argument);
  r.histogram("sf_h3", "H.", {}, {1, 2});
  EXPECT_THROW(r.histogram("sf_h3", "H.", {{"a", "b"}}, {1, 3}), std::invalid_argument);
}

TEST(MetricsRegistry, RendersHelpAndTypeOncePerFamily) {
  Registry r;
  r.counter("sf_requests_total", "Requests served.", {{"status", "200"}}).inc(3);
  r.counter("sf_requests_total", "Requests served.", {{"status", "404"}}).inc();
  r.gauge("sf_connections", "Open connections.").set(7);
  const std::string text = r.render();
  EXPECT_EQ(occurrences(text, "# HELP sf_requests_total "), 1u);
  EXPECT_EQ(occurrences(text, "# TYPE sf_requests_total counter\n"), 1u);
  EXPECT_EQ(occurrences(text, "# TYPE sf_connections gauge\n"), 1u);
  EXPECT_NE(text.find("sf_requests_total{status=\"200\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("sf_requests_total{status=\"404\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("sf_connections 7\n"), std::string::npos) << text;
  // HELP/TYPE precede the family's samples.
  EXPECT_LT(text.find("# TYPE sf_requests_total"), text.find("sf_requests_total{"));
}

TEST(MetricsRegistry, EscapesLabelValuesAndHelp) {
  Registry r;
  r.counter("sf_esc_total", "Line one\nback\\slash", {{"path", "a\\b\"c\nd"}}).inc();
  const std::string text = r.render();
  EXPECT_NE(text.find("# HELP sf_esc_total Line one\\nback\\\\slash\n"), std::string::npos) << text;
  EXPECT_NE(text.find("sf_esc_total{path=\"a\\\\b\\\"c\\nd\"} 1\n"), std::string::npos) << text;
}

TEST(MetricsRegistry, LabelsRenderedSortedByName) {
  Registry r;
  r.counter("sf_sorted_total", "S.", {{"zeta", "1"}, {"alpha", "2"}}).inc();
  EXPECT_NE(r.render().find("sf_sorted_total{alpha=\"2\",zeta=\"1\"} 1\n"), std::string::npos);
}

TEST(MetricsRegistry, HistogramIsCumulativeWithInfSumAndCount) {
  Registry r;
  Histogram& h = r.histogram("sf_latency_seconds", "Latency.", {{"route", "/x"}}, {0.1, 0.5, 1});
  h.observe(0.05);
  h.observe(0.1);  // bounds are inclusive (le)
  h.observe(0.3);
  h.observe(2);
  h.observe(7);
  const std::string text = r.render();
  EXPECT_EQ(occurrences(text, "# TYPE sf_latency_seconds histogram\n"), 1u);
  const std::string expected =
      "sf_latency_seconds_bucket{route=\"/x\",le=\"0.1\"} 2\n"
      "sf_latency_seconds_bucket{route=\"/x\",le=\"0.5\"} 3\n"
      "sf_latency_seconds_bucket{route=\"/x\",le=\"1\"} 3\n"
      "sf_latency_seconds_bucket{route=\"/x\",le=\"+Inf\"} 5\n"
      "sf_latency_seconds_sum{route=\"/x\"} 9.45\n"
      "sf_latency_seconds_count{route=\"/x\"} 5\n";
  EXPECT_NE(text.find(expected), std::string::npos) << text;
  EXPECT_EQ(h.count(), 5u);
}

TEST(MetricsRegistry, HistogramWithoutLabelsAndDefaultBuckets) {
  Registry r;
  Histogram& h = r.histogram("sf_plain_seconds", "Plain.");
  h.observe(0.0004);
  const std::string text = r.render();
  EXPECT_NE(text.find("sf_plain_seconds_bucket{le=\"0.0005\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("sf_plain_seconds_bucket{le=\"10\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("sf_plain_seconds_bucket{le=\"+Inf\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("sf_plain_seconds_count 1\n"), std::string::npos) << text;
  const auto b = Registry::default_latency_buckets();
  EXPECT_DOUBLE_EQ(b.front(), 0.0005);
  EXPECT_DOUBLE_EQ(b.back(), 10);
}

TEST(MetricsRegistry, ConcurrentUpdatesAndRegistrationAreNotLost) {
  Registry r;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&r, t] {
      // Every thread registers (looks up) the same instruments concurrently.
      Counter& c = r.counter("sf_conc_total", "Concurrent.", {{"k", "shared"}});
      Histogram& h = r.histogram("sf_conc_seconds", "Concurrent.", {}, {0.5, 1});
      Gauge& g = r.gauge("sf_conc_gauge", "Concurrent.");
      for (int i = 0; i < kPerThread; ++i) {
        c.inc();
        h.observe((i % 2) ? 0.25 : 0.75);
        g.add(1);
        if (i % 5000 == 0) (void)r.render();  // rendering while updating is safe
      }
      (void)t;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_DOUBLE_EQ(r.counter("sf_conc_total", "Concurrent.", {{"k", "shared"}}).value(),
                   kThreads * kPerThread);
  Histogram& h = r.histogram("sf_conc_seconds", "Concurrent.", {}, {0.5, 1});
  EXPECT_EQ(h.count(), static_cast<std::uint64_t>(kThreads) * kPerThread);
  EXPECT_EQ(h.bucket_count(0), static_cast<std::uint64_t>(kThreads) * kPerThread / 2);
  EXPECT_DOUBLE_EQ(h.sum(), kThreads * kPerThread / 2 * (0.25 + 0.75));
  EXPECT_DOUBLE_EQ(r.gauge("sf_conc_gauge", "Concurrent.").value(), kThreads * kPerThread);
}

TEST(MetricsRegistry, DefaultRegistryIsProcessWide) {
  EXPECT_EQ(&default_registry(), &default_registry());
}

}  // namespace
}  // namespace shopfloor::metrics
