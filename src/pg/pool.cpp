// Pool: leasing, lazy opening, FIFO waiters, fail-fast backoff, clean returns.
//
// Bookkeeping invariant: `open` counts every connection that exists or is being
// opened on the pool's behalf (idle, leased, connecting, rolling back, or a slot
// reserved for a woken waiter). It drops exactly once per connection, in
// slot_freed() (or when the pool is closed).
//
// Metrics (pg/stats.hpp): publish() adds what changed in this pool's idle, in-use and
// waiting counts since it last published to the process-wide gauges; it runs after
// every change of `open`, `idle` or `waiters`, and the destructor takes back what the
// pool still contributes.
#include "pg/pool.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <vector>

#include "pg/stats.hpp"

namespace shopfloor::pg {
namespace {

using Clock = std::chrono::steady_clock;

// A caller queued in acquire(). release() hands it a connection, or a reserved
// slot to open one in, and wakes it by cancelling its timer.
struct Waiter {
  explicit Waiter(const asio::any_io_executor& ex) : timer(ex) {}
  asio::steady_timer timer;
  std::unique_ptr<Connection> conn;
  bool slot = false;
  bool closed = false;
};

}  // namespace

struct Pool::Impl : std::enable_shared_from_this<Pool::Impl> {
  Impl(asio::any_io_executor e, Options o) : ex(std::move(e)), opts(std::move(o)) {
    opts.pool_size = std::max<std::size_t>(opts.pool_size, 1);
    PoolStats::instance().max_connections.add(static_cast<double>(opts.pool_size));
  }
  ~Impl() {
    auto& s = PoolStats::instance();
    s.max_connections.add(-static_cast<double>(opts.pool_size));
    s.idle.add(-published_idle);
    s.in_use.add(-published_in_use);
    s.waiting.add(-published_waiting);
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  asio::any_io_executor ex;
  Options opts;
  std::vector<std::unique_ptr<Connection>> idle;  // most recently returned at the back
  std::size_t open = 0;
  std::deque<std::shared_ptr<Waiter>> waiters;
  Clock::time_point retry_after{};  // no connection attempt before this
  std::chrono::milliseconds backoff{0};
  std::string last_connect_error;
  bool healthy = false;
  bool closed = false;
  double published_idle = 0, published_in_use = 0, published_waiting = 0;

  void publish() {
    auto& s = PoolStats::instance();
    const double idle_now = static_cast<double>(idle.size());
    const double in_use_now = std::max(0.0, static_cast<double>(open) - idle_now);
    const double waiting_now = static_cast<double>(waiters.size());
    s.idle.add(idle_now - published_idle);
    s.in_use.add(in_use_now - published_in_use);
    s.waiting.add(waiting_now - published_waiting);
    published_idle = idle_now;
    published_in_use = in_use_now;
    published_waiting = waiting_now;
  }

  bool backing_off() const { return Clock::now() < retry_after; }

  Error fail_fast_error() const {
    PoolStats::instance().unavailable.inc();
    return Error::unavailable(
        "database unavailable (recent connection attempt failed: " + last_connect_error + ")");
  }

  // A connection is ready for reuse: the longest waiter gets it, else it idles.
  void give(std::unique_ptr<Connection> c) {
    if (!waiters.empty()) {
      auto w = std::move(waiters.front());
      waiters.pop_front();
      w->conn = std::move(c);
      w->timer.cancel();
      publish();
      return;
    }
    idle.push_back(std::move(c));
    publish();
  }

  // A connection is gone: its slot passes to the longest waiter, if any.
  void slot_freed() {
    --open;
    if (closed || waiters.empty()) {
      publish();
      return;
    }
    auto w = std::move(waiters.front());
    waiters.pop_front();
    ++open;
    w->slot = true;
    w->timer.cancel();
    publish();
  }

  void release(std::unique_ptr<Connection> c) {
    return_connection(std::move(c));
    publish();
  }

  void return_connection(std::unique_ptr<Connection> c) {
    if (!c) return;
    if (closed) {
      c.reset();
      --open;
      return;
    }
    if (c->broken()) {
      if (c->lost()) {
        healthy = false;
        PoolStats::instance().connection_lost.inc();
      }
      c.reset();
      slot_freed();
      return;
    }
    if (c->busy()) {  // abandoned mid-statement: its state is unknown
      spdlog::warn("pg pool: dropping a connection returned mid-statement");
      c.reset();
      slot_freed();
      return;
    }
    healthy = true;
    if (c->in_transaction()) {
      asio::co_spawn(ex, rollback_then_return(shared_from_this(), std::move(c)), asio::detached);
      return;
    }
    give(std::move(c));
  }

  // A lease ended inside a transaction: roll back before anyone reuses it.
  static asio::awaitable<void> rollback_then_return(std::shared_ptr<Impl> self,
                                                    std::unique_ptr<Connection> c) {
    auto r = co_await c->query("ROLLBACK");
    if (!r) {
      spdlog::warn("pg pool: rollback of an abandoned transaction failed: {}",
                   to_string(r.error()));
    }
    if (!r || c->in_transaction()) c->close();
    self->release(std::move(c));
  }

  // Opens a connection in a slot already counted in `open`.
  static asio::awaitable<PgResult<std::unique_ptr<Connection>>> open_connection(
      std::shared_ptr<Impl> self) {
    auto c = co_await Connection::connect(self->ex, self->opts);
    if (self->closed) {
      if (c) c->reset();
      --self->open;
      self->publish();
      co_return Error::unavailable("pool closed");
    }
    if (!c) {
      PoolStats::instance().connect_failed.inc();
      self->healthy = false;
      self->backoff = self->backoff.count() == 0
                          ? self->opts.connect_backoff
                          : std::min(self->backoff * 2, self->opts.connect_backoff_max);
      self->retry_after = Clock::now() + self->backoff;
      self->last_connect_error = c.error().message;
      spdlog::warn("pg pool: connection failed ({}); failing fast for {} ms", c.error().message,
                   self->backoff.count());
      self->slot_freed();
      co_return c.error();
    }
    if (!self->healthy)
      spdlog::info("pg pool: connected to {}:{}", self->opts.host, self->opts.port);
    self->healthy = true;
    self->backoff = std::chrono::milliseconds(0);
    self->retry_after = {};
    co_return std::move(*c);
  }

  static asio::awaitable<PgResult<Lease>> acquire(std::shared_ptr<Impl> self) {
    const auto deadline = Clock::now() + self->opts.acquire_timeout;
    for (;;) {
      if (self->closed) co_return Error::unavailable("pool closed");

      while (!self->idle.empty()) {
        auto c = std::move(self->idle.back());
        self->idle.pop_back();
        if (c->check_idle()) {
          self->publish();
          co_return Lease(self, std::move(c));
        }
        spdlog::info("pg pool: dropped an idle connection the server had closed");
        --self->open;  // we take its slot ourselves below
        self->publish();
      }

      if (self->open < self->opts.pool_size) {
        if (self->backing_off()) co_return self->fail_fast_error();
        ++self->open;
        self->publish();
        auto c = co_await open_connection(self);
        if (!c) co_return c.error();
        co_return Lease(self, std::move(*c));
      }

      // Everything is leased: queue until a connection or a slot is handed to us.
      auto w = std::make_shared<Waiter>(self->ex);
      self->waiters.push_back(w);
      self->publish();
      PoolStats::instance().waits.inc();
      const auto queued_at = Clock::now();
      struct Unqueue {  // also when this coroutine is destroyed while queued
        Impl& pool;
        std::shared_ptr<Waiter>& w;
        ~Unqueue() {
          auto it = std::find(pool.waiters.begin(), pool.waiters.end(), w);
          if (it != pool.waiters.end()) pool.waiters.erase(it);
          if (w->conn) pool.give(std::move(w->conn));
          if (w->slot) {
            w->slot = false;
            pool.slot_freed();
          }
          pool.publish();
        }
      };
      {
        Unqueue unqueue{*self, w};
        w->timer.expires_at(deadline);
        co_await w->timer.async_wait(asio::as_tuple(asio::use_awaitable));
        PoolStats::instance().wait_seconds.observe(
            std::chrono::duration<double>(Clock::now() - queued_at).count());
        if (w->conn) co_return Lease(self, std::move(w->conn));
        if (w->slot) {
          w->slot = false;
          if (self->backing_off()) {
            self->slot_freed();
            co_return self->fail_fast_error();
          }
          auto c = co_await open_connection(self);
          if (!c) co_return c.error();
          co_return Lease(self, std::move(*c));
        }
      }
      if (w->closed || self->closed) co_return Error::unavailable("pool closed");
      if (Clock::now() >= deadline) {
        PoolStats::instance().acquire_timeout.inc();
        co_return Error::timeout("no free database connection within " +
                                 std::to_string(self->opts.acquire_timeout.count()) +
                                 " ms (pool_size " + std::to_string(self->opts.pool_size) + ")");
      }
      // Woken without anything (cancelled from outside): give up rather than spin.
      co_return Error::unavailable("acquire cancelled");
    }
  }

  void close() {
    if (closed) return;
    closed = true;
    open -= idle.size();
    idle.clear();
    for (auto& w : waiters) {
      w->closed = true;
      w->timer.cancel();
    }
    waiters.clear();
    publish();
  }
};

// ---------------------------------------------------------------- Lease

Pool::Lease::Lease(std::shared_ptr<Impl> pool, std::unique_ptr<Connection> conn) noexcept
    : pool_(std::move(pool)), conn_(std::move(conn)) {}

Pool::Lease& Pool::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    release();
    pool_ = std::move(other.pool_);
    conn_ = std::move(other.conn_);
  }
  return *this;
}

Pool::Lease::~Lease() {
  release();
}

void Pool::Lease::release() noexcept {
  if (conn_ && pool_) pool_->release(std::move(conn_));
  conn_.reset();
  pool_.reset();
}

// ---------------------------------------------------------------- Pool

Pool::Pool(asio::any_io_executor ex, Options opts)
    : impl_(std::make_shared<Impl>(std::move(ex), std::move(opts))) {}

Pool::~Pool() {
  close();
}

asio::awaitable<PgResult<Pool::Lease>> Pool::acquire() {
  return Impl::acquire(impl_);
}

asio::awaitable<PgResult<Rows>> Pool::query(std::string_view sql, Params params,
                                            std::chrono::milliseconds timeout) {
  auto lease = co_await Impl::acquire(impl_);
  if (!lease) co_return lease.error();
  co_return co_await (*lease)->query(sql, std::move(params), timeout);
}

bool Pool::healthy() const noexcept {
  return impl_->healthy;
}
std::size_t Pool::size() const noexcept {
  return impl_->open;
}
std::size_t Pool::idle() const noexcept {
  return impl_->idle.size();
}
void Pool::close() {
  impl_->close();
}
const Options& Pool::options() const noexcept {
  return impl_->opts;
}
const asio::any_io_executor& Pool::get_executor() const noexcept {
  return impl_->ex;
}

}  // namespace shopfloor::pg
