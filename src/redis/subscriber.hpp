// redis::Subscriber: a dedicated connection in SUBSCRIBE mode.
//
// Subscribes to a fixed list of channels and calls on_message for every
// message, on the subscriber's executor, in arrival order. The connection is
// kept alive by a PING every Options::subscriber_ping_interval; when it fails
// (server restart, network) it is re-established with backoff and jitter, the
// channels are subscribed again, and then on_resubscribed() is called: Redis
// pub/sub is at-most-once, so messages published while the subscription was
// down are lost and the owner must resync (the cache drops what it cannot
// trust). on_resubscribed is not called for the first subscription.
// Subscribing (handshake plus SUBSCRIBE confirmations) is bounded by
// connect_timeout.
//
// Thread-safety: none. Create, call and destroy on the executor's thread. The
// callbacks never run after stop() (or the destructor) returned; exceptions
// they throw are logged and ignored.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/system/error_code.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "redis/errors.hpp"
#include "redis/options.hpp"

namespace shopfloor::redis {

namespace asio = boost::asio;

class Subscriber {
 public:
  using MessageHandler = std::function<void(std::string_view channel, std::string_view message)>;

  Subscriber(asio::any_io_executor ex, Options opts, std::vector<std::string> channels,
             MessageHandler on_message, std::function<void()> on_resubscribed);
  ~Subscriber();
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  // Starts connecting and subscribing in the background. Call once.
  void start();
  // Closes the connection; no callback runs afterwards. Final.
  void stop();
  // Every channel's subscription is confirmed on the current connection.
  bool subscribed() const;
  // Why the last attempt failed or the last connection was lost; empty while
  // subscribed since the last success.
  boost::system::error_code last_error() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace shopfloor::redis
