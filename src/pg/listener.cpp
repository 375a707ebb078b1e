// Listener: connect → LISTEN → on_resync → deliver notifications; reconnect on loss.
#include "pg/listener.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>

#include "pg/connection.hpp"
#include "pg/stats.hpp"

namespace shopfloor::pg {

using Clock = std::chrono::steady_clock;

namespace {

// How long the probe below may take: a refusal comes back at once on loopback or a LAN.
constexpr std::chrono::milliseconds kProbeTimeout{250};

// True when connecting to `socket` at `endpoint` fails with one of `nobody` within
// kProbeTimeout.
template <class Socket, class Endpoint>
asio::awaitable<bool> refused_by_the_address(
    Socket& socket, Endpoint endpoint, const std::vector<boost::system::errc::errc_t>& nobody) {
  asio::steady_timer timer(socket.get_executor(), kProbeTimeout);
  auto [order, connect_ec, timer_ec] =
      co_await asio::experimental::make_parallel_group(
          socket.async_connect(endpoint, asio::deferred), timer.async_wait(asio::deferred))
          .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
  (void)timer_ec;
  if (order[0] != 0) co_return false;  // no answer in time: not proven down
  for (const auto condition : nobody)  // (asio's system codes compare equal to the errc)
    if (connect_ec == condition) co_return true;
  co_return false;
}

// Whether nothing accepts connections at the server's address: a TCP connection refused,
// or for a Unix socket directory no socket file or a refusal. Only that proves the server
// down: no session of it can commit. A quick refusal by a postmaster that is still running
// (shutting down while its backends finish their commits, too many clients, a password
// or pg_hba refusal) leaves other sessions committing.
asio::awaitable<bool> nobody_listening(asio::any_io_executor ex, const Options& o) {
  namespace errc = boost::system::errc;
  // (No braced list inside a co_await expression: g++ 12 miscompiles it.)
  if (!o.host.empty() && o.host.front() == '/') {
    asio::local::stream_protocol::socket socket(ex);
    const asio::local::stream_protocol::endpoint at(o.host + "/.s.PGSQL." + std::to_string(o.port));
    const std::vector<errc::errc_t> nobody{errc::connection_refused,
                                           errc::no_such_file_or_directory};
    const bool down = co_await refused_by_the_address(socket, at, nobody);
    co_return down;
  }
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(o.host, ec);
  if (ec) co_return false;  // a host name: not resolved here (blocking); not proven down
  asio::ip::tcp::socket socket(ex);
  const asio::ip::tcp::endpoint at(address, o.port);
  const std::vector<errc::errc_t> nobody{errc::connection_refused};
  const bool down = co_await refused_by_the_address(socket, at, nobody);
  co_return down;
}

}  // namespace

struct Listener::Impl : std::enable_shared_from_this<Listener::Impl> {
  Impl(asio::any_io_executor e, Options o, std::vector<std::string> ch, NotifyHandler n,
       ResyncHandler r, AliveHandler a)
      : ex(std::move(e)),
        opts(std::move(o)),
        channels(std::move(ch)),
        on_notify(std::move(n)),
        on_resync(std::move(r)),
        on_alive(std::move(a)),
        backoff_timer(ex) {}

  asio::any_io_executor ex;
  Options opts;
  std::vector<std::string> channels;
  NotifyHandler on_notify;
  ResyncHandler on_resync;
  AliveHandler on_alive;
  asio::steady_timer backoff_timer;
  Connection* conn = nullptr;  // the current loop's connection, for stop()
  unsigned generation = 0;     // bumped by stop(): loops of older generations exit
  bool running = false;
  bool listening = false;

  // The only writer of `listening`: keeps shopfloor_listener_connected in step.
  void set_listening(bool now) {
    if (now != listening) ListenerStats::instance().connected.add(now ? 1 : -1);
    listening = now;
  }

  void stop() {
    ++generation;
    running = false;
    set_listening(false);
    backoff_timer.cancel();
    if (conn) conn->close();
  }

  // Issues LISTEN for every channel; false (logged) on failure.
  static asio::awaitable<bool> listen_all(std::shared_ptr<Impl> self, Connection& c, unsigned gen) {
    for (const auto& channel : self->channels) {
      auto quoted = c.quote_identifier(channel);
      if (!quoted) {
        spdlog::error("pg listener: cannot quote channel name: {}", quoted.error().message);
        co_return false;
      }
      auto r = co_await c.query("LISTEN " + *quoted);
      if (self->generation != gen) co_return false;
      if (!r) {
        spdlog::warn("pg listener: LISTEN failed: {}", to_string(r.error()));
        co_return false;
      }
    }
    co_return true;
  }

  static asio::awaitable<void> run(std::shared_ptr<Impl> self, unsigned gen) {
    auto stopped = [&] { return self->generation != gen; };
    std::chrono::milliseconds backoff{0};
    while (!stopped()) {
      if (backoff.count() > 0) {
        self->backoff_timer.expires_after(backoff);
        co_await self->backoff_timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (stopped()) break;
      }
      // The delay before the next attempt should this one fail.
      backoff = backoff.count() == 0 ? self->opts.connect_backoff
                                     : std::min(backoff * 2, self->opts.connect_backoff_max);

      const auto attempt = Clock::now();
      auto connected = co_await Connection::connect(self->ex, self->opts);
      if (stopped()) break;
      if (!connected) {
        // Refused (an answer well within connect_timeout, not silence): try again soon,
        // so that the server is heard of soon once it is back. The server is down — and
        // says so (on_alive) — only if nothing even accepts a connection at its address.
        const bool refused = Clock::now() - attempt < self->opts.connect_timeout / 2;
        if (refused) backoff = std::min(backoff, std::chrono::milliseconds(heartbeat));
        bool down = false;
        if (refused) {  // (not in the condition: g++ 12 and co_await in && or ?:)
          const bool nobody = co_await nobody_listening(self->ex, self->opts);
          down = nobody;
        }
        if (stopped()) break;
        spdlog::warn("pg listener: connect failed ({}){}; retrying in {} ms",
                     connected.error().message,
                     refused && !down ? " (the server is up and refused it)" : "", backoff.count());
        if (down) self->call_alive(attempt);
        continue;
      }
      std::unique_ptr<Connection> conn = std::move(*connected);
      self->conn = conn.get();
      struct Forget {  // stop() must never see a destroyed connection
        Impl& self;
        Connection* mine;
        ~Forget() {
          if (self.conn == mine) {
            self.conn = nullptr;
            self.set_listening(false);
          }
        }
      } forget{*self, conn.get()};

      if (!co_await listen_all(self, *conn, gen)) continue;
      if (stopped()) break;
      self->set_listening(true);
      ListenerStats::instance().resyncs.inc();
      backoff = std::chrono::milliseconds(0);  // the next loss reconnects at once
      spdlog::info("pg listener: listening on {} channel(s) (backend pid {})",
                   self->channels.size(), conn->backend_pid());
      self->call_resync();

      auto next_ping = Clock::now();
      while (!stopped()) {
        const auto now = Clock::now();
        if (now >= next_ping) {
          const bool alive = co_await ping(self, *conn, gen, now);
          if (!alive) break;
          next_ping = now + heartbeat;
          continue;
        }
        auto batch = co_await conn->wait_notifications(
            std::chrono::ceil<std::chrono::milliseconds>(next_ping - now));
        if (stopped()) break;
        if (!batch) {
          spdlog::warn("pg listener: connection lost ({}); reconnecting", batch.error().message);
          self->deliver(conn->take_notifications(), gen);
          break;
        }
        self->deliver(*batch, gen);
      }
    }
  }

  // One ping: "SELECT 1", then the notifications that arrived with its reply, then
  // on_alive(sent). False (logged) when the connection must be made again.
  static asio::awaitable<bool> ping(std::shared_ptr<Impl> self, Connection& conn, unsigned gen,
                                    Clock::time_point sent) {
    auto reply = co_await conn.query("SELECT 1", {}, heartbeat_timeout);
    if (self->generation != gen) co_return false;
    if (!reply) {
      spdlog::warn("pg listener: heartbeat failed ({}); reconnecting", reply.error().message);
      // What arrived before the reply was due is still the server's word: handle it (the
      // resync on reconnect comes later, and only if the server is back).
      self->deliver(conn.take_notifications(), gen);
      co_return false;
    }
    auto arrived = co_await conn.wait_notifications(std::chrono::milliseconds(0));
    if (self->generation != gen) co_return false;
    if (!arrived) {
      spdlog::warn("pg listener: connection lost ({}); reconnecting", arrived.error().message);
      self->deliver(conn.take_notifications(), gen);
      co_return false;
    }
    self->deliver(*arrived, gen);
    if (self->generation != gen) co_return false;
    ListenerStats::instance().heartbeat_seconds.observe(
        std::chrono::duration<double>(Clock::now() - sent).count());
    self->call_alive(sent);
    co_return true;
  }

  void deliver(const std::vector<Notification>& batch, unsigned gen) {
    for (const auto& n : batch) {
      if (generation != gen) return;
      call_notify(n);
    }
  }

  void call_resync() {
    if (!on_resync) return;
    try {
      on_resync();
    } catch (const std::exception& e) {
      spdlog::error("pg listener: on_resync threw: {}", e.what());
    } catch (...) {
      spdlog::error("pg listener: on_resync threw");
    }
  }

  void call_alive(Clock::time_point sent) {
    if (!on_alive) return;
    try {
      on_alive(sent);
    } catch (const std::exception& e) {
      spdlog::error("pg listener: on_alive threw: {}", e.what());
    } catch (...) {
      spdlog::error("pg listener: on_alive threw");
    }
  }

  void call_notify(const Notification& n) {
    if (!on_notify) return;
    try {
      on_notify(n.channel, n.payload);
    } catch (const std::exception& e) {
      spdlog::error("pg listener: on_notify threw: {}", e.what());
    } catch (...) {
      spdlog::error("pg listener: on_notify threw");
    }
  }
};

Listener::Listener(asio::any_io_executor ex, Options opts, std::vector<std::string> channels,
                   NotifyHandler on_notify, ResyncHandler on_resync, AliveHandler on_alive)
    : impl_(std::make_shared<Impl>(std::move(ex), std::move(opts), std::move(channels),
                                   std::move(on_notify), std::move(on_resync),
                                   std::move(on_alive))) {}

Listener::~Listener() {
  impl_->stop();
}

void Listener::start() {
  if (impl_->running) return;
  impl_->running = true;
  asio::co_spawn(impl_->ex, Impl::run(impl_, impl_->generation), asio::detached);
}

void Listener::stop() {
  impl_->stop();
}

bool Listener::listening() const noexcept {
  return impl_->listening;
}

int Listener::backend_pid() const noexcept {
  return impl_->conn && !impl_->conn->broken() ? impl_->conn->backend_pid() : 0;
}

}  // namespace shopfloor::pg
