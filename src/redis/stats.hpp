// ClientStats: every metric of the Redis clients of a process, declared in one list
// (stats.cpp), shared by the clients of all io_context threads (the values are sums
// over them). Prometheus names:
//
//   shopfloor_redis_connections_up                  gauge: connections ready now
//   shopfloor_redis_reconnects_total                a lost connection was re-established
//   shopfloor_redis_connection_errors_total{kind}   a connect attempt failed or a ready
//                                                   connection was lost
//   shopfloor_redis_command_duration_seconds        histogram: submit to reply, for
//                                                   commands that got a reply
//   shopfloor_redis_command_timeouts_total          commands whose deadline passed first
//   shopfloor_redis_command_errors_total{kind}      commands that got no reply for another
//                                                   reason, or an error reply (kind="reply")
//   shopfloor_redis_cluster_redirects_total{kind}   cluster mode: MOVED, ASK or TRYAGAIN
//                                                   replies followed (kind moved|ask|tryagain)
//   shopfloor_redis_cluster_topology_refreshes_total{result}  cluster mode: CLUSTER SLOTS
//                                                   asked and applied (ok) or not obtained
//                                                   from any node (failed)
//   shopfloor_redis_failovers_followed_total        sentinel mode: a connection reached a
//                                                   primary at another address than before
//
// kind of a command: not_connected (not sent), connection_lost, protocol, closed
// (stop() was called), cancelled (the caller gave up), io (anything else), reply (the
// server answered with an error such as NOPERM). kind of a connection: timeout,
// connection_lost, protocol, auth_failed, handshake_failed, io (a socket or TLS error).
//
// Thread-safety: instruments are atomics; instance() is initialised once.
#pragma once

#include <boost/system/error_code.hpp>

#include "metrics/registry.hpp"

namespace shopfloor::redis {

struct ClientStats {
  metrics::Gauge& connections_up;
  metrics::Counter& reconnects;
  metrics::Histogram& command_seconds;
  metrics::Counter& command_timeouts;
  metrics::Counter& command_error_reply;
  metrics::Counter& cluster_moved;
  metrics::Counter& cluster_ask;
  metrics::Counter& cluster_tryagain;
  metrics::Counter& cluster_refreshes;
  metrics::Counter& cluster_refresh_failures;
  metrics::Counter& failovers_followed;

  // The counter of `ec`'s kind (not for error::timeout on commands: command_timeouts).
  metrics::Counter& command_error(const boost::system::error_code& ec);
  metrics::Counter& connection_error(const boost::system::error_code& ec);

  static ClientStats& instance();  // in metrics::default_registry()
};

}  // namespace shopfloor::redis
