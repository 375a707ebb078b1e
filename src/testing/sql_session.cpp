#include "testing/sql_session.hpp"

#include <libpq-fe.h>

#include <memory>
#include <stdexcept>

#include "testing/settings.hpp"

namespace shopfloor::testing {

namespace {

std::vector<std::vector<std::string>> take(PGresult* r, const std::string& what) {
  std::unique_ptr<PGresult, decltype(&PQclear)> owner(r, &PQclear);
  const auto status = PQresultStatus(r);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    throw SqlError(state ? state : "",
                   "SQL failed: " + std::string(PQresultErrorMessage(r)) + " in: " + what);
  }
  std::vector<std::vector<std::string>> rows;
  for (int i = 0; i < PQntuples(r); ++i) {
    rows.emplace_back();
    for (int j = 0; j < PQnfields(r); ++j) rows.back().emplace_back(PQgetvalue(r, i, j));
  }
  return rows;
}

}  // namespace

SqlSession::SqlSession(const std::string& application_name, const std::string& options) {
  const pg::Options o = pg_options(application_name);
  const std::string port = std::to_string(o.port);
  const char* keys[] = {"host",    "port", "dbname", "user", "password", "application_name",
                        "options", nullptr};
  const char* values[] = {o.host.c_str(),     port.c_str(),
                          o.dbname.c_str(),   o.user.c_str(),
                          o.password.c_str(), o.application_name.c_str(),
                          options.c_str(),    nullptr};
  conn_ = PQconnectdbParams(keys, values, 0);
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string why = PQerrorMessage(conn_);
    PQfinish(conn_);
    conn_ = nullptr;
    throw std::runtime_error("cannot connect to PostgreSQL: " + why);
  }
}

SqlSession::~SqlSession() {
  if (conn_) PQfinish(conn_);
}

std::vector<std::vector<std::string>> SqlSession::exec(const std::string& sql,
                                                       const std::vector<std::string>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p.c_str());
  return take(PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                           values.data(), nullptr, nullptr, 0),
              sql);
}

void SqlSession::script(const std::string& sql) {
  take(PQexec(conn_, sql.c_str()), sql.substr(0, 80));
}

std::string SqlSession::value(const std::string& sql, const std::vector<std::string>& params) {
  auto rows = exec(sql, params);
  if (rows.empty() || rows[0].empty()) throw std::runtime_error("no value from: " + sql);
  return rows[0][0];
}

}  // namespace shopfloor::testing
