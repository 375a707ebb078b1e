// SqlSession: a blocking libpq session of its own on the test database — "another
// system" changing data behind the services' back (its commits notify the change
// feeds like anyone else's), and a way to check what a test's requests stored.
//
// Settings from testing::pg_options(). The constructor throws when it cannot connect;
// exec() throws with the server's message when a statement fails.
//
// Thread-safety: one session per thread.
#pragma once

#include <string>
#include <vector>

struct pg_conn;

namespace shopfloor::testing {

class SqlSession {
 public:
  explicit SqlSession(const std::string& application_name = "sf_test_other_system");
  ~SqlSession();
  SqlSession(const SqlSession&) = delete;
  SqlSession& operator=(const SqlSession&) = delete;

  // Runs one statement with text parameters; returns the rows as text (NULL → "").
  std::vector<std::vector<std::string>> exec(const std::string& sql,
                                             const std::vector<std::string>& params = {});
  // The first column of the first row; throws when there is none.
  std::string value(const std::string& sql, const std::vector<std::string>& params = {});

 private:
  pg_conn* conn_ = nullptr;
};

}  // namespace shopfloor::testing
