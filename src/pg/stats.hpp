// PoolStats and ListenerStats: every metric of the PostgreSQL pools and of the LISTEN
// connection of a process, declared in one list (stats.cpp). Pool values are sums
// over the pools of all io_context threads. Prometheus names:
//
//   shopfloor_pg_pool_connections{state="in_use"}  gauge: counted against pool_size and
//                                                 not idle (leased, being opened, being
//                                                 rolled back)
//   shopfloor_pg_pool_connections{state="idle"}    gauge: open, ready to lease
//   shopfloor_pg_pool_max_connections              gauge: sum of pool_size
//   shopfloor_pg_pool_waiting                      gauge: acquires queued now
//   shopfloor_pg_pool_waits_total                  acquires that had to queue
//   shopfloor_pg_pool_wait_duration_seconds        histogram: time queued (waits only)
//   shopfloor_pg_pool_errors_total{kind}           acquire_timeout (nothing free within
//                                                 acquire_timeout), unavailable (failing
//                                                 fast after a failed connect), connect_failed,
//                                                 connection_lost (returned broken)
//
//   shopfloor_listener_connected                   gauge: 1 while LISTENing
//   shopfloor_listener_resyncs_total               successful (re)connect + LISTEN: every
//                                                 one retires what may have been missed
//   shopfloor_listener_notifications_total{channel}  notifications received
//   shopfloor_listener_handling_duration_seconds{channel}  histogram: from receipt of a
//                                                 notification to the end of its feed's
//                                                 retirement (change_feed.hpp)
//   shopfloor_listener_handler_failures_total{channel}  feeds whose handler threw
//
// What the listener does not measure: the time from the writer's COMMIT to receipt.
// The trigger payloads (sql/) carry no commit timestamp, and the sender's clock is
// not ours; receipt to retirement is the part this process controls.
//
// Thread-safety: instruments are atomics; instance() is initialised once; the
// per-channel lookups lock the registry (call them at construction).
#pragma once

#include <string>

#include "metrics/registry.hpp"

namespace shopfloor::pg {

struct PoolStats {
  metrics::Gauge& in_use;
  metrics::Gauge& idle;
  metrics::Gauge& max_connections;
  metrics::Gauge& waiting;
  metrics::Counter& waits;
  metrics::Histogram& wait_seconds;
  metrics::Counter& acquire_timeout;
  metrics::Counter& unavailable;
  metrics::Counter& connect_failed;
  metrics::Counter& connection_lost;

  static PoolStats& instance();  // in metrics::default_registry()
};

struct ListenerStats {
  metrics::Gauge& connected;
  metrics::Counter& resyncs;
  metrics::Histogram& heartbeat_seconds;

  static ListenerStats& instance();
  static metrics::Counter& notifications(const std::string& channel);
  static metrics::Histogram& handling_seconds(const std::string& channel);
  static metrics::Counter& handler_failures(const std::string& channel);
};

}  // namespace shopfloor::pg
