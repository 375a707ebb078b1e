// Sentinel: how a redis::Client in Options::Mode::sentinel finds and follows the
// primary. Internal to the redis module (client.cpp uses it).
//
//   - discover_primary() asks the Sentinels (Options::nodes) in order
//     `SENTINEL GET-MASTER-ADDR-BY-NAME <sentinel_master>`, each exchange bounded by
//     connect_timeout; the first address given wins. The client then connects there
//     and checks with ROLE that the node is a master (establish(require_primary)): a
//     Sentinel may still announce a primary that was just demoted, and such an answer
//     fails the attempt, which backs off and asks again.
//   - SentinelWatch keeps one connection to one Sentinel at a time subscribed to
//     `+switch-master` (RESP2 pub/sub over our Transport) and reports each switch of
//     the monitored primary; the client then drops its connections to the old one.
//     The subscription is pinged every connect_timeout; three intervals without a byte
//     from the Sentinel end it, and the next Sentinel in the list is tried.
// Sentinel connections use the client's TLS settings, user and password, and never
// SELECT or INFO (a Sentinel has neither databases nor the data's run_id).
//
// Thread-safety: none; everything runs on the client's executor.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/result.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "redis/options.hpp"
#include "redis/transport.hpp"

namespace shopfloor::redis::detail {

// The Sentinels to ask: opts.nodes, or {opts.host, opts.port} when empty.
std::vector<Endpoint> sentinels(const Options& opts);

// `opts` pointed at `sentinel`, without what a Sentinel does not take (db,
// identify_server).
Options sentinel_options(const Options& opts, const Endpoint& sentinel);

// The primary's address as the first Sentinel that knows it says. On failure the last
// Sentinel's error (timeout, connection refused, auth_failed, handshake_failed when
// no Sentinel knows the name); `detail` then describes every Sentinel's failure
// (log-safe).
asio::awaitable<boost::system::result<Endpoint>> discover_primary(asio::any_io_executor ex,
                                                                  const Options& opts,
                                                                  std::shared_ptr<TlsContext> tls,
                                                                  std::string& detail);

// The new primary in a +switch-master message ("<name> <old-ip> <old-port> <new-ip>
// <new-port>") when it is about `master`; nullopt for another name or a malformed one.
std::optional<Endpoint> parse_switch_master(std::string_view payload, std::string_view master);

class SentinelWatch : public std::enable_shared_from_this<SentinelWatch> {
 public:
  using OnSwitch = std::function<void(const Endpoint& primary)>;

  SentinelWatch(asio::any_io_executor ex, Options opts, std::shared_ptr<TlsContext> tls,
                OnSwitch on_switch);
  SentinelWatch(const SentinelWatch&) = delete;
  SentinelWatch& operator=(const SentinelWatch&) = delete;

  // Starts the subscription loop in the background. Call once.
  void start();
  // Ends it: closes the connection, stops retrying. Final.
  void stop();
  // A Sentinel confirmed the subscription and the connection is still up.
  bool subscribed() const { return subscribed_; }

 private:
  static asio::awaitable<void> run(std::shared_ptr<SentinelWatch> self);
  // One subscription on `sentinel`, until it fails; returns why (log-safe) and
  // whether it had been confirmed.
  asio::awaitable<std::string> session(const Endpoint& sentinel, bool& confirmed);

  asio::any_io_executor ex_;
  Options opts_;
  std::shared_ptr<TlsContext> tls_;
  OnSwitch on_switch_;
  asio::steady_timer backoff_;
  std::shared_ptr<Transport> transport_;  // the current session's
  bool stopped_ = false;
  bool subscribed_ = false;
};

}  // namespace shopfloor::redis::detail
