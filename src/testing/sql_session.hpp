// SqlSession: a blocking libpq session of its own on the test database — "another
// system" changing data behind the services' back (its commits notify the change
// feeds like anyone else's), and a way to check what a test's requests stored.
//
// Settings from testing::pg_options(); `options` is passed as libpq's "options"
// (e.g. "-c search_path=scratch"). The constructor throws when it cannot connect;
// exec() and script() throw SqlError, with the server's message and SQLSTATE, when a
// statement fails.
//
// Thread-safety: one session per thread.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

struct pg_conn;

namespace shopfloor::testing {

struct SqlError : std::runtime_error {
  SqlError(std::string state, const std::string& what)
      : std::runtime_error(what), sqlstate(std::move(state)) {}
  std::string sqlstate;  // five characters, or empty when the server sent none
};

class SqlSession {
 public:
  explicit SqlSession(const std::string& application_name = "sf_test_other_system",
                      const std::string& options = "");
  ~SqlSession();
  SqlSession(const SqlSession&) = delete;
  SqlSession& operator=(const SqlSession&) = delete;

  // Runs one statement with text parameters; returns the rows as text (NULL → "").
  std::vector<std::vector<std::string>> exec(const std::string& sql,
                                             const std::vector<std::string>& params = {});
  // Several statements in one string (simple protocol), e.g. a migration file.
  void script(const std::string& sql);
  // The first column of the first row; throws when there is none.
  std::string value(const std::string& sql, const std::vector<std::string>& params = {});

 private:
  pg_conn* conn_ = nullptr;
};

}  // namespace shopfloor::testing
