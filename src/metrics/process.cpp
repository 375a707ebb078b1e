// Process metrics read from /proc/self (Linux).
#include "metrics/process.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <string>

namespace shopfloor::metrics {
namespace {

// Unix time of the last boot (/proc/stat "btime"); 0 when unknown.
double boot_time_seconds() {
  std::ifstream in("/proc/stat");
  std::string word;
  while (in >> word) {
    if (word == "btime") {
      double t = 0;
      in >> t;
      return t;
    }
  }
  return 0;
}

}  // namespace

ProcessSample sample_process() {
  ProcessSample s;
  const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  {
    std::ifstream statm("/proc/self/statm");
    double size = 0, resident = 0;
    if (!(statm >> size >> resident)) return s;
    s.virtual_bytes = size * page;
    s.resident_bytes = resident * page;
  }
  {
    std::ifstream in("/proc/self/stat");
    std::string line;
    if (!std::getline(in, line)) return s;
    // The command name (field 2) is in parentheses and may hold spaces: fields are
    // counted from the last ')'. After it: field 3 (state) ... 14 utime, 15 stime,
    // 22 starttime (clock ticks since boot).
    const auto close = line.rfind(')');
    if (close == std::string::npos) return s;
    std::istringstream fields(line.substr(close + 1));
    std::string f;
    double utime = 0, stime = 0, start = 0;
    for (int field = 3; field <= 22 && fields >> f; ++field) {
      // strtod, not stod: a malformed field reads as 0 instead of throwing out of a scrape.
      if (field == 14) utime = std::strtod(f.c_str(), nullptr);
      if (field == 15) stime = std::strtod(f.c_str(), nullptr);
      if (field == 22) start = std::strtod(f.c_str(), nullptr);
    }
    s.cpu_seconds = (utime + stime) / ticks;
    s.start_time_seconds = boot_time_seconds() + start / ticks;
  }
  std::error_code ec;
  double fds = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
       it.increment(ec)) {
    ++fds;
  }
  if (ec) return s;
  s.open_fds = fds > 0 ? fds - 1 : 0;  // the iterator's own descriptor is not the process's
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) s.max_fds = static_cast<double>(limit.rlim_cur);
  s.ok = true;
  return s;
}

void register_process_metrics(Registry& registry, std::string_view version) {
  static std::mutex mutex;
  static std::set<const Registry*> done;
  {
    std::lock_guard lock(mutex);
    if (!done.insert(&registry).second) return;
  }
  registry
      .gauge("shopfloor_build_info", "Always 1; the build's version is the label.",
             {{"version", std::string(version)}})
      .set(1);
  Gauge& resident = registry.gauge("process_resident_memory_bytes", "Resident memory size.");
  Gauge& virt = registry.gauge("process_virtual_memory_bytes", "Virtual memory size.");
  Gauge& open_fds = registry.gauge("process_open_fds", "Open file descriptors.");
  Gauge& max_fds = registry.gauge("process_max_fds", "Maximum open file descriptors (soft limit).");
  Counter& cpu = registry.counter("process_cpu_seconds_total", "User and system CPU time.");
  Gauge& start = registry.gauge("process_start_time_seconds",
                                "Start time of the process since the Unix epoch.");
  Gauge& uptime = registry.gauge("shopfloor_uptime_seconds", "Seconds since the process started.");
  // Instruments live as long as the registry; collectors run one at a time, so the
  // mutable last_cpu needs no lock of its own.
  registry.add_collector([resident = &resident, virt = &virt, open_fds = &open_fds,
                          max_fds = &max_fds, cpu = &cpu, start = &start, uptime = &uptime,
                          last_cpu = 0.0]() mutable {
    const ProcessSample s = sample_process();
    if (!s.ok) return;
    resident->set(s.resident_bytes);
    virt->set(s.virtual_bytes);
    open_fds->set(s.open_fds);
    max_fds->set(s.max_fds);
    cpu->inc(s.cpu_seconds - last_cpu);  // a counter: add what was used since the last scrape
    last_cpu = std::max(last_cpu, s.cpu_seconds);
    start->set(s.start_time_seconds);
    const double now =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    uptime->set(std::max(0.0, now - s.start_time_seconds));
  });
}

}  // namespace shopfloor::metrics
