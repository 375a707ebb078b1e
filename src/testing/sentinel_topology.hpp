// SentinelTopology: the tests' handle on the Redis Sentinel topology of
// scripts/redis-sentinel.sh (`$SHOPFLOOR_DEVENV sentinel-<action>`): its ports, the
// Options of a client in sentinel mode, admin commands to one node, and faults (kill -9
// of a process, SENTINEL FAILOVER) that are repaired however the test ends.
//
// The constructor waits until the topology is settled (every process up, the replica
// in sync, the Sentinels agreeing) and throws naming the cause when it is not running:
// scripts/test.sh starts it for the tests labelled `sentinel`. The destructor restarts
// every process the test crashed and waits until the topology has settled again, so
// the next test starts from a healthy one (the primary may be either data node).
//
// Thread-safety: test-only. crash_primary() and failover() may run on a helper thread
// (they block for seconds) while the test thread drives its io_context.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "redis/options.hpp"
#include "redis/resp.hpp"

namespace shopfloor::testing {

class SentinelTopology {
 public:
  SentinelTopology();
  ~SentinelTopology();
  SentinelTopology(const SentinelTopology&) = delete;
  SentinelTopology& operator=(const SentinelTopology&) = delete;

  // The app user's settings (testing::redis_options) in sentinel mode: the Sentinels
  // of SHOPFLOOR_REDIS_NODES in order, SHOPFLOOR_REDIS_SENTINEL_MASTER, identify_server
  // on (as the services), short reconnect backoff.
  redis::Options client_options() const;

  // node-a, node-b, s1, s2, s3.
  std::uint16_t port(const std::string& process) const;
  // The data node the Sentinels name as primary now, and the other one.
  std::uint16_t primary_port() const;
  std::uint16_t replica_port() const;
  // The node's name (node-a / node-b) for a data port.
  std::string node_at(std::uint16_t port) const;

  // One command as the admin user to the data node or Sentinel at `port` (a fresh
  // connection, 2 s); throws when it gets no reply.
  redis::Reply admin(std::uint16_t port, const std::vector<std::string>& args) const;
  // The run_id of the node at `port` (INFO server).
  std::string run_id(std::uint16_t port) const;

  // kill -9 of one process / of the current primary (returns its name); restarted by
  // the destructor.
  void crash(const std::string& process);
  std::string crash_primary();
  // SENTINEL FAILOVER; returns the new primary's port once the Sentinels name it.
  std::string failover();
  // Cuts the replica off the current primary: the replication user disabled there and
  // the replica's connection killed, then waits until the replica reports its link
  // down. Writes acknowledged by the primary from now on are not replicated (a
  // promoted replica will not have them). The destructor re-enables the user.
  void cut_replication();

 private:
  std::string devenv(const std::string& action) const;  // its stdout; throws on failure

  std::uint16_t base_;
  mutable std::mutex mutex_;
  std::vector<std::string> crashed_;
  std::vector<std::uint16_t> cut_;
};

}  // namespace shopfloor::testing
