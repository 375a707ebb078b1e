// redis::Client: an asynchronous Redis client for one io_context thread.
//
// Commands from any number of coroutines are pipelined over a few connections
// (Options::connections). Everything queued on a connection since its last
// write goes out in one write, and replies are matched in order. Connections
// are used round robin over the ready ones, per batch: a command joins the
// batch still being gathered on the connection picked last (up to 64 KiB of
// commands), so commands issued in one turn of the event loop share a write.
// Each connection does the full handshake (TCP, TLS with certificate and
// host-name verification, AUTH, SELECT, CLIENT SETNAME) within
// connect_timeout and is re-established in the background with exponential
// backoff and jitter whenever it fails.
//
// Modes (Options::mode): standalone, one server at {host, port}; sentinel, the
// primary found through the Sentinels in Options::nodes before every connect
// (SENTINEL GET-MASTER-ADDR-BY-NAME, each Sentinel in order within
// connect_timeout), accepted only if ROLE says master. A subscription to
// +switch-master on one Sentinel, and a READONLY error reply, close every
// connection so they reconnect to the new primary; all connections go to one
// primary. With identify_server the new primary's run_id makes server_id()
// change after a failover (redis/sentinel.hpp).
//
// The client never waits for a connection: with none ready a command fails at
// once with error::not_connected, so a cache in front of a database can fail
// open. Results:
//   - a Reply (which may be a server error reply such as NOPERM: a value);
//   - error::timeout at the command's deadline (`timeout`, or
//     Options::command_timeout when zero). The command may still execute on
//     the server; its late reply is discarded;
//   - error::connection_lost when its connection failed while it waited
//     (including a connection that left a reply overdue by 2 x connect_timeout);
//   - error::not_connected, error::closed (after stop());
//   - asio::error::operation_aborted when the awaiting coroutine's
//     cancellation slot is emitted (e.g. awaitable operators, a cancelled
//     co_spawn); the command may still execute on the server.
//
// Modes (Options::mode): standalone is the above, for one server. cluster talks to a
// Redis Cluster: it learns the slot map from the seed nodes (CLUSTER SLOTS), keeps the
// connections above per primary, sends each command to the primary of its key's slot
// (the key: argv[1], or the first key of EVAL/EVALSHA; keyless commands such as PING,
// INFO or SCRIPT LOAD go to any primary), follows MOVED and ASK within the command's
// deadline and refreshes the map in the background (cluster.hpp has the details).
// connected() then means "the map is known and a primary is reachable"; server_id() is
// a digest of every primary's run_id. The interface is the same in every mode.
//
// Thread-safety: none. Create, call and destroy a Client on its executor's
// thread only (one Client per io_context thread, "shard"). The destructor
// calls stop(); background work then finishes on the executor.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/result.hpp>
#include <chrono>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "redis/command.hpp"
#include "redis/errors.hpp"
#include "redis/options.hpp"
#include "redis/resp.hpp"
#include "redis/script.hpp"

namespace shopfloor::redis {

namespace asio = boost::asio;

namespace detail {
class Cluster;
}

class Client {
 public:
  Client(asio::any_io_executor ex, Options opts);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Starts connecting in the background; returns at once. Call once.
  void start();
  // Closes the connections and stops reconnecting; commands still waiting
  // complete with error::closed, later ones with error::closed too. Final.
  void stop();
  // At least one connection is ready.
  bool connected() const;
  // Why the last connection attempt failed or the last connection was lost
  // (auth_failed, timeout, connection_lost, a socket or TLS error...); empty
  // while every connection has stayed up since the last success.
  boost::system::error_code last_error() const;

  // One command. Arguments are formatted when command() is called, so
  // temporaries passed in are safe even if the awaitable is awaited later.
  // `timeout` zero means Options::command_timeout; it is measured from when
  // the awaitable starts running.
  // With g++ 12 a braced list cannot appear inside a co_await expression: see
  // command.hpp for the two ways around it (split the call, or Command).
  asio::awaitable<boost::system::result<Reply>> command(
      std::initializer_list<std::string_view> args, std::chrono::milliseconds timeout = {});
  asio::awaitable<boost::system::result<Reply>> command(std::vector<std::string> args,
                                                        std::chrono::milliseconds timeout = {});
  asio::awaitable<boost::system::result<Reply>> command(Command command,
                                                        std::chrono::milliseconds timeout = {});

  // EVALSHA script.sha1() numkeys keys... args...; on a NOSCRIPT error reply
  // the body is loaded (SCRIPT LOAD, pipelined with a second EVALSHA) and the
  // second reply returned. One deadline covers both round trips. The script
  // is copied and keys and args are formatted at the call, so none of them
  // need outlive it.
  asio::awaitable<boost::system::result<Reply>> eval(const Script& script,
                                                     const std::vector<std::string>& keys,
                                                     const std::vector<std::string>& args,
                                                     std::chrono::milliseconds timeout = {});

  // Called on the client's executor each time a connection becomes ready
  // after that connection had been up and was lost (not on its first
  // connect), i.e. once per connection per outage; the cache resyncs there.
  // Set before start(). Exceptions it throws are logged and ignored.
  void on_reconnect(std::function<void()> callback);

  // With Options::identify_server: the run_id of the server the newest connection
  // reached, and how many times it differed from the one before (the first connection
  // counts as one). A restarted server (perhaps restored from a snapshot) or a
  // promoted replica has a new run_id. on_server_change runs on the client's executor
  // as soon as a connection to a new server is ready, before that connection carries
  // any command. Set before start().
  const std::string& server_id() const;
  std::uint64_t server_changes() const;
  void on_server_change(std::function<void(const std::string& server_id)> callback);

  const Options& options() const;

 private:
  friend class detail::Cluster;
  // Cluster mode drives one standalone Client per primary through this: `count`
  // commands already formatted in `bytes`, their replies in order, one deadline.
  asio::awaitable<boost::system::result<std::vector<Reply>>> exec(
      std::string bytes, std::size_t count, std::chrono::steady_clock::time_point deadline);

  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace shopfloor::redis
