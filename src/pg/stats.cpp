// The instruments listed in stats.hpp.
#include "pg/stats.hpp"

namespace shopfloor::pg {
namespace {

constexpr const char* kConnections = "shopfloor_pg_pool_connections";
constexpr const char* kConnectionsHelp = "PostgreSQL pool connections, by state.";
constexpr const char* kErrors = "shopfloor_pg_pool_errors_total";
constexpr const char* kErrorsHelp = "PostgreSQL pool failures, by kind.";

}  // namespace

PoolStats& PoolStats::instance() {
  static PoolStats stats = [] {
    auto& r = metrics::default_registry();
    return PoolStats{
        r.gauge(kConnections, kConnectionsHelp, {{"state", "in_use"}}),
        r.gauge(kConnections, kConnectionsHelp, {{"state", "idle"}}),
        r.gauge("shopfloor_pg_pool_max_connections",
                "Connections the pools may hold (sum of pool_size)."),
        r.gauge("shopfloor_pg_pool_waiting", "Acquires queued for a free connection now."),
        r.counter("shopfloor_pg_pool_waits_total",
                  "Acquires that found every connection leased and had to queue."),
        r.histogram("shopfloor_pg_pool_wait_duration_seconds",
                    "Time an acquire spent queued for a connection."),
        r.counter(kErrors, kErrorsHelp, {{"kind", "acquire_timeout"}}),
        r.counter(kErrors, kErrorsHelp, {{"kind", "unavailable"}}),
        r.counter(kErrors, kErrorsHelp, {{"kind", "connect_failed"}}),
        r.counter(kErrors, kErrorsHelp, {{"kind", "connection_lost"}}),
    };
  }();
  return stats;
}

ListenerStats& ListenerStats::instance() {
  static ListenerStats stats = [] {
    auto& r = metrics::default_registry();
    return ListenerStats{
        r.gauge("shopfloor_listener_connected",
                "1 while the change-feed connection is LISTENing, else 0."),
        r.counter("shopfloor_listener_resyncs_total",
                  "Change-feed (re)connects; each retires what notifications may have missed."),
        r.histogram("shopfloor_listener_heartbeat_duration_seconds",
                    "From sending a heartbeat on the change-feed connection to having delivered "
                    "every notification committed before it: the delivery lag of the feed."),
    };
  }();
  return stats;
}

metrics::Counter& ListenerStats::notifications(const std::string& channel) {
  return metrics::default_registry().counter("shopfloor_listener_notifications_total",
                                             "Notifications received, by channel.",
                                             {{"channel", channel}});
}

metrics::Histogram& ListenerStats::handling_seconds(const std::string& channel) {
  return metrics::default_registry().histogram(
      "shopfloor_listener_handling_duration_seconds",
      "Time from receiving a change notification to the end of its retirement.",
      {{"channel", channel}});
}

metrics::Counter& ListenerStats::handler_failures(const std::string& channel) {
  return metrics::default_registry().counter("shopfloor_listener_handler_failures_total",
                                             "Change-feed handlers that threw, by channel.",
                                             {{"channel", channel}});
}

}  // namespace shopfloor::pg
