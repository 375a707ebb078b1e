// Connection: one pipelined Redis connection (handshake, coalesced writes,
// FIFO reply matching, deadlines, dead-connection detection). Internal to the
// redis module; redis::Client owns several and reconnects them.
//
// Life cycle: connect() (whole handshake bounded by connect_timeout) → ready →
// run() until the connection fails or close() is called → closed for good; a
// new Connection replaces it.
//
// Requests: submit() appends the request's bytes to the write buffer and its
// reply slot to the FIFO. The writer sends everything queued since its last
// write in one write. Replies are matched to slots in FIFO order. A request
// completes, through its handler posted to the connection's executor, with:
//   - its replies;
//   - error::timeout when its deadline passes first — the slot stays in the
//     FIFO and the late reply is discarded on arrival, keeping the order;
//   - operation_aborted when the handler's cancellation slot is emitted (any
//     cancellation type); the slot likewise stays;
//   - the close reason (connection_lost, protocol, closed) when the connection
//     ends, or not_connected when it was not ready at submit().
// When the oldest unanswered slot is overdue by 2 x connect_timeout past its
// own deadline, the server is deemed gone: close(connection_lost).
//
// Thread-safety: none; everything runs on the connection's executor.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <queue>
#include <random>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "redis/options.hpp"
#include "redis/resp.hpp"
#include "redis/transport.hpp"

namespace shopfloor::redis {

// The value of `field` in an INFO reply ("run_id:abc..." lines); empty when absent.
std::string info_field(std::string_view info, std::string_view field);

}  // namespace shopfloor::redis

namespace shopfloor::redis::detail {

using Clock = std::chrono::steady_clock;

// The completion handler of a submitted request, type-erased and move-only.
// (asio::any_completion_handler in Boost 1.81 recurses without end on move
// assignment: its converting constructor template also matches itself.)
class ReplyHandler {
 public:
  ReplyHandler() = default;
  template <class Handler>
  static ReplyHandler wrap(Handler&& handler) {
    ReplyHandler h;
    h.impl_ = std::make_unique<Impl<std::decay_t<Handler>>>(std::forward<Handler>(handler));
    return h;
  }
  explicit operator bool() const { return impl_ != nullptr; }
  // Invokes the handler once; empty afterwards.
  void operator()(boost::system::error_code ec, std::vector<Reply> replies) {
    auto impl = std::move(impl_);
    impl->invoke(ec, std::move(replies));
  }

 private:
  struct Base {
    virtual ~Base() = default;
    virtual void invoke(boost::system::error_code ec, std::vector<Reply> replies) = 0;
  };
  template <class Handler>
  struct Impl final : Base {
    explicit Impl(Handler&& h) : handler(std::move(h)) {}
    explicit Impl(const Handler& h) : handler(h) {}
    void invoke(boost::system::error_code ec, std::vector<Reply> replies) override {
      std::move(handler)(ec, std::move(replies));
    }
    Handler handler;
  };
  std::unique_ptr<Base> impl_;
};

// Opens `transport` and runs the handshake: connect (TCP, TLS), then in one
// write AUTH (when credentials are set), SELECT (db != 0), CLIENT SETNAME
// (client_name non-empty) and, with opts.identify_server, INFO server, whose
// run_id goes to `server_id` (required then). Everything is bounded by
// opts.connect_timeout: on expiry the transport is closed and error::timeout
// returned. Errors: the transport's (connection refused, TLS verification...),
// auth_failed, handshake_failed (SELECT or INFO rejected, no run_id),
// connection_lost, protocol, timeout. `detail` receives a log-safe description
// (never the password). Bytes after the handshake replies stay in `reader`.
// With `require_primary`, ROLE follows and a node that is not a master (a replica,
// perhaps a demoted primary a Sentinel still announced) fails with handshake_failed.
asio::awaitable<boost::system::error_code> establish(
    Transport& transport, ReplyReader& reader, const Options& opts, std::string_view client_name,
    std::string& detail, std::string* server_id = nullptr, bool require_primary = false);

// Delay before reconnect attempt `attempt` (0-based) of a Client connection:
// d = min(reconnect_max, reconnect_min * 2^attempt), then a random point in
// [d/2, d] so that many shards do not reconnect in lockstep after an outage.
std::chrono::milliseconds reconnect_delay(const Options& opts, unsigned attempt,
                                          std::minstd_rand& rng);

// Logs an exception that escaped a background coroutine or a user callback;
// `component` names the owner ("redis"). No-op for a null pointer.
void log_exception(std::string_view component, std::string_view what, std::exception_ptr e);

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // `id` names the connection in logs. `require_primary`: see establish().
  Connection(asio::any_io_executor ex, const Options& opts, std::shared_ptr<TlsContext> tls,
             std::size_t id, bool require_primary = false);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // The handshake (see establish). On success the connection is ready and
  // accepts submit(); the caller then runs run(). `detail` as for establish.
  asio::awaitable<boost::system::error_code> connect(std::string& detail);

  // Writes and reads until the connection fails or is closed; returns why
  // (connection_lost, protocol, closed). Every pending request has completed
  // by then.
  asio::awaitable<boost::system::error_code> run();

  // Fails every pending request with `reason` and closes the socket;
  // idempotent (the first reason wins).
  void close(boost::system::error_code reason);

  bool ready() const { return state_ == State::ready; }
  // The server's run_id when Options::identify_server (empty otherwise), known once
  // connect() succeeded.
  const std::string& server_id() const { return server_id_; }
  // A batch is being gathered and may take more: submitted bytes wait for the
  // writer, and fewer than kMaxGathered of them (so that a connection whose
  // write is stuck stops attracting all new commands).
  bool gathering() const {
    return !pending_writes_.empty() && pending_writes_.size() < kMaxGathered;
  }
  static constexpr std::size_t kMaxGathered = 64 * 1024;
  // Requests whose replies have not all arrived (including timed-out ones).
  std::size_t outstanding() const { return fifo_.size(); }

  // Queues `bytes` holding `count` commands; `handler` gets their `count`
  // replies in order, or an error (see the file comment). Never completes
  // inline. `cancel` is the handler's cancellation slot (may be unconnected).
  void submit(std::string_view bytes, std::size_t count, Clock::time_point deadline,
              ReplyHandler handler, asio::cancellation_slot cancel);

 private:
  enum class State { idle, connecting, ready, closed };

  struct Request {
    std::uint64_t seq = 0;
    std::size_t expected = 0;  // replies
    std::size_t received = 0;
    Clock::time_point deadline;
    std::vector<Reply> replies;
    ReplyHandler handler;  // empty once completed (timed out, cancelled)
    asio::cancellation_slot cancel;
  };
  struct Deadline {
    Clock::time_point at;
    std::uint64_t seq;
    bool operator>(const Deadline& o) const { return at > o.at; }
  };

  Request* find(std::uint64_t seq);
  void complete(Request& request, boost::system::error_code ec);
  void abandon(std::uint64_t seq);
  bool deliver(Reply&& reply);
  void prune_deadlines();
  void on_deadline();
  void arm_deadline(Clock::time_point at);
  void arm_next_deadline();
  asio::awaitable<void> write_loop(std::shared_ptr<Connection> self);

  asio::any_io_executor ex_;
  Options opts_;
  std::string server_id_;
  std::shared_ptr<TlsContext> tls_;
  std::size_t id_;
  bool require_primary_;
  Clock::duration dead_after_;

  State state_ = State::idle;
  boost::system::error_code close_reason_;
  std::unique_ptr<Transport> transport_;
  ReplyReader reader_;
  std::vector<char> read_buffer_;

  std::string pending_writes_;  // queued since the last write started
  std::string writing_;         // the bytes of the write in flight
  bool writer_waiting_ = false;
  asio::steady_timer writer_wakeup_;

  std::deque<Request> fifo_;
  std::uint64_t next_seq_ = 0;
  std::priority_queue<Deadline, std::vector<Deadline>, std::greater<Deadline>> deadlines_;
  asio::steady_timer deadline_timer_;
  Clock::time_point deadline_armed_at_ = Clock::time_point::max();
  std::uint64_t deadline_generation_ = 0;
};

}  // namespace shopfloor::redis::detail
