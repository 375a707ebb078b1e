// Process metrics: what an operator asks of any service first — how much memory it
// holds, how many file descriptors it has open, since when it runs, which build it is.
// Read from /proc/self at scrape time (a registry collector), so they cost nothing
// between scrapes. The names are the ones every Prometheus client library exports,
// so stock dashboards and alerts work unchanged:
//
//   process_resident_memory_bytes   gauge  RSS (/proc/self/statm × page size)
//   process_virtual_memory_bytes    gauge  address space (/proc/self/statm)
//   process_open_fds                gauge  entries in /proc/self/fd
//   process_max_fds                 gauge  RLIMIT_NOFILE soft limit
//   process_cpu_seconds_total       counter user + system CPU time (/proc/self/stat)
//   process_start_time_seconds      gauge  Unix time the process started
//   shopfloor_uptime_seconds        gauge  seconds since the process started
//   shopfloor_build_info{version}   gauge  always 1; the version is the label
//
// A value that cannot be read (no /proc) is left at its last reading (0 at first).
//
// Thread-safety: register once per registry (a second call is a no-op for the same
// registry); the collector runs on whichever thread renders.
#pragma once

#include <cstdint>
#include <string_view>

#include "metrics/registry.hpp"

namespace shopfloor::metrics {

void register_process_metrics(Registry& registry, std::string_view version);

// One reading of /proc/self; false members mean "could not read".
struct ProcessSample {
  bool ok = false;
  double resident_bytes = 0;
  double virtual_bytes = 0;
  double open_fds = 0;
  double max_fds = 0;
  double cpu_seconds = 0;
  double start_time_seconds = 0;  // Unix time
};
ProcessSample sample_process();

}  // namespace shopfloor::metrics
