// redis::Client: connection slots with a supervisor coroutine each (connect,
// serve, back off, reconnect), round-robin dispatch and EVALSHA/NOSCRIPT. In
// sentinel mode every connect first asks the Sentinels where the primary is
// (redis/sentinel.hpp), and a SentinelWatch drops the connections when it moves.
#include "redis/client.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <random>

#include "redis/cluster.hpp"
#include "redis/connection.hpp"
#include "redis/sentinel.hpp"
#include "redis/stats.hpp"
#include "redis/transport.hpp"

namespace shopfloor::redis {

using boost::system::error_code;
using detail::Clock;
using detail::Connection;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

// Counts one ready connection in shopfloor_redis_connections_up for as long as it
// lives: also when the supervising coroutine is destroyed without resuming.
class CountedUp {
 public:
  CountedUp() { ClientStats::instance().connections_up.add(1); }
  ~CountedUp() { ClientStats::instance().connections_up.add(-1); }
  CountedUp(const CountedUp&) = delete;
  CountedUp& operator=(const CountedUp&) = delete;
};

// A server error reply is an answer, but one an operator wants counted.
void count_reply(const Reply& reply) {
  if (reply.is_error()) ClientStats::instance().command_error_reply.inc();
}

}  // namespace

struct Client::Impl : std::enable_shared_from_this<Impl> {
  struct Slot {
    explicit Slot(asio::any_io_executor ex) : backoff(ex) {}
    std::shared_ptr<Connection> connection;
    asio::steady_timer backoff;
    Endpoint endpoint;        // where `connection` goes (sentinel mode: the primary found)
    bool ever_ready = false;  // on_reconnect fires only after a first success
    bool failing = false;     // a failure was logged at warn since the last success
    unsigned failures = 0;    // consecutive failed attempts, for the backoff
  };

  Impl(asio::any_io_executor executor, Options o)
      : ex(std::move(executor)), opts(std::move(o)), rng(std::random_device{}()) {
    if (opts.connections == 0) opts.connections = 1;
    if (opts.mode == Mode::cluster) {
      cluster = std::make_shared<detail::Cluster>(ex, opts);
      return;
    }
    for (std::size_t i = 0; i < opts.connections; ++i) slots.push_back(std::make_unique<Slot>(ex));
  }

  asio::any_io_executor ex;
  Options opts;
  std::shared_ptr<detail::TlsContext> tls;
  std::vector<std::unique_ptr<Slot>> slots;
  std::size_t next_slot = 0;
  std::size_t last_slot = 0;
  bool started = false;
  bool stopped = false;
  std::function<void()> on_reconnect;
  std::function<void(const std::string&)> on_server_change;
  std::string server_id;  // identify_server: the newest connection's server
  std::uint64_t server_changes = 0;
  std::minstd_rand rng;
  error_code last_error;
  // Mode::cluster: the router; then `slots` stay empty and every call goes to it.
  std::shared_ptr<detail::Cluster> cluster;
  // sentinel mode: the subscription to +switch-master, and the primary the newest
  // connection reached (empty before the first).
  std::shared_ptr<detail::SentinelWatch> watch;
  Endpoint primary;

  bool sentinel() const { return opts.mode == Mode::sentinel; }

  // Sentinel mode: every data connection goes to one primary. Closes the connections
  // (ready or still connecting) that go elsewhere; their supervisors reconnect through
  // the Sentinels. Commands waiting on them fail with connection_lost: a write sent to
  // a demoted primary must not look acknowledged.
  void drop_connections_not_to(const Endpoint& to, const Connection* except) {
    for (auto& slot : slots) {
      if (slot->connection && slot->connection.get() != except && slot->endpoint != to) {
        slot->connection->close(make_error_code(error::connection_lost));
      }
    }
  }

  // A Sentinel announced a new primary.
  void follow(const Endpoint& to) {
    if (stopped) return;
    spdlog::warn("redis: Sentinel switched '{}' to {}:{}; reconnecting there", opts.sentinel_master,
                 to.host, to.port);
    drop_connections_not_to(to, nullptr);
  }

  std::chrono::milliseconds timeout_or_default(std::chrono::milliseconds t) const {
    return t.count() > 0 ? t : opts.command_timeout;
  }

  // Round robin per write batch: a command joins the batch still being
  // gathered on the connection picked last (its bytes not yet taken by the
  // writer, under 64 KiB), so commands issued in one turn of the event loop
  // share one write and one TLS record; the next batch goes to the next ready
  // connection.
  std::shared_ptr<Connection> pick() {
    const std::size_t n = slots.size();
    if (n == 0) return nullptr;  // cluster mode: the router's node clients carry commands
    if (auto& last = slots[last_slot]->connection; last && last->ready() && last->gathering()) {
      return last;
    }
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t i = (next_slot + k) % n;
      auto& slot = *slots[i];
      if (slot.connection && slot.connection->ready()) {
        next_slot = (i + 1) % n;
        last_slot = i;
        return slot.connection;
      }
    }
    return nullptr;
  }

  void start() {
    if (started || stopped) return;
    started = true;
    if (cluster) {
      cluster->start();
      return;
    }
    if (opts.tls) {
      std::string why;
      tls = detail::make_tls_context(opts, why);
      if (!tls) {
        // Misconfiguration: every attempt would fail the same way. Stay
        // disconnected (callers fail open) and say why once.
        spdlog::error("redis: TLS setup for {}:{} failed: {}", opts.host, opts.port, why);
        last_error = make_error_code(error::handshake_failed);
        return;
      }
    }
    if (sentinel()) {
      std::weak_ptr<Impl> weak = weak_from_this();
      watch = std::make_shared<detail::SentinelWatch>(ex, opts, tls, [weak](const Endpoint& to) {
        if (auto self = weak.lock()) self->follow(to);
      });
      watch->start();
    }
    for (std::size_t i = 0; i < slots.size(); ++i) {
      asio::co_spawn(ex, supervise(shared_from_this(), i), [](std::exception_ptr e) {
        detail::log_exception("redis", "connection supervisor", e);
      });
    }
  }

  void stop() {
    if (stopped) return;
    stopped = true;
    if (cluster) cluster->stop();
    if (watch) watch->stop();
    for (auto& slot : slots) {
      if (slot->connection) slot->connection->close(make_error_code(error::closed));
      slot->backoff.cancel();
    }
  }

  static asio::awaitable<void> supervise(std::shared_ptr<Impl> self, std::size_t index) {
    Slot& slot = *self->slots[index];
    // Where this attempt connects: the configured server, or in sentinel mode the
    // primary the Sentinels name now.
    Options o = self->opts;
    while (!self->stopped) {
      std::string why;
      error_code ec;
      std::shared_ptr<Connection> connection;
      if (self->sentinel()) {
        slot.connection.reset();
        auto where = co_await detail::discover_primary(self->ex, self->opts, self->tls, why);
        if (self->stopped) break;
        if (where) {
          o.host = where->host;
          o.port = where->port;
        } else {
          ec = where.error();
        }
      }
      if (!ec) {
        connection = std::make_shared<Connection>(self->ex, o, self->tls, index, self->sentinel());
        slot.connection = connection;
        slot.endpoint = Endpoint{o.host, o.port};
        ec = co_await connection->connect(why);
        if (self->stopped) break;
      }
      if (ec) {
        self->last_error = ec;
        ClientStats::instance().connection_error(ec).inc();
        // Without a connection the Sentinels were asked and none answered.
        const std::string target = connection ? o.host + ":" + std::to_string(o.port)
                                              : "primary '" + o.sentinel_master + "'";
        if (!slot.failing) {
          spdlog::warn("redis: connection {} to {} failed ({}): {}; retrying with backoff", index,
                       target, ec.message(), why);
          slot.failing = true;
        } else {
          spdlog::debug("redis: connection {} to {} failed again ({}): {}", index, target,
                        ec.message(), why);
        }
        slot.backoff.expires_after(detail::reconnect_delay(self->opts, slot.failures++, self->rng));
        co_await slot.backoff.async_wait(kUseTuple);
        continue;
      }

      if (slot.failing) {
        spdlog::info("redis: connection {} to {}:{} restored", index, o.host, o.port);
      } else {
        spdlog::debug("redis: connection {} to {}:{} ready", index, o.host, o.port);
      }
      slot.failing = false;
      slot.failures = 0;
      if (self->sentinel() && slot.endpoint != self->primary) {
        if (!self->primary.host.empty()) {
          ClientStats::instance().failovers_followed.inc();
          spdlog::warn("redis: the primary '{}' moved from {}:{} to {}:{}", o.sentinel_master,
                       self->primary.host, self->primary.port, o.host, o.port);
        }
        self->primary = slot.endpoint;
        self->drop_connections_not_to(slot.endpoint, connection.get());
      }
      // Still before this connection carries its first command (no suspension since
      // connect() made it ready): whoever keys data by server learns of a new one first.
      if (o.identify_server && connection->server_id() != self->server_id) {
        if (!self->server_id.empty()) {
          spdlog::warn("redis: {}:{} is a different server now (run_id {} -> {})", o.host, o.port,
                       self->server_id, connection->server_id());
        }
        self->server_id = connection->server_id();
        ++self->server_changes;
        if (self->on_server_change) {
          try {
            self->on_server_change(self->server_id);
          } catch (...) {
            detail::log_exception("redis", "on_server_change callback", std::current_exception());
          }
        }
      }
      bool all_up = true;
      for (auto& s : self->slots) all_up = all_up && s->connection && s->connection->ready();
      if (all_up) self->last_error = {};
      const bool reconnected = slot.ever_ready;
      slot.ever_ready = true;
      if (reconnected) ClientStats::instance().reconnects.inc();
      if (reconnected && self->on_reconnect) {
        try {
          self->on_reconnect();
        } catch (...) {
          detail::log_exception("redis", "on_reconnect callback", std::current_exception());
        }
      }

      error_code reason;
      {
        CountedUp up;
        reason = co_await connection->run();
      }
      if (self->stopped) break;
      ClientStats::instance().connection_error(reason).inc();
      self->last_error = reason;
      spdlog::warn("redis: connection {} to {}:{} lost ({}); reconnecting", index, o.host, o.port,
                   reason.message());
      slot.failing = true;
      slot.backoff.expires_after(detail::reconnect_delay(self->opts, 0, self->rng));
      co_await slot.backoff.async_wait(kUseTuple);
    }
    spdlog::debug("redis: connection {} to {}:{} closed", index, o.host, o.port);
  }

  // Sends `bytes` (`count` commands) on the next ready connection and waits
  // for the replies or the deadline.
  static asio::awaitable<boost::system::result<std::vector<Reply>>> exec(
      std::shared_ptr<Impl> self, std::string bytes, std::size_t count,
      Clock::time_point deadline) {
    ClientStats& stats = ClientStats::instance();
    if (self->stopped) {
      const auto closed = make_error_code(error::closed);
      stats.command_error(closed).inc();
      co_return closed;
    }
    auto connection = self->pick();
    if (!connection) {
      const auto none = make_error_code(error::not_connected);
      stats.command_error(none).inc();
      co_return none;
    }
    const auto sent = Clock::now();
    auto [ec, replies] =
        co_await asio::async_initiate<decltype(kUseTuple), void(error_code, std::vector<Reply>)>(
            [&](auto handler) {
              auto cancel = asio::get_associated_cancellation_slot(handler);
              connection->submit(bytes, count, deadline,
                                 detail::ReplyHandler::wrap(std::move(handler)), cancel);
            },
            kUseTuple);
    if (ec) {
      stats.command_error(ec).inc();
      co_return ec;
    }
    if (self->sentinel()) {
      for (const Reply& reply : replies) {
        if (!reply.is_error_code("READONLY")) continue;
        // The node became a replica (a failover this client has not heard of):
        // reconnect through the Sentinels. The reply itself is the caller's answer.
        for (const auto& slot : self->slots) {
          if (slot->connection != connection) continue;
          spdlog::warn("redis: {}:{} answered READONLY: it is a replica now; rediscovering",
                       slot->endpoint.host, slot->endpoint.port);
        }
        connection->close(make_error_code(error::connection_lost));
        break;
      }
    }
    stats.command_seconds.observe(std::chrono::duration<double>(Clock::now() - sent).count());
    co_return std::move(replies);
  }

  static asio::awaitable<boost::system::result<Reply>> exec_one(std::shared_ptr<Impl> self,
                                                                std::string bytes,
                                                                std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + self->timeout_or_default(timeout);
    auto replies = co_await exec(std::move(self), std::move(bytes), 1, deadline);
    if (!replies) co_return replies.error();
    count_reply(replies->front());
    co_return std::move(replies->front());
  }

  static asio::awaitable<boost::system::result<Reply>> dispatch(std::shared_ptr<Impl> self,
                                                                std::string bytes,
                                                                std::chrono::milliseconds timeout);

  static asio::awaitable<boost::system::result<Reply>> exec_script(
      std::shared_ptr<Impl> self, std::string evalsha, std::string body,
      std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + self->timeout_or_default(timeout);
    auto first = co_await exec(self, evalsha, 1, deadline);
    if (!first) co_return first.error();
    if (!first->front().is_error_code("NOSCRIPT")) {
      count_reply(first->front());
      co_return std::move(first->front());
    }
    // The server's script cache lost it (SCRIPT FLUSH, restart, failover):
    // load and retry in one round trip.
    spdlog::debug("redis: NOSCRIPT; loading the script and retrying");
    std::string bytes;
    std::string_view load[] = {"SCRIPT", "LOAD", body};
    append_command(bytes, load);
    bytes += evalsha;
    auto second = co_await exec(std::move(self), std::move(bytes), 2, deadline);
    if (!second) co_return second.error();
    const std::size_t answer = (*second)[0].is_error() ? 0 : 1;
    count_reply((*second)[answer]);
    co_return std::move((*second)[answer]);
  }
};

Client::Client(asio::any_io_executor ex, Options opts)
    : impl_(std::make_shared<Impl>(std::move(ex), std::move(opts))) {}

Client::~Client() {
  impl_->stop();
}

void Client::start() {
  impl_->start();
}
void Client::stop() {
  impl_->stop();
}

bool Client::connected() const {
  if (impl_->cluster) return impl_->cluster->connected();
  for (auto& slot : impl_->slots) {
    if (slot->connection && slot->connection->ready()) return true;
  }
  return false;
}

error_code Client::last_error() const {
  if (impl_->cluster) return impl_->cluster->last_error();
  return impl_->last_error;
}

const Options& Client::options() const {
  return impl_->opts;
}

const std::string& Client::server_id() const {
  if (impl_->cluster) return impl_->cluster->server_id();
  return impl_->server_id;
}
std::uint64_t Client::server_changes() const {
  if (impl_->cluster) return impl_->cluster->server_changes();
  return impl_->server_changes;
}
void Client::on_server_change(std::function<void(const std::string&)> callback) {
  if (impl_->cluster) {
    impl_->cluster->on_server_change(std::move(callback));
  } else {
    impl_->on_server_change = std::move(callback);
  }
}

void Client::on_reconnect(std::function<void()> callback) {
  if (impl_->cluster) {
    impl_->cluster->on_reconnect(std::move(callback));
  } else {
    impl_->on_reconnect = std::move(callback);
  }
}

asio::awaitable<boost::system::result<std::vector<Reply>>> Client::exec(
    std::string bytes, std::size_t count, std::chrono::steady_clock::time_point deadline) {
  return Impl::exec(impl_, std::move(bytes), count, deadline);
}

// Every command goes through here: the router in cluster mode, the connections otherwise.
asio::awaitable<boost::system::result<Reply>> Client::Impl::dispatch(
    std::shared_ptr<Impl> self, std::string bytes, std::chrono::milliseconds timeout) {
  if (self->cluster) return detail::Cluster::command(self->cluster, std::move(bytes), timeout);
  return exec_one(std::move(self), std::move(bytes), timeout);
}

asio::awaitable<boost::system::result<Reply>> Client::command(
    std::initializer_list<std::string_view> args, std::chrono::milliseconds timeout) {
  // Not a coroutine: the arguments are formatted now, while they are alive.
  return Impl::dispatch(impl_, format_command(std::span(args.begin(), args.size())), timeout);
}

asio::awaitable<boost::system::result<Reply>> Client::command(std::vector<std::string> args,
                                                              std::chrono::milliseconds timeout) {
  return Impl::dispatch(impl_, format_command(std::span<const std::string>(args)), timeout);
}

asio::awaitable<boost::system::result<Reply>> Client::command(Command command,
                                                              std::chrono::milliseconds timeout) {
  return Impl::dispatch(impl_, std::move(command).bytes(), timeout);
}

asio::awaitable<boost::system::result<Reply>> Client::eval(const Script& script,
                                                           const std::vector<std::string>& keys,
                                                           const std::vector<std::string>& args,
                                                           std::chrono::milliseconds timeout) {
  // Not a coroutine: keys and args are formatted now, while they are alive.
  std::vector<std::string_view> argv;
  argv.reserve(3 + keys.size() + args.size());
  const std::string numkeys = std::to_string(keys.size());
  argv.push_back("EVALSHA");
  argv.push_back(script.sha1());
  argv.push_back(numkeys);
  for (const auto& k : keys) argv.push_back(k);
  for (const auto& a : args) argv.push_back(a);
  if (impl_->cluster) {
    return detail::Cluster::eval(impl_->cluster, format_command(argv), script.body(), timeout);
  }
  return Impl::exec_script(impl_, format_command(argv), script.body(), timeout);
}

}  // namespace shopfloor::redis
