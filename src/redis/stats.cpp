// The instruments listed in stats.hpp.
#include "redis/stats.hpp"

#include <array>
#include <boost/asio/error.hpp>
#include <string>

#include "redis/errors.hpp"

namespace shopfloor::redis {
namespace {

constexpr const char* kCommandErrors = "shopfloor_redis_command_errors_total";
constexpr const char* kCommandErrorsHelp =
    "Redis commands that got no reply (other than by timeout) or an error reply, by kind.";
constexpr const char* kConnectionErrors = "shopfloor_redis_connection_errors_total";
constexpr const char* kConnectionErrorsHelp =
    "Redis connection attempts that failed and ready connections that were lost, by kind.";

constexpr const char* kRedirects = "shopfloor_redis_cluster_redirects_total";
constexpr const char* kRedirectsHelp =
    "Redis Cluster redirections followed: MOVED, ASK, TRYAGAIN (a slot being migrated).";
constexpr const char* kRefreshes = "shopfloor_redis_cluster_topology_refreshes_total";
constexpr const char* kRefreshesHelp =
    "Redis Cluster slot maps asked (CLUSTER SLOTS) and applied (ok) or not obtained (failed).";

// Every kind, in the order of the counters below.
constexpr std::array<const char*, 10> kKinds{
    "timeout", "not_connected",    "connection_lost", "protocol", "auth_failed",
    "closed",  "handshake_failed", "cancelled",       "io",       "reply"};

std::size_t kind_index(const boost::system::error_code& ec) {
  if (ec.category() == error_category()) {
    switch (static_cast<error>(ec.value())) {
      case error::timeout:
        return 0;
      case error::not_connected:
        return 1;
      case error::connection_lost:
        return 2;
      case error::protocol:
        return 3;
      case error::auth_failed:
        return 4;
      case error::closed:
        return 5;
      case error::handshake_failed:
        return 6;
    }
  }
  if (ec == boost::asio::error::operation_aborted) return 7;
  return 8;
}

struct Families {
  std::array<metrics::Counter*, kKinds.size()> command{};
  std::array<metrics::Counter*, kKinds.size()> connection{};
};

Families& families() {
  static Families f = [] {
    Families out;
    auto& r = metrics::default_registry();
    // Only the kinds that can happen in each family are exported; anything else counts
    // as io. A command's timeout has its own counter.
    constexpr std::array<std::size_t, 7> kCommandKinds{1, 2, 3, 5, 7, 8, 9};
    constexpr std::array<std::size_t, 6> kConnectionKinds{0, 2, 3, 4, 6, 8};
    for (std::size_t i : kCommandKinds)
      out.command[i] = &r.counter(kCommandErrors, kCommandErrorsHelp, {{"kind", kKinds[i]}});
    for (std::size_t i : kConnectionKinds)
      out.connection[i] =
          &r.counter(kConnectionErrors, kConnectionErrorsHelp, {{"kind", kKinds[i]}});
    for (std::size_t i = 0; i < kKinds.size(); ++i) {
      if (out.command[i] == nullptr) out.command[i] = out.command[8];
      if (out.connection[i] == nullptr) out.connection[i] = out.connection[8];
    }
    return out;
  }();
  return f;
}

}  // namespace

metrics::Counter& ClientStats::command_error(const boost::system::error_code& ec) {
  const std::size_t i = kind_index(ec);
  return i == 0 ? command_timeouts : *families().command[i];
}

metrics::Counter& ClientStats::connection_error(const boost::system::error_code& ec) {
  return *families().connection[kind_index(ec)];
}

ClientStats& ClientStats::instance() {
  static ClientStats stats = [] {
    auto& r = metrics::default_registry();
    families();  // every kind is rendered (at 0) from the start
    return ClientStats{
        r.gauge("shopfloor_redis_connections_up", "Redis connections ready to carry commands."),
        r.counter("shopfloor_redis_reconnects_total",
                  "Redis connections re-established after they had been lost."),
        r.histogram(
            "shopfloor_redis_command_duration_seconds",
            "Time from sending a Redis command (or script) to its reply.", {},
            {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1}),
        r.counter("shopfloor_redis_command_timeouts_total",
                  "Redis commands whose deadline passed before the reply."),
        *families().command[9],
        r.counter(kRedirects, kRedirectsHelp, {{"kind", "moved"}}),
        r.counter(kRedirects, kRedirectsHelp, {{"kind", "ask"}}),
        r.counter(kRedirects, kRedirectsHelp, {{"kind", "tryagain"}}),
        r.counter(kRefreshes, kRefreshesHelp, {{"result", "ok"}}),
        r.counter(kRefreshes, kRefreshesHelp, {{"result", "failed"}}),
        r.counter("shopfloor_redis_failovers_followed_total",
                  "Sentinel mode: Redis connections that reached the primary at a new address "
                  "(a failover followed)."),
    };
  }();
  return stats;
}

}  // namespace shopfloor::redis
