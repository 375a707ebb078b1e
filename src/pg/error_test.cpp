// Error → Problem mapping, parameter conversion and empty Rows; no database.
#include "pg/error.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "pg/params.hpp"
#include "pg/rows.hpp"

namespace shopfloor::pg {
namespace {

TEST(PgError, MapsToProblemKinds) {
  EXPECT_EQ(Error::unavailable("refused").to_problem().kind, ProblemKind::unavailable);
  EXPECT_EQ(Error::timeout("slow").to_problem().kind, ProblemKind::unavailable);
  auto q = Error::query("23505", "duplicate key value violates unique constraint \"x\"");
  auto p = q.to_problem();
  EXPECT_EQ(p.kind, ProblemKind::internal);
  EXPECT_EQ(p.message.find("duplicate"), std::string::npos) << "server text stays in logs";
  EXPECT_EQ(to_string(q), "query 23505: duplicate key value violates unique constraint \"x\"");
  // The server cannot do it now (a restart, a lost connection, a deadlock): 503, retry.
  for (const char* state :
       {"57P01", "57P02", "57P03", "08006", "08P01", "53300", "40001", "40P01", "55P03"}) {
    EXPECT_EQ(Error::query(state, "x").to_problem().kind, ProblemKind::unavailable) << state;
  }
  for (const char* state : {"42P01", "22P02", "57P04", "23503", ""}) {
    EXPECT_EQ(Error::query(state, "x").to_problem().kind, ProblemKind::internal) << state;
  }
}

TEST(PgError, ValueOfAFailedResultThrows) {
  PgResult<int> r = Error::timeout("slow");
  EXPECT_THROW(r.value(), ErrorException);
  try {
    (void)r.value();
  } catch (const ErrorException& e) {
    EXPECT_EQ(e.error().kind, Error::Kind::timeout);
  }
}

TEST(PgParams, ConvertsToText) {
  std::string s = "text";
  std::string_view sv = "view";
  std::optional<std::string> none;
  std::optional<std::string> some = "some";
  Params p = params(s, sv, "literal", 42, -7LL, true, false, std::nullopt, none, some);
  ASSERT_EQ(p.size(), 10u);
  EXPECT_EQ(p[0], "text");
  EXPECT_EQ(p[1], "view");
  EXPECT_EQ(p[2], "literal");
  EXPECT_EQ(p[3], "42");
  EXPECT_EQ(p[4], "-7");
  EXPECT_EQ(p[5], "true");
  EXPECT_EQ(p[6], "false");
  EXPECT_FALSE(p[7]);
  EXPECT_FALSE(p[8]);
  EXPECT_EQ(p[9], "some");
  EXPECT_TRUE(params().empty());
}

TEST(PgRows, DefaultIsEmpty) {
  Rows r;
  EXPECT_EQ(r.size(), 0);
  EXPECT_EQ(r.columns(), 0);
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.affected(), 0);
  EXPECT_EQ(r.column("x"), -1);
  EXPECT_EQ(r.command_status(), "");
  EXPECT_THROW(r.text(0, 0), std::out_of_range);
}

}  // namespace
}  // namespace shopfloor::pg
