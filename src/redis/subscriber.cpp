// redis::Subscriber: one connection's life per session (establish with
// SUBSCRIBE in the handshake, read messages, ping), wrapped in a reconnect
// loop with backoff.
#include "redis/subscriber.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <random>

#include "redis/connection.hpp"
#include "redis/resp.hpp"
#include "redis/transport.hpp"

namespace shopfloor::redis {

using boost::system::error_code;
using detail::Clock;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

}  // namespace

struct Subscriber::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::any_io_executor executor, Options o, std::vector<std::string> ch,
       MessageHandler message_cb, std::function<void()> resubscribed_cb)
      : ex(std::move(executor)),
        opts(std::move(o)),
        channels(std::move(ch)),
        on_message(std::move(message_cb)),
        on_resubscribed(std::move(resubscribed_cb)),
        backoff(ex),
        rng(std::random_device{}()) {}

  asio::any_io_executor ex;
  Options opts;
  std::vector<std::string> channels;
  MessageHandler on_message;
  std::function<void()> on_resubscribed;
  std::shared_ptr<detail::TlsContext> tls;
  asio::steady_timer backoff;
  std::minstd_rand rng;

  // The current session's transport and ping timer, for stop().
  std::shared_ptr<detail::Transport> transport;
  std::weak_ptr<asio::steady_timer> ping_timer;
  Clock::time_point last_read;

  bool started = false;
  bool stopped = false;
  bool subscribed = false;
  bool ever_subscribed = false;
  error_code last_error;

  void start() {
    if (started || stopped) return;
    started = true;
    if (channels.empty()) {
      spdlog::error("redis subscriber: no channels to subscribe to; not starting");
      return;
    }
    if (opts.tls) {
      std::string why;
      tls = detail::make_tls_context(opts, why);
      if (!tls) {
        spdlog::error("redis subscriber: TLS setup for {}:{} failed: {}", opts.host, opts.port,
                      why);
        last_error = make_error_code(error::handshake_failed);
        return;
      }
    }
    asio::co_spawn(ex, supervise(shared_from_this()), [](std::exception_ptr e) {
      detail::log_exception("redis subscriber", "supervisor", e);
    });
  }

  void stop() {
    if (stopped) return;
    stopped = true;
    subscribed = false;
    if (transport) transport->close();
    if (auto timer = ping_timer.lock()) timer->cancel();
    backoff.cancel();
  }

  static asio::awaitable<void> supervise(std::shared_ptr<Impl> self) {
    bool failing = false;
    unsigned failures = 0;
    while (!self->stopped) {
      std::string why;
      bool was_subscribed = false;
      auto ec = co_await session(self, why, was_subscribed);
      if (self->stopped) break;
      self->last_error = ec;
      if (was_subscribed) {
        spdlog::warn("redis subscriber: connection to {}:{} lost ({}); resubscribing",
                     self->opts.host, self->opts.port, ec.message());
        failing = true;
        failures = 0;
      } else if (!failing) {
        spdlog::warn("redis subscriber: subscribing at {}:{} failed ({}): {}; retrying",
                     self->opts.host, self->opts.port, ec.message(), why);
        failing = true;
      } else {
        spdlog::debug("redis subscriber: subscribing failed again ({}): {}", ec.message(), why);
      }
      self->backoff.expires_after(detail::reconnect_delay(self->opts, failures++, self->rng));
      co_await self->backoff.async_wait(kUseTuple);
    }
    spdlog::debug("redis subscriber: stopped");
  }

  // One connection: subscribe, then dispatch messages until it fails.
  static asio::awaitable<error_code> session(std::shared_ptr<Impl> self, std::string& why,
                                             bool& was_subscribed) {
    const Options& o = self->opts;
    std::shared_ptr<detail::Transport> transport =
        detail::make_transport(self->ex, o.tls ? self->tls : nullptr);
    self->transport = transport;
    ReplyReader reader;

    std::vector<std::string_view> args{"SUBSCRIBE"};
    args.insert(args.end(), self->channels.begin(), self->channels.end());
    std::string subscribe = format_command(args);
    std::vector<Reply> confirmations;
    const std::string name = o.client_name.empty() ? std::string() : o.client_name + ":sub";
    auto ec = co_await detail::establish(*transport, reader, o, name, subscribe,
                                         self->channels.size(), &confirmations, why);
    if (self->stopped) co_return make_error_code(error::closed);
    if (ec) {
      transport->close();
      co_return ec;
    }
    for (const Reply& r : confirmations) {
      if (!r.is_array() || r.elements.size() != 3 || r.elements[0].str != "subscribe") {
        why = "unexpected SUBSCRIBE confirmation " + to_string(r);
        transport->close();
        co_return make_error_code(error::protocol);
      }
    }

    was_subscribed = true;
    self->subscribed = true;
    self->last_error = {};
    const bool resubscribed = self->ever_subscribed;
    if (resubscribed) {
      spdlog::info("redis subscriber: resubscribed to {} channel(s) at {}:{}",
                   self->channels.size(), o.host, o.port);
    } else {
      spdlog::debug("redis subscriber: subscribed to {} channel(s) at {}:{}", self->channels.size(),
                    o.host, o.port);
    }
    self->ever_subscribed = true;
    if (resubscribed && self->on_resubscribed) {
      try {
        self->on_resubscribed();
      } catch (...) {
        detail::log_exception("redis subscriber", "on_resubscribed callback",
                              std::current_exception());
      }
    }

    self->last_read = Clock::now();
    auto timer = std::make_shared<asio::steady_timer>(self->ex);
    self->ping_timer = timer;
    asio::co_spawn(self->ex, ping_loop(self, transport, timer), [](std::exception_ptr e) {
      detail::log_exception("redis subscriber", "ping loop", e);
    });

    auto on_reply = [&](Reply&& reply) {
      if (self->stopped) return false;
      dispatch(*self, reply);
      return true;
    };
    std::vector<char> buffer(16 * 1024);
    error_code result = make_error_code(error::connection_lost);
    // Messages may have arrived with the confirmations: drain first.
    if (reader.consume({}, on_reply)) {
      while (!self->stopped) {
        auto [rec, n] = co_await transport->read_some(asio::buffer(buffer));
        if (rec) {
          spdlog::debug("redis subscriber: read: {}", rec.message());
          break;
        }
        self->last_read = Clock::now();
        if (!reader.consume(std::string_view(buffer.data(), n), on_reply)) {
          if (reader.failed()) {
            spdlog::warn("redis subscriber: protocol error: {}", reader.error());
            result = make_error_code(error::protocol);
          }
          break;
        }
      }
    } else if (reader.failed()) {
      result = make_error_code(error::protocol);
    }
    self->subscribed = false;
    transport->close();
    timer->cancel();
    if (self->stopped) co_return make_error_code(error::closed);
    co_return result;
  }

  static void dispatch(Impl& self, const Reply& reply) {
    if (reply.is_array() && reply.elements.size() == 3 && reply.elements[0].str == "message") {
      if (!self.on_message) return;
      try {
        self.on_message(reply.elements[1].str, reply.elements[2].str);
      } catch (...) {
        detail::log_exception("redis subscriber", "on_message callback", std::current_exception());
      }
      return;
    }
    if (reply.is_error()) {
      spdlog::warn("redis subscriber: server error: {}", reply.str);
      return;
    }
    // ["pong", ""] answers our PING; (un)subscribe confirmations need nothing.
  }

  // Sends PING every ping_interval; closes the transport when the server has
  // sent nothing for ping_interval + connect_timeout (a dead peer does not
  // always reset the connection, and a subscription is otherwise silent).
  static asio::awaitable<void> ping_loop(std::shared_ptr<Impl> self,
                                         std::shared_ptr<detail::Transport> transport,
                                         std::shared_ptr<asio::steady_timer> timer) {
    static const std::string kPing = format_command(std::vector<std::string_view>{"PING"});
    const auto interval =
        std::max(self->opts.subscriber_ping_interval, std::chrono::milliseconds(10));
    while (!self->stopped && self->transport == transport) {
      timer->expires_after(interval);
      auto [ec] = co_await timer->async_wait(kUseTuple);
      if (ec || self->stopped || self->transport != transport || !self->subscribed) co_return;
      if (Clock::now() - self->last_read > interval + self->opts.connect_timeout) {
        spdlog::warn(
            "redis subscriber: no data from {}:{} for {} ms; reconnecting", self->opts.host,
            self->opts.port,
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - self->last_read)
                .count());
        transport->close();
        co_return;
      }
      if (auto wec = co_await transport->write(asio::buffer(kPing))) {
        transport->close();
        co_return;
      }
    }
  }
};

Subscriber::Subscriber(asio::any_io_executor ex, Options opts, std::vector<std::string> channels,
                       MessageHandler on_message, std::function<void()> on_resubscribed)
    : impl_(std::make_shared<Impl>(std::move(ex), std::move(opts), std::move(channels),
                                   std::move(on_message), std::move(on_resubscribed))) {}

Subscriber::~Subscriber() {
  impl_->stop();
}

void Subscriber::start() {
  impl_->start();
}
void Subscriber::stop() {
  impl_->stop();
}
bool Subscriber::subscribed() const {
  return impl_->subscribed;
}
error_code Subscriber::last_error() const {
  return impl_->last_error;
}

}  // namespace shopfloor::redis
