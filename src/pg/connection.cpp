// Connection: libpq's non-blocking API driven by Asio readiness waits.
//
// Every wait races the socket against a timer (a parallel group that cancels the
// loser and waits for it), so no handler outlives the wait and a deadline can
// always interrupt it.
#include "pg/connection.hpp"

#include <libpq-fe.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

namespace shopfloor::pg {
namespace {

using Clock = std::chrono::steady_clock;
enum class Ready { ready, timeout, cancelled, failed };

// Waits until `socket` is readable (or writable) or `deadline` passes.
asio::awaitable<Ready> wait_ready(asio::posix::stream_descriptor& socket, asio::steady_timer& timer,
                                  bool for_write, Clock::time_point deadline) {
  if (Clock::now() >= deadline) co_return Ready::timeout;
  timer.expires_at(deadline);
  auto [order, socket_ec, timer_ec] =
      co_await asio::experimental::make_parallel_group(
          socket.async_wait(for_write ? asio::posix::descriptor_base::wait_write
                                      : asio::posix::descriptor_base::wait_read,
                            asio::deferred),
          timer.async_wait(asio::deferred))
          .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
  if (order[0] == 0) {
    if (!socket_ec) co_return Ready::ready;
    co_return socket_ec == asio::error::operation_aborted ? Ready::cancelled : Ready::failed;
  }
  co_return timer_ec ? Ready::cancelled : Ready::timeout;
}

// libpq messages end with a newline and may span lines ("connection to server
// ... failed: FATAL: ..."); one line reads better in logs and errors.
std::string one_line(const char* text) {
  std::string s = text ? text : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\n' || c == '\t') c = ' ';
    if (c == ' ' && !out.empty() && out.back() == ' ') continue;
    out += c;
  }
  return out;
}

std::string field(const PGresult* res, int code) {
  const char* v = PQresultErrorField(res, code);
  return v ? v : "";
}

// The server is going away or the link is broken: a connection-level failure,
// not something wrong with the statement.
bool is_connection_sqlstate(std::string_view s) {
  return s.starts_with("08") || s == "57P01" || s == "57P02" || s == "57P03";
}

// Server notices (e.g. "relation already exists, skipping") go to our log
// instead of libpq's default of stderr.
void log_notice(void*, const PGresult* res) {
  std::string severity = field(res, PG_DIAG_SEVERITY_NONLOCALIZED);
  std::string text = one_line(PQresultErrorMessage(res));
  if (severity == "WARNING" || severity == "ERROR" || severity == "FATAL" || severity == "PANIC") {
    spdlog::warn("pg: server said: {}", text);
  } else {
    spdlog::debug("pg: server said: {}", text);
  }
}

struct Finish {
  void operator()(PGconn* c) const noexcept { PQfinish(c); }
};

// Wraps a duplicate of libpq's socket so that closing the descriptor never
// closes libpq's fd.
PgResult<asio::posix::stream_descriptor> wrap_socket(const asio::any_io_executor& ex, PGconn* c) {
  int fd = PQsocket(c);
  if (fd < 0) return Error::unavailable("libpq has no socket: " + one_line(PQerrorMessage(c)));
  int copy = ::dup(fd);
  if (copy < 0) return Error::unavailable(std::string("dup: ") + std::strerror(errno));
  asio::posix::stream_descriptor sd(ex);
  boost::system::error_code ec;
  sd.assign(copy, ec);
  if (ec) {
    ::close(copy);
    return Error::unavailable("registering the socket: " + ec.message());
  }
  return sd;
}

}  // namespace

asio::awaitable<PgResult<std::unique_ptr<Connection>>> Connection::connect(asio::any_io_executor ex,
                                                                           const Options& opts) {
  const std::string port = std::to_string(opts.port);
  const std::string server_options = opts.server_check_interval.count() > 0
                                         ? "-c client_connection_check_interval=" +
                                               std::to_string(opts.server_check_interval.count())
                                         : std::string();
  const std::string where = opts.host + ":" + port;
  const char* keys[] = {"host",     "port",    "dbname",           "user",
                        "password", "sslmode", "application_name", "client_encoding",
                        "options",  nullptr};
  const char* values[] = {opts.host.c_str(),
                          port.c_str(),
                          opts.dbname.c_str(),
                          opts.user.c_str(),
                          opts.password.c_str(),
                          opts.sslmode.c_str(),
                          opts.application_name.c_str(),
                          "UTF8",
                          server_options.empty() ? nullptr : server_options.c_str(),
                          nullptr};

  std::unique_ptr<PGconn, Finish> conn(PQconnectStartParams(keys, values, 0));
  if (!conn) co_return Error::unavailable("libpq: out of memory");
  if (PQstatus(conn.get()) == CONNECTION_BAD) {
    co_return Error::unavailable(one_line(PQerrorMessage(conn.get())));
  }

  const auto deadline = Clock::now() + opts.connect_timeout;
  asio::steady_timer timer(ex);
  // libpq's rule: after PQconnectStart, wait until the socket is writable.
  PostgresPollingStatusType poll = PGRES_POLLING_WRITING;
  while (poll != PGRES_POLLING_OK) {
    if (poll == PGRES_POLLING_FAILED) {
      co_return Error::unavailable(one_line(PQerrorMessage(conn.get())));
    }
    // libpq may switch sockets between steps (another address, SSL fallback), and
    // a new socket can reuse the old number: wrap the current one afresh each step.
    auto socket = wrap_socket(ex, conn.get());
    if (!socket) co_return socket.error();
    Ready r = co_await wait_ready(*socket, timer, poll == PGRES_POLLING_WRITING, deadline);
    if (r == Ready::timeout) {
      co_return Error::unavailable("connecting to " + where + " timed out after " +
                                   std::to_string(opts.connect_timeout.count()) + " ms");
    }
    if (r != Ready::ready) co_return Error::unavailable("connecting to " + where + " aborted");
    poll = PQconnectPoll(conn.get());
  }

  if (PQsetnonblocking(conn.get(), 1) != 0) {
    co_return Error::unavailable(one_line(PQerrorMessage(conn.get())));
  }
  PQsetNoticeReceiver(conn.get(), &log_notice, nullptr);
  auto socket = wrap_socket(ex, conn.get());
  if (!socket) co_return socket.error();
  spdlog::debug("pg: connected to {} db {} as {} (backend pid {})", where, opts.dbname, opts.user,
                PQbackendPID(conn.get()));
  co_return std::unique_ptr<Connection>(
      new Connection(ex, conn.release(), std::move(*socket), opts));
}

Connection::Connection(asio::any_io_executor ex, pg_conn* conn,
                       asio::posix::stream_descriptor socket, const Options& opts)
    : executor_(ex),
      conn_(conn),
      socket_(std::move(socket)),
      timer_(ex),
      default_timeout_(opts.query_timeout),
      backend_pid_(PQbackendPID(conn)),
      prepare_(opts.prepare_statements) {}

Connection::~Connection() {
  release();
}

namespace {

// Moves the notifications libpq has parsed into `out`.
void drain_notifies(pg_conn* conn, std::vector<Notification>& out) {
  while (PGnotify* n = PQnotifies(conn)) {
    out.push_back({n->relname ? n->relname : "", n->extra ? n->extra : "", n->be_pid});
    PQfreemem(n);
  }
}

}  // namespace

void Connection::release() noexcept {
  boost::system::error_code ec;
  socket_.close(ec);  // our dup first, so the reactor forgets it before libpq closes the original
  timer_.cancel();
  if (conn_) {
    // What the server sent before the end is still in the socket or in libpq's queue:
    // keep the notifications among it (libpq's socket is non-blocking; this never waits).
    try {
      PQconsumeInput(conn_);
      drain_notifies(conn_, unclaimed_);
    } catch (...) {  // allocation failure: the notifications are lost, the resync covers them
    }
    PQfinish(conn_);
    conn_ = nullptr;
  }
}

std::vector<Notification> Connection::take_notifications() {
  if (conn_) drain_notifies(conn_, unclaimed_);
  return std::exchange(unclaimed_, {});
}

void Connection::close() noexcept {
  broken_ = true;
  if (in_operation_) {
    // The operation is suspended in wait(): abort the wait; it sees broken_ and
    // frees libpq's state itself (it may still be using conn_).
    boost::system::error_code ec;
    socket_.close(ec);
    timer_.cancel();
  } else {
    release();
  }
}

Error Connection::fail(Error e) {
  broken_ = true;
  release();
  return e;
}

Error Connection::lost_error(std::string_view what) {
  std::string msg = conn_ ? one_line(PQerrorMessage(conn_)) : std::string();
  lost_ = true;
  return fail(Error::unavailable(msg.empty() ? std::string(what) : std::string(what) + ": " + msg));
}

bool Connection::in_transaction() const noexcept {
  if (broken()) return false;
  auto s = PQtransactionStatus(conn_);
  return s == PQTRANS_INTRANS || s == PQTRANS_INERROR;
}

bool Connection::busy() const noexcept {
  if (in_operation_) return true;
  if (broken()) return false;
  auto s = PQtransactionStatus(conn_);
  return s == PQTRANS_ACTIVE || s == PQTRANS_UNKNOWN;
}

bool Connection::check_idle() noexcept {
  if (broken()) return false;
  if (in_operation_) return true;
  // Twice: a terminated backend sends a FATAL message and then closes; one read
  // may return the message, the next one sees the end of the stream.
  for (int i = 0; i < 2; ++i) {
    if (!PQconsumeInput(conn_) || PQstatus(conn_) == CONNECTION_BAD) {
      lost_error("idle connection closed by the server");
      return false;
    }
  }
  return true;
}

PgResult<std::string> Connection::quote_identifier(std::string_view name) const {
  if (broken()) return Error::unavailable("connection is broken");
  char* quoted = PQescapeIdentifier(conn_, name.data(), name.size());
  if (!quoted) return Error::query("", one_line(PQerrorMessage(conn_)));
  std::string out(quoted);
  PQfreemem(quoted);
  return out;
}

asio::awaitable<Connection::Wait> Connection::wait(bool for_write, Clock::time_point deadline) {
  Ready r = co_await wait_ready(socket_, timer_, for_write, deadline);
  if (broken_) co_return Wait::cancelled;  // close() ran while we waited
  switch (r) {
    case Ready::ready:
      co_return Wait::ready;
    case Ready::timeout:
      co_return Wait::timeout;
    case Ready::cancelled:
      co_return Wait::cancelled;
    case Ready::failed:
      break;
  }
  co_return Wait::failed;
}

std::optional<Error> Connection::wait_failure(Wait w, std::string_view what) {
  switch (w) {
    case Wait::ready:
      return std::nullopt;
    case Wait::timeout:
      return fail(Error::timeout(std::string(what) + " timed out; connection closed"));
    case Wait::cancelled:
      return fail(Error::unavailable(std::string(what) + " aborted: connection closed"));
    case Wait::failed:
      break;
  }
  return lost_error(what);
}

asio::awaitable<PgResult<void>> Connection::flush(Clock::time_point deadline) {
  for (;;) {
    int r = PQflush(conn_);
    if (r == 0) co_return PgResult<void>();
    if (r < 0) co_return lost_error("sending the query");
    // The send buffer is full. Read what the server sent meanwhile so that neither
    // side stalls waiting for the other, then wait for room.
    if (!PQconsumeInput(conn_)) co_return lost_error("sending the query");
    if (auto e = wait_failure(co_await wait(true, deadline), "sending the query")) co_return *e;
  }
}

asio::awaitable<PgResult<Rows>> Connection::collect(Clock::time_point deadline) {
  std::optional<Error> error;
  Rows last;
  for (;;) {
    if (!PQconsumeInput(conn_)) co_return lost_error("reading the result");
    while (!PQisBusy(conn_)) {
      PGresult* res = PQgetResult(conn_);
      if (!res) {  // the statement(s) are done; the connection is ready again
        if (error) co_return *error;
        co_return std::move(last);
      }
      switch (PQresultStatus(res)) {
        case PGRES_COMMAND_OK:
        case PGRES_TUPLES_OK:
        case PGRES_EMPTY_QUERY:
          last = Rows(res);
          break;
        case PGRES_COPY_IN:
        case PGRES_COPY_OUT:
        case PGRES_COPY_BOTH:
          PQclear(res);
          co_return fail(Error::query("", "COPY is not supported by pg::Connection"));
        default: {  // PGRES_FATAL_ERROR and friends
          std::string sqlstate = field(res, PG_DIAG_SQLSTATE);
          std::string msg = field(res, PG_DIAG_MESSAGE_PRIMARY);
          if (msg.empty()) msg = one_line(PQresultErrorMessage(res));
          PQclear(res);
          if (PQstatus(conn_) == CONNECTION_BAD || is_connection_sqlstate(sqlstate)) {
            lost_ = true;
            co_return fail(Error::unavailable("connection lost: " + msg));
          }
          if (!error) error = Error::query(std::move(sqlstate), std::move(msg));
        }
      }
    }
    if (auto e = wait_failure(co_await wait(false, deadline), "the query")) co_return *e;
  }
}

asio::awaitable<PgResult<Rows>> Connection::run(std::string_view sql, const Params* params,
                                                std::chrono::milliseconds timeout) {
  if (broken()) co_return Error::unavailable("connection is broken");
  if (in_operation_) co_return Error::query("", "connection busy: one operation at a time");
  in_operation_ = true;
  struct Done {
    bool& flag;
    ~Done() { flag = false; }
  } done{in_operation_};

  const auto deadline = Clock::now() + effective(timeout);
  const std::string text(sql);  // libpq wants NUL-terminated text
  std::vector<const char*> values;
  if (params) {
    values.reserve(params->size());
    for (const auto& p : *params) values.push_back(p ? p->c_str() : nullptr);
  }
  const int n = static_cast<int>(values.size());
  const bool prepared = params && prepare_;
  auto send = [&](const std::string* name) {
    if (name)
      return PQsendQueryPrepared(conn_, name->c_str(), n, values.data(), nullptr, nullptr,
                                 /*resultFormat=text*/ 0);
    if (params)
      return PQsendQueryParams(conn_, text.c_str(), n, nullptr, values.data(), nullptr, nullptr,
                               /*resultFormat=text*/ 0);
    return PQsendQuery(conn_, text.c_str());
  };
  // Up to two rounds: a prepared statement the server lost is prepared and run again.
  for (int round = 0;; ++round) {
    std::string name;
    if (prepared) {
      auto named = co_await prepared_name(text, n, deadline);
      if (!named) co_return named.error();
      name = std::move(*named);
    }
    if (!send(prepared ? &name : nullptr)) {
      if (PQstatus(conn_) == CONNECTION_BAD) co_return lost_error("sending the query");
      co_return Error::query("", one_line(PQerrorMessage(conn_)));  // e.g. too many parameters
    }
    if (auto f = co_await flush(deadline); !f) co_return f.error();
    auto rows = co_await collect(deadline);
    if (rows || !prepared) co_return rows;
    const std::string& state = rows.error().sqlstate;
    if (state != "26000" && state != "0A000") co_return rows;
    // The server lost the statement (DISCARD ALL), or will not run its cached plan after
    // a schema change: prepare it afresh. Outside a transaction nothing ran, so once more
    // now; inside one the error has aborted it, and the caller sees it.
    if (state == "26000") {  // every name is gone
      prepared_.clear();
      uses_.clear();
      abandoned_ = 0;
    } else {
      forget(text);
    }
    if (round > 0 || in_transaction() || broken()) co_return rows;
  }
}

void Connection::forget(const std::string& sql) {
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) return;
  uses_.erase(it->second.use);
  prepared_.erase(it);
  ++abandoned_;
}

asio::awaitable<PgResult<std::string>> Connection::prepared_name(const std::string& sql,
                                                                 int n_params,
                                                                 Clock::time_point deadline) {
  if (auto it = prepared_.find(sql); it != prepared_.end()) {
    uses_.splice(uses_.begin(), uses_, it->second.use);
    co_return it->second.name;
  }
  // Make room: the least recently used one, or all when abandoned names (left on the
  // server by a refused plan inside a transaction) have piled up.
  std::string drop;
  if (abandoned_ > kMaxPrepared / 8) {
    drop = "DEALLOCATE ALL";
  } else if (prepared_.size() >= kMaxPrepared) {
    drop = "DEALLOCATE " + prepared_.at(uses_.back()).name;  // our own "sfN"
  }
  if (!drop.empty()) {
    if (!PQsendQuery(conn_, drop.c_str())) co_return lost_error("sending the query");
    if (auto f = co_await flush(deadline); !f) co_return f.error();
    if (auto done = co_await collect(deadline); !done) co_return done.error();
    if (drop == "DEALLOCATE ALL") {
      prepared_.clear();
      uses_.clear();
      abandoned_ = 0;
    } else {
      prepared_.erase(uses_.back());
      uses_.pop_back();
    }
  }
  std::string name = "sf" + std::to_string(next_statement_++);
  if (!PQsendPrepare(conn_, name.c_str(), sql.c_str(), n_params, nullptr)) {
    if (PQstatus(conn_) == CONNECTION_BAD) co_return lost_error("sending the query");
    co_return Error::query("", one_line(PQerrorMessage(conn_)));
  }
  if (auto f = co_await flush(deadline); !f) co_return f.error();
  // A statement the server refuses (a syntax error, a failed transaction) is not kept.
  if (auto done = co_await collect(deadline); !done) co_return done.error();
  uses_.push_front(sql);
  prepared_.emplace(sql, Prepared{name, uses_.begin()});
  co_return name;
}

asio::awaitable<PgResult<Rows>> Connection::query(std::string_view sql, Params params,
                                                  std::chrono::milliseconds timeout) {
  co_return co_await run(sql, &params, timeout);
}

asio::awaitable<PgResult<Rows>> Connection::execute_script(std::string_view sql,
                                                           std::chrono::milliseconds timeout) {
  co_return co_await run(sql, nullptr, timeout);
}

asio::awaitable<PgResult<std::vector<Notification>>> Connection::wait_notifications(
    std::chrono::milliseconds timeout) {
  if (broken()) co_return Error::unavailable("connection is broken");
  if (in_operation_) co_return Error::query("", "connection busy: one operation at a time");
  in_operation_ = true;
  struct Done {
    bool& flag;
    ~Done() { flag = false; }
  } done{in_operation_};

  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (!PQconsumeInput(conn_)) co_return lost_error("waiting for notifications");
    std::vector<Notification> out = take_notifications();
    if (!out.empty()) co_return out;
    Wait w = co_await wait(false, deadline);
    if (w == Wait::timeout) co_return std::vector<Notification>{};  // idle, still healthy
    if (w == Wait::cancelled)
      co_return fail(Error::unavailable("listening aborted: connection closed"));
    if (w == Wait::failed) co_return lost_error("waiting for notifications");
  }
}

}  // namespace shopfloor::pg
