// Cluster: the Redis Cluster mode of redis::Client (Options::mode == Mode::cluster).
// Internal to the redis module: Client forwards to it, callers only see Client.
//
// Topology: CLUSTER SLOTS, asked of a ready primary (or, with none, of the seed nodes in
// Options::nodes), gives the primary of each of the 16384 slots. Every primary gets its
// own standalone Client (the same Connection, TLS, ACL, identify_server handshake,
// pipelining and reconnect as one server); replicas get none. The map is asked again in
// the background after a MOVED, after a node's command failed for want of a connection,
// and every kRefreshInterval, at most once per kRefreshSpacing.
//
// Routing: by the slot of the command's key (cluster_protocol.hpp); a keyless command
// goes to a ready primary, round robin. A MOVED reply updates the slot and is followed;
// ASK is followed with ASKING + the command on the target (ASKING applies to one
// command). At most kMaxRedirects of those per command, within its one deadline; then
// the last error reply is the answer. TRYAGAIN (a multi-key command whose keys are on
// both sides of a migrating slot) is asked again after 1, 2, 4 ... 32 ms until the
// deadline, whose passing answers it. A command for a primary whose
// connections are all down fails at once with not_connected (the map is refreshed),
// except on a node met moments ago (a redirection target, a new primary), which is
// waited for within the deadline; so is the first map, for commands sent within
// 2 x connect_timeout of start().
//
// Scripts: EVALSHA goes to the key's node; on NOSCRIPT, SCRIPT LOAD + EVALSHA are sent
// to that node in one write, so every node loads the scripts it is asked to run.
//
// Identity (identify_server): server_id() is the SHA-1 of the run_ids of every primary
// of the current map, known once each has been reached; a restart or failover of any
// primary changes it, and on_server_change fires then (before the new primary carries a
// command). on_reconnect fires when any node's connection is re-established.
//
// Thread-safety: none; one executor, like Client.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/result.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "redis/client.hpp"
#include "redis/cluster_protocol.hpp"
#include "redis/options.hpp"
#include "redis/resp.hpp"

namespace shopfloor::redis::detail {

class Cluster : public std::enable_shared_from_this<Cluster> {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr int kMaxRedirects = 5;
  static constexpr std::chrono::milliseconds kRefreshSpacing{100};
  static constexpr std::chrono::milliseconds kRefreshInterval{5000};

  Cluster(asio::any_io_executor ex, Options opts);
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  void start();
  void stop();
  // The map is known and at least one primary has a ready connection.
  bool connected() const;
  boost::system::error_code last_error() const;
  const std::string& server_id() const { return server_id_; }
  std::uint64_t server_changes() const { return server_changes_; }
  void on_reconnect(std::function<void()> callback) { on_reconnect_ = std::move(callback); }
  void on_server_change(std::function<void(const std::string&)> callback) {
    on_server_change_ = std::move(callback);
  }

  // One formatted command, routed by its key.
  static asio::awaitable<boost::system::result<Reply>> command(std::shared_ptr<Cluster> self,
                                                               std::string bytes,
                                                               std::chrono::milliseconds timeout);
  // A formatted EVALSHA and the script body for NOSCRIPT.
  static asio::awaitable<boost::system::result<Reply>> eval(std::shared_ptr<Cluster> self,
                                                            std::string evalsha, std::string body,
                                                            std::chrono::milliseconds timeout);

 private:
  struct Node {
    Endpoint endpoint;
    std::string name;  // host:port
    std::unique_ptr<Client> client;
    Clock::time_point created;
  };

  std::shared_ptr<Node> node_for(const Endpoint& endpoint);
  std::shared_ptr<Node> any_ready_primary();
  void request_refresh();
  void apply(const std::vector<cluster::SlotRange>& ranges);
  void drop_unused_nodes();
  void update_server_id();
  static asio::awaitable<void> refresh_loop(std::shared_ptr<Cluster> self);
  static asio::awaitable<bool> refresh_once(std::shared_ptr<Cluster> self);
  // Sends `prefix` (`prefix_count` commands, e.g. SCRIPT LOAD) then `command` to the
  // node of `command`'s key, following redirections; the replies of both, ASKING's
  // removed.
  static asio::awaitable<boost::system::result<std::vector<Reply>>> route(
      std::shared_ptr<Cluster> self, std::string prefix, std::size_t prefix_count,
      std::string command, Clock::time_point deadline);

  asio::any_io_executor ex_;
  Options opts_;
  std::vector<Endpoint> seeds_;
  std::map<std::string, std::shared_ptr<Node>> nodes_;  // by host:port
  std::vector<std::shared_ptr<Node>> slots_;            // kSlots entries once known
  std::vector<std::shared_ptr<Node>> primaries_;        // distinct, in name order
  std::size_t next_primary_ = 0;
  bool started_ = false;
  Clock::time_point started_at_;
  bool stopped_ = false;
  bool refresh_wanted_ = false;
  asio::steady_timer refresh_timer_;
  boost::system::error_code last_error_;
  std::string server_id_;
  std::uint64_t server_changes_ = 0;
  std::function<void()> on_reconnect_;
  std::function<void(const std::string&)> on_server_change_;
};

}  // namespace shopfloor::redis::detail
