// Sentinel discovery (one bounded exchange per Sentinel) and the +switch-master
// subscription with its keepalive.
#include "redis/sentinel.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <chrono>
#include <exception>
#include <random>
#include <vector>

#include "redis/connection.hpp"
#include "redis/errors.hpp"
#include "redis/resp.hpp"

namespace shopfloor::redis::detail {

using boost::system::error_code;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view kChannel = "+switch-master";

std::string name(const Endpoint& e) {
  return e.host + ":" + std::to_string(e.port);
}

// Closes `transport` when `timeout` passes before the guard is destroyed, so that a
// whole exchange (not only its handshake) is bounded. Declare it after the transport:
// it is destroyed first, and a wait already queued then touches nothing.
class ExchangeDeadline {
 public:
  ExchangeDeadline(asio::any_io_executor ex, Transport& transport,
                   std::chrono::milliseconds timeout)
      : state_(std::make_shared<State>()), timer_(ex, timeout) {
    timer_.async_wait([state = state_, t = &transport](const error_code& ec) {
      if (ec || state->done) return;
      state->expired = true;
      t->close();
    });
  }
  ~ExchangeDeadline() {
    state_->done = true;
    timer_.cancel();
  }
  ExchangeDeadline(const ExchangeDeadline&) = delete;
  ExchangeDeadline& operator=(const ExchangeDeadline&) = delete;
  bool expired() const { return state_->expired; }

 private:
  struct State {
    bool done = false;
    bool expired = false;
  };
  std::shared_ptr<State> state_;
  asio::steady_timer timer_;
};

// The next whole reply: error::connection_lost at end of stream, error::protocol on
// bytes that are not RESP2.
asio::awaitable<boost::system::result<Reply>> read_reply(Transport& transport,
                                                         ReplyReader& reader) {
  std::array<char, 4096> buffer;
  while (true) {
    auto reply = reader.next();
    if (reply) co_return std::move(*reply);
    if (reader.failed()) co_return make_error_code(error::protocol);
    auto [ec, n] = co_await transport.read_some(asio::buffer(buffer));
    if (ec) co_return make_error_code(error::connection_lost);
    reader.feed(std::string_view(buffer.data(), n));
  }
}

std::optional<std::uint16_t> parse_port(std::string_view s) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || value == 0 || value > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

// One Sentinel: handshake, then SENTINEL GET-MASTER-ADDR-BY-NAME, within connect_timeout.
asio::awaitable<boost::system::result<Endpoint>> ask(asio::any_io_executor ex, const Options& so,
                                                     std::shared_ptr<TlsContext> tls,
                                                     std::string& why) {
  auto transport = make_transport(ex, so.tls ? std::move(tls) : nullptr);
  ReplyReader reader;
  ExchangeDeadline deadline(ex, *transport, so.connect_timeout);
  error_code ec = co_await establish(*transport, reader, so, so.client_name, why);
  boost::system::result<Reply> reply = ec;
  if (!ec) {
    std::string_view args[] = {"SENTINEL", "GET-MASTER-ADDR-BY-NAME", so.sentinel_master};
    const std::string bytes = format_command(args);
    ec = co_await transport->write(asio::buffer(bytes));
    if (ec) {
      ec = make_error_code(error::connection_lost);
    } else {
      reply = co_await read_reply(*transport, reader);
    }
  }
  transport->close();
  if (deadline.expired()) {
    why = "no answer within " + std::to_string(so.connect_timeout.count()) + " ms";
    co_return make_error_code(error::timeout);
  }
  if (ec) co_return ec;
  if (!reply) {
    why = "SENTINEL GET-MASTER-ADDR-BY-NAME: " + reply.error().message();
    co_return reply.error();
  }
  if (reply->is_error()) {
    why = "SENTINEL GET-MASTER-ADDR-BY-NAME rejected: " + reply->str;
    co_return make_error_code(error::handshake_failed);
  }
  if (reply->is_nil() || (reply->is_array() && reply->elements.empty())) {
    why = "knows no primary named '" + so.sentinel_master + "'";
    co_return make_error_code(error::handshake_failed);
  }
  if (reply->is_array() && reply->elements.size() == 2 && reply->elements[0].is_string() &&
      reply->elements[1].is_string()) {
    if (auto port = parse_port(reply->elements[1].str); port && !reply->elements[0].str.empty()) {
      co_return Endpoint{reply->elements[0].str, *port};
    }
  }
  why = "unexpected answer to SENTINEL GET-MASTER-ADDR-BY-NAME: " + to_string(*reply);
  co_return make_error_code(error::protocol);
}

// What the subscription's keepalive and its session share.
struct KeepAlive {
  explicit KeepAlive(asio::any_io_executor ex) : timer(ex) {}
  asio::steady_timer timer;
  std::chrono::steady_clock::time_point last_read = std::chrono::steady_clock::now();
  bool done = false;
  bool expired = false;
};

// PING every `interval` (a subscribed RESP2 connection answers ["pong", ""]); closes the
// transport when nothing arrived for 3 intervals, which ends the session's read.
asio::awaitable<void> keepalive(std::shared_ptr<Transport> transport, std::shared_ptr<KeepAlive> k,
                                std::chrono::milliseconds interval) {
  std::string_view args[] = {"PING"};
  const std::string ping = format_command(args);
  while (!k->done) {
    k->timer.expires_after(interval);
    co_await k->timer.async_wait(kUseTuple);
    if (k->done) break;
    if (std::chrono::steady_clock::now() - k->last_read > 3 * interval) {
      k->expired = true;
      transport->close();
      break;
    }
    auto ec = co_await transport->write(asio::buffer(ping));
    if (ec) break;
  }
}

}  // namespace

std::vector<Endpoint> sentinels(const Options& opts) {
  if (!opts.nodes.empty()) return opts.nodes;
  return {Endpoint{opts.host, opts.port}};
}

Options sentinel_options(const Options& opts, const Endpoint& sentinel) {
  Options so = opts;
  so.host = sentinel.host;
  so.port = sentinel.port;
  so.db = 0;
  so.identify_server = false;
  return so;
}

asio::awaitable<boost::system::result<Endpoint>> discover_primary(asio::any_io_executor ex,
                                                                  const Options& opts,
                                                                  std::shared_ptr<TlsContext> tls,
                                                                  std::string& detail) {
  detail.clear();
  error_code last = make_error_code(error::not_connected);
  for (const Endpoint& node : sentinels(opts)) {
    const Options so = sentinel_options(opts, node);
    std::string why;
    auto where = co_await ask(ex, so, tls, why);
    if (where) co_return where;
    last = where.error();
    if (!detail.empty()) detail += "; ";
    detail += "Sentinel " + name(node) + ": " + why;
  }
  co_return last;
}

std::optional<Endpoint> parse_switch_master(std::string_view payload, std::string_view master) {
  std::array<std::string_view, 5> words;
  std::size_t count = 0;
  while (!payload.empty()) {
    const auto space = payload.find(' ');
    const auto word = payload.substr(0, space);
    if (!word.empty()) {
      if (count == words.size()) return std::nullopt;
      words[count++] = word;
    }
    if (space == std::string_view::npos) break;
    payload.remove_prefix(space + 1);
  }
  if (count != words.size() || words[0] != master) return std::nullopt;
  auto port = parse_port(words[4]);
  if (!port) return std::nullopt;
  return Endpoint{std::string(words[3]), *port};
}

// ------------------------------------------------------------------ SentinelWatch

SentinelWatch::SentinelWatch(asio::any_io_executor ex, Options opts,
                             std::shared_ptr<TlsContext> tls, OnSwitch on_switch)
    : ex_(ex),
      opts_(std::move(opts)),
      tls_(std::move(tls)),
      on_switch_(std::move(on_switch)),
      backoff_(ex) {}

void SentinelWatch::start() {
  asio::co_spawn(ex_, run(shared_from_this()),
                 [](std::exception_ptr e) { log_exception("redis", "sentinel subscription", e); });
}

void SentinelWatch::stop() {
  stopped_ = true;
  subscribed_ = false;
  if (transport_) transport_->close();
  backoff_.cancel();
}

asio::awaitable<void> SentinelWatch::run(std::shared_ptr<SentinelWatch> self) {
  const std::vector<Endpoint> nodes = sentinels(self->opts_);
  std::minstd_rand rng(std::random_device{}());
  std::size_t next = 0;
  unsigned failures = 0;
  bool failing = false;
  while (!self->stopped_) {
    const Endpoint& node = nodes[next % nodes.size()];
    bool confirmed = false;
    std::string why = co_await self->session(node, confirmed);
    if (self->stopped_) break;
    if (confirmed) {
      failures = 0;
      failing = false;
    }
    if (!failing) {
      spdlog::warn("redis: +switch-master subscription on Sentinel {} ended ({}); trying {}",
                   name(node), why, name(nodes[(next + 1) % nodes.size()]));
      failing = true;
    } else {
      spdlog::debug("redis: +switch-master subscription on Sentinel {} failed: {}", name(node),
                    why);
    }
    ++next;
    self->backoff_.expires_after(reconnect_delay(self->opts_, failures++, rng));
    co_await self->backoff_.async_wait(kUseTuple);
  }
}

asio::awaitable<std::string> SentinelWatch::session(const Endpoint& sentinel, bool& confirmed) {
  const Options so = sentinel_options(opts_, sentinel);
  std::shared_ptr<Transport> transport = make_transport(ex_, so.tls ? tls_ : nullptr);
  transport_ = transport;
  ReplyReader reader;
  std::string why;
  auto ec = co_await establish(*transport, reader, so, so.client_name, why);
  if (stopped_) co_return "stopped";
  if (ec) {
    transport->close();
    co_return why;
  }
  std::string_view args[] = {"SUBSCRIBE", kChannel};
  const std::string subscribe = format_command(args);
  ec = co_await transport->write(asio::buffer(subscribe));
  if (ec) {
    transport->close();
    co_return "SUBSCRIBE: " + ec.message();
  }

  auto alive = std::make_shared<KeepAlive>(ex_);
  const auto interval = std::max(so.connect_timeout, std::chrono::milliseconds(100));
  asio::co_spawn(ex_, keepalive(transport, alive, interval),
                 [](std::exception_ptr e) { log_exception("redis", "sentinel keepalive", e); });

  std::string reason;
  std::array<char, 4096> buffer;
  while (reason.empty() && !stopped_) {
    auto reply = reader.next();
    if (!reply) {
      if (reader.failed()) {
        reason = "protocol error: " + reader.error();
        break;
      }
      auto [rec, n] = co_await transport->read_some(asio::buffer(buffer));
      if (rec) {
        reason = alive->expired
                     ? "no answer to PING for " + std::to_string(3 * interval.count()) + " ms"
                     : "connection lost: " + rec.message();
        break;
      }
      alive->last_read = std::chrono::steady_clock::now();
      reader.feed(std::string_view(buffer.data(), n));
      continue;
    }
    // Subscribed RESP2: ["subscribe", channel, count], ["message", channel, payload],
    // ["pong", ""]; anything else (an error reply: NOPERM for the channel) ends it.
    if (!reply->is_array() || reply->elements.empty() || !reply->elements[0].is_string()) {
      reason = "unexpected reply " + to_string(*reply);
      break;
    }
    const std::string& kind = reply->elements[0].str;
    if (kind == "subscribe") {
      confirmed = true;
      subscribed_ = true;
      spdlog::info("redis: following failovers of '{}' through Sentinel {}", so.sentinel_master,
                   name(sentinel));
    } else if (kind == "message" && reply->elements.size() == 3 && reply->elements[2].is_string()) {
      auto primary = parse_switch_master(reply->elements[2].str, so.sentinel_master);
      if (primary && on_switch_) {
        try {
          on_switch_(*primary);
        } catch (...) {
          log_exception("redis", "+switch-master callback", std::current_exception());
        }
      }
    }
  }
  if (reason.empty()) reason = "stopped";
  subscribed_ = false;
  alive->done = true;
  alive->timer.cancel();
  transport->close();
  co_return reason;
}

}  // namespace shopfloor::redis::detail
