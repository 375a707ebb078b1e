// Listener: an RAII LISTEN scope that owns its own PostgreSQL connection.
//
// start() connects, issues LISTEN for every channel (identifiers quoted with
// PQescapeIdentifier; channels are fixed names from code, case-sensitive) and then
// calls on_resync(). From then on each NOTIFY on those channels calls
// on_notify(channel, payload), in arrival order, on the executor.
//
// When the connection drops (server restart, pg_terminate_backend, network) the
// Listener reconnects: the first attempt at once, then after
// Options::connect_backoff, doubling up to connect_backoff_max. After every
// successful (re)connect + LISTEN — the first one included — it calls on_resync():
// notifications sent while nobody listened are lost, so the owner must treat its
// derived state as stale (e.g. reload or invalidate everything).
// Heartbeat: every `heartbeat` it sends a "SELECT 1" on the listening connection, busy
// or idle. PostgreSQL sends a session the notifications committed before a statement
// ahead of that statement's reply, so once the reply is in and the notifications that
// came with it are delivered, every notification committed before the ping was sent has
// reached on_notify: on_alive(sent) says so. A link that died without an error (a
// frozen server, a lost network path) stops the on_alive calls at once, and fails the
// ping after heartbeat_timeout, which reconnects. The owner bounds how long it trusts
// derived state after the last on_alive (pg/change_feed.hpp).
// on_alive(attempt) is also called after a connection attempt started at `attempt` was
// refused (failed well within connect_timeout) and nothing even accepts a connection at
// the server's address (TCP refused; for a Unix socket, no socket file): the server was
// down, so nobody could commit through it. A refusal by a postmaster that still runs —
// shutting down while its backends finish their commits, too many clients, a password
// or pg_hba refusal — vouches for nothing: other sessions may be committing. Either way
// the next attempt follows after at most `heartbeat`, so that the server is heard of soon
// once it is back. An attempt that times out (silence: a lost path, a frozen host)
// vouches for nothing.
//
// Deadlines: connect is bounded by connect_timeout, LISTEN by query_timeout, the ping
// by heartbeat_timeout. stop() (also run by the destructor) closes the connection and
// cancels the backoff wait; no callback runs after stop(). A connect attempt
// already in flight finishes in the background (at most connect_timeout) and is
// then discarded.
//
// Callbacks must not throw (exceptions are caught and logged). They may call
// stop() or destroy the Listener.
//
// Thread-safety: none; create, start, stop and destroy it on its executor's
// thread. Callbacks run on that executor.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pg/options.hpp"

namespace shopfloor::pg {

namespace asio = boost::asio;

class Listener {
 public:
  using NotifyHandler = std::function<void(std::string_view channel, std::string_view payload)>;
  using ResyncHandler = std::function<void()>;
  using AliveHandler = std::function<void(std::chrono::steady_clock::time_point sent)>;

  // Interval between heartbeat pings, and how long one may take before the connection
  // is given up and made again.
  static constexpr std::chrono::milliseconds heartbeat{200};
  static constexpr std::chrono::milliseconds heartbeat_timeout{2000};

  Listener(asio::any_io_executor ex, Options opts, std::vector<std::string> channels,
           NotifyHandler on_notify, ResyncHandler on_resync, AliveHandler on_alive = {});
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  void start();  // no-op when already started
  void stop();   // idempotent; start() may be called again afterwards

  // True between a successful LISTEN and the loss of that connection (or stop()).
  bool listening() const noexcept;

  // The server process of the current connection (0 when not connected).
  int backend_pid() const noexcept;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace shopfloor::pg
