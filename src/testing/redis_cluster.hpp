// The Redis Cluster of `scripts/devenv.sh cluster-start` as tests see it: cluster-mode
// client options (the app user, seeds from SHOPFLOOR_TEST_REDIS_CLUSTER_NODES) and an
// admin handle on every node (CLUSTER NODES parsed, a node's pid, kill/stop/continue,
// waiting for cluster_state:ok, putting the cluster back after a failover test).
//
// A missing SHOPFLOOR_TEST_REDIS_CLUSTER_NODES throws naming it (settings.hpp's rule):
// the test command starts the cluster, so a test fails rather than silently passing.
//
// Thread-safety: a ClusterAdmin is used on the thread that runs its io_context; its
// blocking calls drive that io_context (testing::run), so coroutines spawned on it (a
// load loop) keep running meanwhile.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "redis/client.hpp"

namespace shopfloor::testing {

// The app user's settings (redis_options()) in cluster mode with the devenv seeds.
redis::Options redis_cluster_options();
// The seeds' ports, in order (node0..node5 of the devenv cluster).
std::vector<std::uint16_t> redis_cluster_ports();

class ClusterAdmin {
 public:
  struct Node {
    std::string id;
    std::uint16_t port = 0;
    bool primary = false;
    bool failed = false;     // fail or fail? flag, or disconnected
    std::string primary_id;  // replicas
    std::vector<std::pair<int, int>> slots;
    bool owns(int slot) const;
  };

  // Connects as the admin user to every node that is up (bounded); throws if none is.
  explicit ClusterAdmin(boost::asio::io_context& io);
  ~ClusterAdmin();
  ClusterAdmin(const ClusterAdmin&) = delete;
  ClusterAdmin& operator=(const ClusterAdmin&) = delete;

  // One command on one node (blocking, bounded by `timeout`); an error when the node is
  // down or the deadline passes.
  boost::system::result<redis::Reply> command(
      std::uint16_t port, std::vector<std::string> args,
      std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // The admin client of a node (for commands issued from coroutines).
  redis::Client& client(std::uint16_t port);

  // CLUSTER NODES as seen by the first node that answers (or `from`).
  std::vector<Node> nodes(std::optional<std::uint16_t> from = std::nullopt);
  Node owner(int slot);
  Node replica_of(const Node& primary);
  // INFO server's process_id.
  int pid(std::uint16_t port);
  // Every node that answers says cluster_state:ok and all its primaries are fine.
  bool wait_ok(std::chrono::milliseconds limit);

 private:
  boost::asio::io_context& io_;
  std::map<std::uint16_t, std::unique_ptr<redis::Client>> clients_;
};

}  // namespace shopfloor::testing
