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
// While idle it sends a "SELECT 1" every idle_ping to detect a dead link that
// never reported an error.
//
// Deadlines: connect is bounded by connect_timeout, LISTEN and the ping by
// query_timeout. stop() (also run by the destructor) closes the connection and
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

  // How long the connection may stay silent before a "SELECT 1" checks it.
  static constexpr std::chrono::seconds idle_ping{30};

  Listener(asio::any_io_executor ex, Options opts, std::vector<std::string> channels,
           NotifyHandler on_notify, ResyncHandler on_resync);
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
