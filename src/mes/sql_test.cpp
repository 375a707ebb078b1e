#include "mes/sql.hpp"

#include <gtest/gtest.h>

namespace shopfloor::mes {
namespace {

TEST(ListStatement, ValuesAreParametersNeverText) {
  ListQuery q;
  q.customer = "x'; DROP TABLE orders; --";
  q.statuses = {Status::new_, Status::ready};
  q.overdue = true;
  q.page = 3;
  q.page_size = 20;
  const auto st = sql::list_statement(q, "2026-11-24");
  EXPECT_EQ(st.text.find("DROP"), std::string::npos);
  ASSERT_EQ(st.params.size(), 5u);
  EXPECT_EQ(st.params[0], "20");
  EXPECT_EQ(st.params[1], "40");
  EXPECT_EQ(st.params[2], "{new,ready}");
  EXPECT_EQ(st.params[3], *q.customer);
  EXPECT_EQ(st.params[4], "2026-11-24");
  EXPECT_NE(st.text.find("count(*)"), std::string::npos);  // overdue for a customer: counted
}

TEST(ListStatement, TotalsComeFromTheCountersWhenTheFilterIsOneOfTheirKeys) {
  ListQuery q;
  q.statuses = {Status::shipped};
  q.sort = Sort{SortField::due_date, false};
  const auto st = sql::list_statement(q, "2026-11-24");
  EXPECT_NE(
      st.text.find("order_counts WHERE kind = 'all' AND key = '' AND status = ANY($3::text[])"),
      std::string::npos);
  EXPECT_NE(st.text.find("ORDER BY o.due_date ASC, o.id ASC"), std::string::npos);
  EXPECT_NE(st.text.find("ORDER BY page.due_date ASC, page.id ASC"), std::string::npos);

  ListQuery by_customer;
  by_customer.customer = "Acme";
  by_customer.statuses = {Status::new_};
  const auto st3 = sql::list_statement(by_customer, "2026-11-24");
  EXPECT_NE(st3.text.find("kind = 'customer' AND key = $4 AND status = ANY($3::text[])"),
            std::string::npos);
  by_customer.work_center = "CNC-1";  // both keys: their own counters
  EXPECT_NE(sql::list_statement(by_customer, "2026-11-24")
                .text.find("FROM customer_work_center_counts WHERE customer = $4 AND "
                           "work_center = $5 AND status = ANY($3::text[])"),
            std::string::npos);

  ListQuery overdue;  // overdue: the open orders per due date, never count(*)
  overdue.overdue = true;
  auto text = sql::list_statement(overdue, "2026-11-24").text;
  EXPECT_NE(text.find("FROM live_due_counts WHERE due_date < $3::date"), std::string::npos) << text;
  EXPECT_EQ(text.find("count(*)"), std::string::npos);
  overdue.statuses = {Status::new_, Status::ready};
  overdue.work_center = "CNC-1";
  text = sql::list_statement(overdue, "2026-11-24").text;
  EXPECT_NE(text.find("FROM live_order_counts WHERE due_date < $5::date AND status = "
                      "ANY($3::text[]) AND work_center = $4"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("count(*)"), std::string::npos);

  // Live statuses: one index scan per status (the open-order indexes of sql/0007), each
  // up to the page's end, merged in the sort order; never the matches sorted.
  ListQuery live;
  live.statuses = {Status::new_, Status::approved};
  live.sort = Sort{SortField::number, false};
  const auto st4 = sql::list_statement(live, "2026-11-24");
  EXPECT_NE(st4.text.find("(SELECT o.id FROM orders o WHERE o.status = ($3::text[])[1] ORDER BY "
                          "o.id ASC LIMIT $1::integer + $2::bigint) UNION ALL (SELECT o.id FROM "
                          "orders o WHERE o.status = ($3::text[])[2] ORDER BY o.id ASC LIMIT "
                          "$1::integer + $2::bigint)) u ORDER BY u.id ASC LIMIT $1::integer "
                          "OFFSET $2::bigint"),
            std::string::npos)
      << st4.text;
  EXPECT_EQ(st4.text.find("+ 0"), std::string::npos) << st4.text;
  live.sort = Sort{SortField::due_date, false};
  live.customer = "Acme";
  const auto st5 = sql::list_statement(live, "2026-11-24");
  EXPECT_NE(st5.text.find("(SELECT o.id, o.due_date FROM orders o WHERE o.status = "
                          "($3::text[])[2] AND o.customer = $4 ORDER BY o.due_date ASC, o.id ASC "
                          "LIMIT $1::integer + $2::bigint)"),
            std::string::npos)
      << st5.text;
  live.statuses = {Status::in_production};  // one: its index, in the sort's order
  EXPECT_NE(sql::list_statement(live, "2026-11-24")
                .text.find("WHERE o.status = ($3::text[])[1] AND o.customer = $4 ORDER BY "
                           "o.due_date ASC, o.id ASC LIMIT"),
            std::string::npos);
  ListQuery late;  // overdue alone, oldest first: the matches read and sorted
  late.overdue = true;
  late.sort = Sort{SortField::created_at, false};
  EXPECT_NE(sql::list_statement(late, "2026-11-24")
                .text.find("ORDER BY o.created_at + interval '0' ASC, o.id + 0 ASC"),
            std::string::npos);
  late.sort = Sort{SortField::created_at, true};  // newest first: the index finds them at once
  EXPECT_NE(sql::list_statement(late, "2026-11-24")
                .text.find("ORDER BY o.created_at DESC, o.id DESC LIMIT"),
            std::string::npos);

  ListQuery all;
  const auto st2 = sql::list_statement(all, "2026-11-24");
  EXPECT_EQ(st2.params.size(), 2u);
  EXPECT_NE(st2.text.find("ORDER BY o.created_at DESC, o.id DESC"), std::string::npos);
}

}  // namespace
}  // namespace shopfloor::mes
