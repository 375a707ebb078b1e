// Unit tests for the process metrics: /proc/self readings and the scrape-time collector.
#include "metrics/process.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <string>

namespace shopfloor::metrics {
namespace {

TEST(ProcessMetrics, SampleReadsThisProcess) {
  const ProcessSample a = sample_process();
  ASSERT_TRUE(a.ok);
  EXPECT_GT(a.resident_bytes, 1024.0 * 1024);  // a gtest binary holds more than 1 MiB
  EXPECT_GE(a.virtual_bytes, a.resident_bytes);
  EXPECT_GE(a.open_fds, 3);  // stdin, stdout, stderr
  EXPECT_GE(a.max_fds, a.open_fds);
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_LE(a.start_time_seconds, now + 1);
  EXPECT_GT(a.start_time_seconds, now - 3600);  // started during this test run

  const int fd = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(fd, 0);
  const ProcessSample b = sample_process();
  ::close(fd);
  EXPECT_EQ(b.open_fds, a.open_fds + 1);
}

TEST(ProcessMetrics, RenderedAtScrapeWithBuildInfo) {
  Registry r;
  register_process_metrics(r, "1.2.3");
  register_process_metrics(r, "1.2.3");  // no second collector, no throw
  const std::string text = r.render();
  EXPECT_NE(text.find("shopfloor_build_info{version=\"1.2.3\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE process_resident_memory_bytes gauge"), std::string::npos);
  EXPECT_NE(text.find("# TYPE process_cpu_seconds_total counter"), std::string::npos);
  EXPECT_EQ(text.find("process_open_fds 0\n"), std::string::npos) << "collector did not run";
  EXPECT_EQ(text.find("process_resident_memory_bytes 0\n"), std::string::npos);
  EXPECT_EQ(text.find("shopfloor_uptime_seconds -"), std::string::npos);
}

TEST(MetricsRegistry, CollectorsRunBeforeEveryRender) {
  Registry r;
  Gauge& g = r.gauge("sf_scrapes", "Renders so far.");
  r.add_collector([&g] { g.add(1); });
  EXPECT_NE(r.render().find("sf_scrapes 1\n"), std::string::npos);
  EXPECT_NE(r.render().find("sf_scrapes 2\n"), std::string::npos);
}

}  // namespace
}  // namespace shopfloor::metrics
