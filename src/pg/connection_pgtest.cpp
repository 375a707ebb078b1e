// Connection against the real PostgreSQL: role, parameters, accessors, errors,
// deadlines. Needs the devenv server (.run/env.sh).
#include <gtest/gtest.h>

#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <stdexcept>

#include "pg/connection.hpp"
#include "pg/pgtest_env.hpp"

namespace shopfloor::pg {
namespace {

using namespace pgtest;
using Kind = Error::Kind;

class ConnectionTest : public PgTest {
 protected:
  std::unique_ptr<Connection> connect(const Options& o) {
    auto c = run(Connection::connect(io_.get_executor(), o));
    if (!c) {
      ADD_FAILURE() << "connect failed: " << to_string(c.error());
      return nullptr;
    }
    return std::move(*c);
  }
};

TEST_F(ConnectionTest, ConnectsAsTheAppRoleWhichIsNotSuperuser) {
  auto c = connect(opts_);
  ASSERT_TRUE(c);
  auto r =
      run(c->query("SELECT current_user, rolsuper, pg_backend_pid() FROM pg_roles "
                   "WHERE rolname = current_user"));
  ASSERT_TRUE(r) << to_string(r.error());
  ASSERT_EQ(r->size(), 1);
  EXPECT_EQ(r->text(0, 0), opts_.user);
  EXPECT_EQ(r->text(0, 1), "f") << "the services' role must not be a superuser";
  EXPECT_EQ(r->int64(0, 2), c->backend_pid());
  EXPECT_FALSE(c->broken());
  EXPECT_FALSE(c->in_transaction());
}

TEST_F(ConnectionTest, ParametersTravelAsValuesIncludingNulls) {
  auto c = connect(opts_);
  ASSERT_TRUE(c);
  const std::string tricky = "O'Brien\"; DROP TABLE api_tokens; --";
  auto r = run(c->query("SELECT $1::text AS a, $2::bigint AS b, $3::text AS c, $4::int + 1 AS d",
                        params(tricky, -9007199254740993LL, std::nullopt, 41)));
  ASSERT_TRUE(r) << to_string(r.error());
  ASSERT_EQ(r->size(), 1);
  ASSERT_EQ(r->columns(), 4);
  EXPECT_EQ(r->text(0, 0), tricky);
  EXPECT_EQ(r->int64(0, 1), -9007199254740993LL);
  EXPECT_TRUE(r->is_null(0, 2));
  EXPECT_FALSE(r->is_null(0, 0));
  EXPECT_EQ(r->text(0, 2), "");
  EXPECT_EQ(r->int64(0, 3), 42);
  EXPECT_EQ(r->column("b"), 1);
  EXPECT_EQ(r->column("d"), 3);
  EXPECT_EQ(r->column("B"), -1);
  EXPECT_THROW(r->int64(0, 2), std::invalid_argument);  // NULL
  EXPECT_THROW(r->int64(0, 0), std::invalid_argument);  // not a number
  EXPECT_THROW(r->text(1, 0), std::out_of_range);
  EXPECT_THROW(r->text(0, 4), std::out_of_range);

  auto rows =
      run(c->query("SELECT g, g * 10 FROM generate_series(1, $1::int) AS g ORDER BY g", params(5)));
  ASSERT_TRUE(rows) << to_string(rows.error());
  ASSERT_EQ(rows->size(), 5);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(rows->int64(i, 0), i + 1);
    EXPECT_EQ(rows->int64(i, 1), (i + 1) * 10);
  }
  EXPECT_EQ(rows->affected(), 5);  // SELECT reports its row count too
}

TEST_F(ConnectionTest, AffectedCountsChangedRows) {
  auto c = connect(opts_);
  ASSERT_TRUE(c);
  ASSERT_TRUE(run(c->query("CREATE TEMP TABLE t (id int PRIMARY KEY, v text)")));
  auto ins = run(c->query("INSERT INTO t SELECT g, 'x' FROM generate_series(1, 4) AS g"));
  ASSERT_TRUE(ins) << to_string(ins.error());
  EXPECT_EQ(ins->affected(), 4);
  EXPECT_EQ(ins->command_status(), "INSERT 0 4");
  auto upd = run(c->query("UPDATE t SET v = $1 WHERE id >= $2::int", params("y", 2)));
  ASSERT_TRUE(upd);
  EXPECT_EQ(upd->affected(), 3);
  auto del = run(c->query("DELETE FROM t WHERE id = $1::int", params(99)));
  ASSERT_TRUE(del);
  EXPECT_EQ(del->affected(), 0);
  auto ddl = run(c->query("CREATE TEMP TABLE u (x int)"));
  ASSERT_TRUE(ddl);
  EXPECT_EQ(ddl->affected(), 0);
}

TEST_F(ConnectionTest, ServerErrorsAreQueryErrorsWithSqlstate) {
  auto c = connect(opts_);
  ASSERT_TRUE(c);
  auto missing = run(c->query("SELECT * FROM sf_no_such_table_" + id_));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, Kind::query);
  EXPECT_EQ(missing.error().sqlstate, "42P01");
  EXPECT_NE(missing.error().message.find("does not exist"), std::string::npos);

  ASSERT_TRUE(run(c->query("CREATE TEMP TABLE uniq (k text PRIMARY KEY)")));
  ASSERT_TRUE(run(c->query("INSERT INTO uniq VALUES ($1)", params("a"))));
  auto dup = run(c->query("INSERT INTO uniq VALUES ($1)", params("a")));
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().kind, Kind::query);
  EXPECT_EQ(dup.error().sqlstate, "23505");

  auto syntax = run(c->query("SELEC 1"));
  ASSERT_FALSE(syntax);
  EXPECT_EQ(syntax.error().sqlstate, "42601");

  auto two = run(c->query("SELECT 1; SELECT 2"));  // parameterised protocol: one statement only
  ASSERT_FALSE(two);
  EXPECT_EQ(two.error().kind, Kind::query);

  // Errors leave the connection usable.
  EXPECT_FALSE(c->broken());
  auto ok = run(c->query("SELECT 1"));
  ASSERT_TRUE(ok) << to_string(ok.error());
  EXPECT_EQ(ok->int64(0, 0), 1);
}

// How many statements this session has prepared, as the server sees them (asked with
// the simple protocol, which prepares nothing).
int server_prepared(Connection& c, asio::io_context& io) {
  auto r =
      shopfloor::testing::run(io, c.execute_script("SELECT count(*) FROM pg_prepared_statements"));
  return r ? static_cast<int>(r->int64(0, 0)) : -1;
}

TEST_F(ConnectionTest, AStatementIsPreparedOnceAndRunByName) {
  auto c = connect(opts_);
  ASSERT_TRUE(c);
  for (int i = 0; i < 8; ++i) {  // past PostgreSQL's five custom plans: the generic one
    auto r = run(c->query("SELECT $1::int * 2", params(i)));
    ASSERT_TRUE(r) << to_string(r.error());
    EXPECT_EQ(r->int64(0, 0), i * 2);
  }
  EXPECT_EQ(c->prepared_count(), 1u);
  EXPECT_EQ(server_prepared(*c, io_), 1);
  auto text = run(
      c->query("SELECT statement FROM pg_prepared_statements WHERE name LIKE $1", params("sf%")));
  ASSERT_TRUE(text) << to_string(text.error());
  EXPECT_EQ(text->size(), 2);  // the doubling and this one

  // A statement the server refuses is not kept, and the connection stays usable.
  auto bad = run(c->query("SELEC $1::int", params(1)));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().sqlstate, "42601");
  EXPECT_EQ(c->prepared_count(), 2u);
  EXPECT_EQ(run(c->query("SELECT $1::int * 2", params(21)))->int64(0, 0), 42);

  Options off = opts_;
  off.prepare_statements = false;
  auto plain = connect(off);
  ASSERT_TRUE(plain);
  EXPECT_EQ(run(plain->query("SELECT $1::int * 2", params(4)))->int64(0, 0), 8);
  EXPECT_EQ(plain->prepared_count(), 0u);
  EXPECT_EQ(server_prepared(*plain, io_), 0);
}

// The server forgetting the statements (DISCARD ALL) or refusing a cached plan after a
// schema change does not fail a statement run outside a transaction: it is prepared
// again and run; inside a transaction the error reaches the caller, and the next run
// prepares afresh.
TEST_F(ConnectionTest, APreparedStatementTheServerLostOrReplannedIsPreparedAgain) {
  auto c = connect(opts_);
  ASSERT_TRUE(c);
  ASSERT_TRUE(run(c->query("CREATE TEMP TABLE p (k int PRIMARY KEY, v text)")));
  ASSERT_TRUE(run(c->query("INSERT INTO p VALUES ($1, $2)", params(1, "one"))));
  const std::string select = "SELECT * FROM p WHERE k = $1";
  ASSERT_EQ(run(c->query(select, params(1)))->columns(), 2);

  ASSERT_TRUE(run(c->execute_script("DISCARD PLANS; DEALLOCATE ALL")));
  auto after_discard = run(c->query(select, params(1)));
  ASSERT_TRUE(after_discard) << to_string(after_discard.error());
  EXPECT_EQ(after_discard->text(0, 1), "one");

  ASSERT_TRUE(run(c->execute_script("ALTER TABLE p ADD COLUMN w int DEFAULT 7")));
  auto widened = run(c->query(select, params(1)));
  ASSERT_TRUE(widened) << to_string(widened.error());
  ASSERT_EQ(widened->columns(), 3) << "the new column, from a fresh plan";
  EXPECT_EQ(widened->int64(0, 2), 7);

  ASSERT_TRUE(run(c->execute_script("BEGIN; ALTER TABLE p ADD COLUMN x int")));
  auto in_tx = run(c->query(select, params(1)));
  ASSERT_FALSE(in_tx) << "inside a transaction the error is the caller's";
  EXPECT_EQ(in_tx.error().sqlstate, "0A000");
  ASSERT_TRUE(run(c->execute_script("ROLLBACK")));
  auto again = run(c->query(select, params(1)));
  ASSERT_TRUE(again) << to_string(again.error());
  EXPECT_EQ(again->columns(), 3);
  EXPECT_FALSE(c->broken());
}

// Statement texts are the code's own, but a connection never holds more than its bound:
// past it, the least recently used statement is deallocated.
TEST_F(ConnectionTest, PreparedStatementsAreBoundedLeastRecentlyUsedFirst) {
  auto c = connect(opts_);
  ASSERT_TRUE(c);
  auto text = [](int i) { return "SELECT $1::int + " + std::to_string(i); };
  auto use = [&](int i) {
    auto r = run(c->query(text(i), params(1)));
    ASSERT_TRUE(r) << to_string(r.error());
    ASSERT_EQ(r->int64(0, 0), 1 + i);
  };
  auto on_server = [&](int i) {
    auto r = run(c->execute_script(
        "SELECT count(*) FROM pg_prepared_statements WHERE statement = '" + text(i) + "'"));
    return r ? r->int64(0, 0) : -1;
  };
  for (int i = 0; i < 256; ++i) use(i);
  EXPECT_EQ(c->prepared_count(), 256u);
  use(0);    // now the most recently used
  use(256);  // one too many: statement 1 goes
  EXPECT_EQ(c->prepared_count(), 256u);
  EXPECT_EQ(server_prepared(*c, io_), 256);
  EXPECT_EQ(on_server(0), 1);
  EXPECT_EQ(on_server(1), 0);
  EXPECT_EQ(on_server(2), 1);
  use(1);  // prepared again, in place of statement 2
  EXPECT_EQ(on_server(2), 0);
  EXPECT_EQ(server_prepared(*c, io_), 256);
}

TEST_F(ConnectionTest, ScriptRunsSeveralStatements) {
  auto c = connect(opts_);
  ASSERT_TRUE(c);
  auto r = run(c->execute_script(
      "CREATE TEMP TABLE s (x int); INSERT INTO s VALUES (1), (2); SELECT sum(x) FROM s"));
  ASSERT_TRUE(r) << to_string(r.error());
  EXPECT_EQ(r->int64(0, 0), 3);
  auto bad = run(c->execute_script("SELECT 1; SELECT * FROM sf_missing_" + id_ + "; SELECT 3"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().sqlstate, "42P01");
  EXPECT_FALSE(c->broken());
}

TEST_F(ConnectionTest, WrongPasswordIsUnavailable) {
  Options o = opts_;
  o.password = "wrong-" + id_;
  auto c = run(Connection::connect(io_.get_executor(), o));
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().kind, Kind::unavailable);
  EXPECT_NE(c.error().message.find("password authentication failed"), std::string::npos)
      << c.error().message;
  EXPECT_EQ(c.error().message.find(o.password), std::string::npos) << "password leaked";
}

TEST_F(ConnectionTest, NothingListeningIsUnavailableFast) {
  uint16_t port = 0;
  {
    asio::ip::tcp::acceptor probe(io_, {asio::ip::make_address("127.0.0.1"), 0});
    port = probe.local_endpoint().port();
  }  // closed: nothing listens there now
  Options o = opts_;
  o.port = port;
  const auto start = Clock::now();
  auto c = run(Connection::connect(io_.get_executor(), o));
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().kind, Kind::unavailable);
  EXPECT_LT(ms_since(start), 1000);
}

TEST_F(ConnectionTest, SilentServerTimesOutAfterConnectTimeout) {
  // Accepts TCP (the kernel completes the handshake) but never answers.
  asio::ip::tcp::acceptor silent(io_, {asio::ip::make_address("127.0.0.1"), 0});
  Options o = opts_;
  o.port = silent.local_endpoint().port();
  o.connect_timeout = 300ms;
  const auto start = Clock::now();
  auto c = run(Connection::connect(io_.get_executor(), o));
  const auto elapsed = ms_since(start);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().kind, Kind::unavailable);
  EXPECT_NE(c.error().message.find("timed out"), std::string::npos) << c.error().message;
  EXPECT_GE(elapsed, 290);
  EXPECT_LT(elapsed, 2000);  // bounded by connect_timeout, not by the silent peer
}

TEST_F(ConnectionTest, QueryTimeoutClosesTheConnectionAndTheServerAbortsTheQuery) {
  auto c = connect(opts_);
  auto observer = connect(opts_);
  ASSERT_TRUE(c && observer);
  const int pid = c->backend_pid();
  const auto start = Clock::now();
  // A query far longer than any bound below, so that "ended early" is unambiguous
  // on a loaded machine.
  auto r = run(c->query("SELECT pg_sleep(30)", {}, 100ms));
  const auto elapsed = ms_since(start);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, Kind::timeout);
  EXPECT_GE(elapsed, 95);
  EXPECT_LT(elapsed, 2000);
  EXPECT_TRUE(c->broken());
  EXPECT_FALSE(c->lost());

  const auto again = Clock::now();
  auto next = run(c->query("SELECT 1"));
  ASSERT_FALSE(next);
  EXPECT_EQ(next.error().kind, Kind::unavailable);
  EXPECT_LT(ms_since(again), 1000);  // at once: nothing is sent on a broken connection

  // The orphaned pg_sleep(30) must not run to completion: the server notices the
  // closed socket (client_connection_check_interval, 1 s) and ends the backend.
  bool gone = false;
  const auto watch = Clock::now();
  while (!gone && ms_since(watch) < 15000) {
    auto n = run(
        observer->query("SELECT count(*) FROM pg_stat_activity WHERE pid = $1::int", params(pid)));
    ASSERT_TRUE(n) << to_string(n.error());
    gone = n->int64(0, 0) == 0;
    if (!gone) run_for(io_, 50ms);
  }
  EXPECT_TRUE(gone) << "backend " << pid << " still running the abandoned query";
}

TEST_F(ConnectionTest, CloseAbortsAQueryInProgress) {
  auto c = connect(opts_);
  ASSERT_TRUE(c);
  std::optional<PgResult<Rows>> result;
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> { result.emplace(co_await c->query("SELECT pg_sleep(5)")); },
      asio::detached);
  asio::steady_timer t(io_, 100ms);
  t.async_wait([&](boost::system::error_code) { c->close(); });
  const auto start = Clock::now();
  ASSERT_TRUE(run_until([&] { return result.has_value(); }, 4s));
  EXPECT_LT(ms_since(start), 2000);  // the 5 s query did not run to its end
  ASSERT_FALSE(*result);
  EXPECT_EQ(result->error().kind, Kind::unavailable);
  EXPECT_TRUE(c->broken());
}

// A listener's connection that breaks must not take with it the notifications the server
// sent before the end: they are the server's word on what committed (a restart or a
// terminated backend must not hide a change from the feed).
TEST_F(ConnectionTest, NotificationsSentBeforeTheConnectionBrokeAreKept) {
  auto listener = connect(opts_);
  auto sender = connect(opts_);
  ASSERT_TRUE(listener && sender);
  const std::string channel = "sf_test_kept_" + id_;
  ASSERT_TRUE(run(listener->query("LISTEN " + channel)));
  ASSERT_TRUE(run(sender->query("SELECT pg_notify($1, 'before the end')", params(channel))));
  run_for(io_, 100ms);  // the backend has sent it; nobody has read it yet
  auto killed = run(sender->query("SELECT pg_terminate_backend($1::int)",
                                  params(std::to_string(listener->backend_pid()))));
  ASSERT_TRUE(killed) << to_string(killed.error());
  run_for(io_, 100ms);
  // A query on the dead connection fails (as a heartbeat would); what came before is kept.
  auto r = run(listener->query("SELECT 1"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, Kind::unavailable);
  EXPECT_TRUE(listener->broken());
  auto kept = listener->take_notifications();
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].channel, channel);
  EXPECT_EQ(kept[0].payload, "before the end");
  EXPECT_TRUE(listener->take_notifications().empty()) << "taken once";
}

TEST_F(ConnectionTest, OneOperationAtATime) {
  auto c = connect(opts_);
  ASSERT_TRUE(c);
  std::optional<PgResult<Rows>> first, second;
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> { first.emplace(co_await c->query("SELECT pg_sleep(0.1)")); },
      asio::detached);
  asio::co_spawn(
      io_, [&]() -> asio::awaitable<void> { second.emplace(co_await c->query("SELECT 2")); },
      asio::detached);
  ASSERT_TRUE(run_until([&] { return first && second; }, 5s));
  EXPECT_TRUE(*first);
  ASSERT_FALSE(*second);
  EXPECT_EQ(second->error().kind, Kind::query);
  EXPECT_FALSE(c->broken());
}

}  // namespace
}  // namespace shopfloor::pg
