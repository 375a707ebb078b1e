// One pipelined Redis connection: handshake, batched writes, FIFO replies,
// per-request deadlines kept in a min-heap served by a single timer.
//
// Why not one timer per request: a timer costs a lock and a heap operation in
// the reactor on arm and on cancel, per command. Here a request's deadline is
// a heap entry; replies that arrive in time only pop entries from the heap,
// and the one timer is re-armed only when an earlier deadline appears (rare:
// most commands share the default timeout, so deadlines grow with time).
#include "redis/connection.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>

#include "redis/errors.hpp"

namespace shopfloor::redis {

std::string info_field(std::string_view info, std::string_view field) {
  std::size_t at = 0;
  while (at < info.size()) {
    std::size_t end = info.find('\n', at);
    if (end == std::string_view::npos) end = info.size();
    std::string_view line = info.substr(at, end - at);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > field.size() && line.substr(0, field.size()) == field &&
        line[field.size()] == ':')
      return std::string(line.substr(field.size() + 1));
    at = end + 1;
  }
  return {};
}

}  // namespace shopfloor::redis

namespace shopfloor::redis::detail {

using boost::system::error_code;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

// 64 KiB per read: several pipelined 1 KB replies or a few 20 KB ones per
// system call. (A TLS read returns at most one 16 KiB record.)
constexpr std::size_t kReadBuffer = 64 * 1024;
// A write buffer that grew past this (one huge pipeline) is released after use.
constexpr std::size_t kKeepWriteBuffer = 1 << 20;

struct Watchdog {
  bool done = false;
  bool expired = false;
};

enum class HandshakeStep { auth, select, setname, identify, role };

asio::awaitable<error_code> handshake(Transport& transport, ReplyReader& reader,
                                      const Options& opts, std::string_view client_name,
                                      std::string& detail, std::string* server_id,
                                      bool require_primary) {
  if (auto ec = co_await transport.connect(opts)) {
    detail = "connect to " + opts.host + ":" + std::to_string(opts.port) + ": " + ec.message();
    co_return ec;
  }

  std::string out;
  std::vector<HandshakeStep> steps;
  if (!opts.user.empty()) {
    std::string_view args[] = {"AUTH", opts.user, opts.password};
    append_command(out, args);
    steps.push_back(HandshakeStep::auth);
  } else if (!opts.password.empty()) {
    std::string_view args[] = {"AUTH", opts.password};
    append_command(out, args);
    steps.push_back(HandshakeStep::auth);
  }
  std::string db = std::to_string(opts.db);
  if (opts.db != 0) {
    std::string_view args[] = {"SELECT", db};
    append_command(out, args);
    steps.push_back(HandshakeStep::select);
  }
  if (!client_name.empty()) {
    std::string_view args[] = {"CLIENT", "SETNAME", client_name};
    append_command(out, args);
    steps.push_back(HandshakeStep::setname);
  }
  if (opts.identify_server) {
    std::string_view args[] = {"INFO", "server"};
    append_command(out, args);
    steps.push_back(HandshakeStep::identify);
  }
  if (require_primary) {
    std::string_view args[] = {"ROLE"};
    append_command(out, args);
    steps.push_back(HandshakeStep::role);
  }
  if (steps.empty()) co_return error_code{};

  if (auto ec = co_await transport.write(asio::buffer(out))) {
    detail = "handshake write: " + ec.message();
    co_return make_error_code(error::connection_lost);
  }

  // Whole reads are fed to the reader and only the replies we wait for are
  // taken out: nothing else can follow them before the first request, but the
  // reader stays with its owner either way.
  std::vector<Reply> replies;
  std::array<char, 4096> buffer;
  while (true) {
    while (replies.size() < steps.size()) {
      auto reply = reader.next();
      if (!reply) break;
      replies.push_back(std::move(*reply));
    }
    if (reader.failed()) {
      detail = "handshake reply: " + reader.error();
      co_return make_error_code(error::protocol);
    }
    if (replies.size() == steps.size()) break;
    auto [ec, n] = co_await transport.read_some(asio::buffer(buffer));
    if (ec) {
      // A plain-TCP client talking to a TLS port ends here: the server drops
      // the connection when our AUTH is not a TLS ClientHello.
      detail = "handshake read: " + ec.message();
      co_return make_error_code(error::connection_lost);
    }
    reader.feed(std::string_view(buffer.data(), n));
  }

  for (std::size_t i = 0; i < replies.size(); ++i) {
    const Reply& r = replies[i];
    switch (steps[i]) {
      case HandshakeStep::auth:
        if (r.is_error()) {
          // The server's message names no secret ("WRONGPASS invalid
          // username-password pair or user is disabled.").
          detail = "AUTH as user '" + (opts.user.empty() ? std::string("default") : opts.user) +
                   "' rejected: " + r.str;
          co_return make_error_code(error::auth_failed);
        }
        break;
      case HandshakeStep::select:
        if (r.is_error()) {
          detail = "SELECT " + db + " rejected: " + r.str;
          co_return make_error_code(error::handshake_failed);
        }
        break;
      case HandshakeStep::setname:
        // Only a label for CLIENT LIST; an ACL without client|setname is no
        // reason to refuse service.
        if (r.is_error()) spdlog::debug("redis: CLIENT SETNAME rejected: {}", r.str);
        break;
      case HandshakeStep::identify: {
        std::string id = r.is_error() ? std::string() : info_field(r.str, "run_id");
        if (id.empty()) {
          detail = r.is_error() ? "INFO server rejected: " + r.str : "INFO server gave no run_id";
          co_return make_error_code(error::handshake_failed);
        }
        if (server_id) *server_id = std::move(id);
        break;
      }
      case HandshakeStep::role: {
        // ROLE: an array whose first element is "master", "slave" or "sentinel".
        const bool primary = r.is_array() && !r.elements.empty() &&
                             r.elements.front().is_string() && r.elements.front().str == "master";
        if (!primary) {
          detail =
              opts.host + ":" + std::to_string(opts.port) + " is not a primary (ROLE: " +
              (r.is_array() && !r.elements.empty() ? to_string(r.elements.front()) : to_string(r)) +
              ")";
          co_return make_error_code(error::handshake_failed);
        }
        break;
      }
    }
  }
  co_return error_code{};
}

}  // namespace

asio::awaitable<error_code> establish(Transport& transport, ReplyReader& reader,
                                      const Options& opts, std::string_view client_name,
                                      std::string& detail, std::string* server_id,
                                      bool require_primary) {
  auto watch = std::make_shared<Watchdog>();
  asio::steady_timer watchdog(co_await asio::this_coro::executor, opts.connect_timeout);
  // The handler may run after this coroutine returned (it was already queued
  // when the handshake finished): `done` stops it from touching the transport.
  watchdog.async_wait([watch, t = &transport](const error_code& ec) {
    if (ec || watch->done) return;
    watch->expired = true;
    t->close();
  });
  error_code ec;
  try {
    ec = co_await handshake(transport, reader, opts, client_name, detail, server_id,
                            require_primary);
  } catch (...) {
    watch->done = true;
    throw;
  }
  watch->done = true;
  watchdog.cancel();
  if (watch->expired) {
    detail = "handshake with " + opts.host + ":" + std::to_string(opts.port) + " took over " +
             std::to_string(opts.connect_timeout.count()) + " ms";
    co_return make_error_code(error::timeout);
  }
  co_return ec;
}

// ------------------------------------------------------------------ Connection

Connection::Connection(asio::any_io_executor ex, const Options& opts,
                       std::shared_ptr<TlsContext> tls, std::size_t id, bool require_primary)
    : ex_(ex),
      opts_(opts),
      tls_(std::move(tls)),
      id_(id),
      require_primary_(require_primary),
      dead_after_(2 * opts.connect_timeout),
      writer_wakeup_(ex),
      deadline_timer_(ex) {}

Connection::~Connection() = default;

asio::awaitable<error_code> Connection::connect(std::string& detail) {
  state_ = State::connecting;
  transport_ = make_transport(ex_, opts_.tls ? tls_ : nullptr);
  auto ec = co_await establish(*transport_, reader_, opts_, opts_.client_name, detail, &server_id_,
                               require_primary_);
  if (state_ == State::closed) co_return close_reason_;  // close() during the handshake
  if (ec) {
    close(ec);
    co_return ec;
  }
  state_ = State::ready;
  co_return error_code{};
}

asio::awaitable<error_code> Connection::run() {
  auto self = shared_from_this();
  if (state_ != State::ready) co_return close_reason_;
  asio::co_spawn(ex_, write_loop(self), [self](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      spdlog::error("redis: connection {} writer failed: {}", self->id_, x.what());
    }
    self->close(make_error_code(error::connection_lost));
  });
  read_buffer_.resize(kReadBuffer);
  auto on_reply = [this](Reply&& reply) { return deliver(std::move(reply)); };
  while (state_ == State::ready) {
    auto [ec, n] = co_await transport_->read_some(asio::buffer(read_buffer_));
    if (state_ != State::ready) break;
    if (ec) {
      spdlog::debug("redis: connection {} read: {}", id_, ec.message());
      close(make_error_code(error::connection_lost));
      break;
    }
    if (!reader_.consume(std::string_view(read_buffer_.data(), n), on_reply)) {
      if (reader_.failed()) {
        spdlog::warn("redis: connection {} protocol error: {}", id_, reader_.error());
      }
      close(make_error_code(error::protocol));
      break;
    }
    prune_deadlines();
  }
  co_return close_reason_;
}

asio::awaitable<void> Connection::write_loop(std::shared_ptr<Connection> self) {
  while (state_ == State::ready) {
    if (pending_writes_.empty()) {
      writer_waiting_ = true;
      writer_wakeup_.expires_at(Clock::time_point::max());
      co_await writer_wakeup_.async_wait(kUseTuple);
      writer_waiting_ = false;
      continue;
    }
    // Everything submitted since the last write goes out in one write.
    std::swap(pending_writes_, writing_);
    auto ec = co_await transport_->write(asio::buffer(writing_));
    if (ec) {
      if (state_ == State::ready) {
        spdlog::debug("redis: connection {} write: {}", id_, ec.message());
        close(make_error_code(error::connection_lost));
      }
      co_return;
    }
    writing_.clear();
    if (writing_.capacity() > kKeepWriteBuffer) std::string().swap(writing_);
  }
}

void Connection::close(error_code reason) {
  if (state_ == State::closed) return;
  state_ = State::closed;
  close_reason_ = reason;
  if (transport_) transport_->close();
  writer_wakeup_.cancel();
  deadline_timer_.cancel();
  ++deadline_generation_;
  deadline_armed_at_ = Clock::time_point::max();
  deadlines_ = {};
  pending_writes_.clear();
  auto failed = std::move(fifo_);
  fifo_.clear();
  for (auto& request : failed) complete(request, reason);
}

void Connection::submit(std::string_view bytes, std::size_t count, Clock::time_point deadline,
                        ReplyHandler handler, asio::cancellation_slot cancel) {
  if (state_ != State::ready) {
    asio::post(ex_, [h = std::move(handler)]() mutable {
      h(make_error_code(error::not_connected), std::vector<Reply>{});
    });
    return;
  }
  Request& request = fifo_.emplace_back();
  request.seq = next_seq_++;
  request.expected = count;
  request.deadline = deadline;
  request.replies.reserve(count);
  request.handler = std::move(handler);
  if (cancel.is_connected()) {
    request.cancel = cancel;
    cancel.assign([weak = weak_from_this(), seq = request.seq](asio::cancellation_type) {
      if (auto self = weak.lock()) self->abandon(seq);
    });
  }
  deadlines_.push({deadline, request.seq});

  pending_writes_.append(bytes);
  if (writer_waiting_) {
    writer_waiting_ = false;  // one wake-up per batch
    writer_wakeup_.cancel();
  }
  arm_deadline(deadline);
}

Connection::Request* Connection::find(std::uint64_t seq) {
  if (fifo_.empty() || seq < fifo_.front().seq) return nullptr;
  std::uint64_t index = seq - fifo_.front().seq;
  if (index >= fifo_.size()) return nullptr;
  return &fifo_[index];
}

void Connection::complete(Request& request, error_code ec) {
  if (!request.handler) return;
  if (request.cancel.is_connected()) request.cancel.clear();
  request.cancel = {};
  // Posted, never invoked inline: the handler resumes a coroutine that may
  // submit again or close this connection while we are iterating the FIFO.
  std::vector<Reply> replies;
  if (!ec) replies = std::move(request.replies);
  asio::post(ex_, [h = std::move(request.handler), ec, replies = std::move(replies)]() mutable {
    h(ec, std::move(replies));
  });
  request.handler = ReplyHandler();
}

void Connection::abandon(std::uint64_t seq) {
  if (Request* request = find(seq)) complete(*request, asio::error::operation_aborted);
}

bool Connection::deliver(Reply&& reply) {
  if (fifo_.empty()) {
    spdlog::warn("redis: connection {} got a reply nobody asked for: {}", id_, to_string(reply));
    return false;
  }
  Request& request = fifo_.front();
  ++request.received;
  // A timed-out or cancelled request still owns its slot: its late replies
  // are dropped here so that later requests get theirs.
  if (request.handler) request.replies.push_back(std::move(reply));
  if (request.received < request.expected) return true;
  complete(request, {});
  fifo_.pop_front();
  return true;
}

void Connection::prune_deadlines() {
  // Entries of answered requests are dropped lazily from the top, so the heap
  // stays about as large as the number of requests in flight.
  while (!deadlines_.empty()) {
    Request* request = find(deadlines_.top().seq);
    if (request != nullptr && request->handler) break;
    deadlines_.pop();
  }
}

void Connection::on_deadline() {
  if (state_ != State::ready) return;
  const auto now = Clock::now();
  while (!deadlines_.empty()) {
    const Deadline top = deadlines_.top();
    Request* request = find(top.seq);
    if (request == nullptr || !request->handler) {
      deadlines_.pop();
      continue;
    }
    if (top.at > now) break;
    deadlines_.pop();
    complete(*request, make_error_code(error::timeout));
  }
  if (!fifo_.empty() && now >= fifo_.front().deadline + dead_after_) {
    spdlog::warn(
        "redis: connection {} to {}:{} sent no reply for {} ms past a deadline; closing it", id_,
        opts_.host, opts_.port,
        std::chrono::duration_cast<std::chrono::milliseconds>(now - fifo_.front().deadline)
            .count());
    close(make_error_code(error::connection_lost));
    return;
  }
  arm_next_deadline();
}

void Connection::arm_next_deadline() {
  auto at = Clock::time_point::max();
  if (!deadlines_.empty()) at = deadlines_.top().at;
  if (!fifo_.empty()) at = std::min(at, fifo_.front().deadline + dead_after_);
  if (at != Clock::time_point::max()) arm_deadline(at);
}

void Connection::arm_deadline(Clock::time_point at) {
  if (at >= deadline_armed_at_) return;  // an earlier wake-up is already due
  deadline_armed_at_ = at;
  const auto generation = ++deadline_generation_;
  deadline_timer_.expires_at(at);
  deadline_timer_.async_wait([self = shared_from_this(), generation](const error_code& ec) {
    // A re-arm or close() superseded this wait (even one that had expired).
    if (generation != self->deadline_generation_) return;
    self->deadline_armed_at_ = Clock::time_point::max();
    if (ec) return;
    self->on_deadline();
  });
}

std::chrono::milliseconds reconnect_delay(const Options& opts, unsigned attempt,
                                          std::minstd_rand& rng) {
  const auto lo = std::max<std::chrono::milliseconds::rep>(opts.reconnect_min.count(), 1);
  const auto hi = std::max<std::chrono::milliseconds::rep>(opts.reconnect_max.count(), lo);
  auto d = lo;
  for (unsigned i = 0; i < attempt && d < hi; ++i) d *= 2;
  d = std::min(d, hi);
  std::uniform_int_distribution<std::chrono::milliseconds::rep> pick_delay(d / 2, d);
  return std::chrono::milliseconds(pick_delay(rng));
}

void log_exception(std::string_view component, std::string_view what, std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    spdlog::error("{}: {}: {}", component, what, x.what());
  } catch (...) {
    spdlog::error("{}: {}: unknown exception", component, what);
  }
}

}  // namespace shopfloor::redis::detail
