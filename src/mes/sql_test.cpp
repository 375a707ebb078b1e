#include "mes/sql.hpp"

#include <gtest/gtest.h>

namespace shopfloor::mes {
namespace {

// Input values are parameters; only the statuses (fixed enum names) and the page's
// bounds (validated integers) are written as text.
TEST(ListStatement, ValuesAreParametersNeverText) {
  ListQuery q;
  q.customer = "x'; DROP TABLE orders; --";
  q.statuses = {Status::new_, Status::ready};
  q.overdue = true;
  q.page = 3;
  q.page_size = 20;
  const auto st = sql::list_statement(q, "2026-11-24");
  EXPECT_EQ(st.text.find("DROP"), std::string::npos);
  ASSERT_EQ(st.params.size(), 2u);
  EXPECT_EQ(st.params[0], *q.customer);
  EXPECT_EQ(st.params[1], "2026-11-24");
  EXPECT_NE(st.text.find("LIMIT 20 OFFSET 40"), std::string::npos) << st.text;
  EXPECT_NE(st.text.find("o.status = ANY('{new,ready}'::text[])"), std::string::npos) << st.text;
  EXPECT_NE(st.text.find("count(*)"), std::string::npos);  // overdue for a customer: counted
}

TEST(ListStatement, TotalsComeFromTheCountersWhenTheFilterIsOneOfTheirKeys) {
  ListQuery q;
  q.statuses = {Status::shipped};
  q.sort = Sort{SortField::due_date, false};
  const auto st = sql::list_statement(q, "2026-11-24");
  EXPECT_NE(
      st.text.find(
          "order_counts WHERE kind = 'all' AND key = '' AND status = ANY('{shipped}'::text[])"),
      std::string::npos);
  EXPECT_NE(st.text.find("ORDER BY o.due_date ASC, o.id ASC"), std::string::npos);
  EXPECT_NE(st.text.find("ORDER BY page.due_date ASC, page.id ASC"), std::string::npos);

  ListQuery by_customer;
  by_customer.customer = "Acme";
  by_customer.statuses = {Status::new_};
  const auto st3 = sql::list_statement(by_customer, "2026-11-24");
  EXPECT_NE(st3.text.find("kind = 'customer' AND key = $1 AND status = ANY('{new}'::text[])"),
            std::string::npos);
  by_customer.work_center = "CNC-1";  // both keys: their own counters
  EXPECT_NE(sql::list_statement(by_customer, "2026-11-24")
                .text.find("FROM customer_work_center_counts WHERE customer = $1 AND "
                           "work_center = $2 AND status = ANY('{new}'::text[])"),
            std::string::npos);

  ListQuery overdue;  // overdue: the open orders per due date, never count(*)
  overdue.overdue = true;
  auto text = sql::list_statement(overdue, "2026-11-24").text;
  EXPECT_NE(text.find("FROM live_due_counts WHERE due_date < $1::date"), std::string::npos) << text;
  EXPECT_EQ(text.find("count(*)"), std::string::npos);
  overdue.statuses = {Status::new_, Status::ready};
  overdue.work_center = "CNC-1";
  text = sql::list_statement(overdue, "2026-11-24").text;
  EXPECT_NE(text.find("FROM live_order_counts WHERE due_date < $2::date AND status = "
                      "ANY('{new,ready}'::text[]) AND work_center = $1"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("count(*)"), std::string::npos);

  // Live statuses: one index scan per status (the open-order indexes of sql/0007), each
  // up to the page's end, merged in the sort order; never the matches sorted.
  ListQuery live;
  live.statuses = {Status::new_, Status::approved};
  live.sort = Sort{SortField::number, false};
  const auto st4 = sql::list_statement(live, "2026-11-24");
  EXPECT_NE(st4.text.find("(SELECT o.id FROM orders o WHERE o.status = 'new' ORDER BY "
                          "o.id ASC LIMIT 50) UNION ALL (SELECT o.id FROM "
                          "orders o WHERE o.status = 'approved' ORDER BY o.id ASC LIMIT "
                          "50)) u ORDER BY u.id ASC LIMIT 50 OFFSET 0"),
            std::string::npos)
      << st4.text;
  EXPECT_EQ(st4.text.find("+ 0"), std::string::npos) << st4.text;
  live.page = 3;  // each branch up to the page's end, the merge from its start
  live.page_size = 20;
  const auto st6 = sql::list_statement(live, "2026-11-24");
  EXPECT_NE(st6.text.find("ORDER BY o.id ASC LIMIT 60) UNION ALL"), std::string::npos) << st6.text;
  EXPECT_NE(st6.text.find("u ORDER BY u.id ASC LIMIT 20 OFFSET 40"), std::string::npos);
  live.page = 1;
  live.page_size = 50;
  live.sort = Sort{SortField::due_date, false};
  live.customer = "Acme";
  const auto st5 = sql::list_statement(live, "2026-11-24");
  EXPECT_NE(st5.text.find("(SELECT o.id, o.due_date FROM orders o WHERE o.status = "
                          "'approved' AND o.customer = $1 ORDER BY o.due_date ASC, o.id ASC "
                          "LIMIT 50)"),
            std::string::npos)
      << st5.text;
  live.statuses = {Status::in_production};  // one: its index, in the sort's order
  EXPECT_NE(sql::list_statement(live, "2026-11-24")
                .text.find("WHERE o.status = 'in_production' AND o.customer = $1 ORDER BY "
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
  EXPECT_EQ(st2.params.size(), 0u);
  EXPECT_NE(st2.text.find("ORDER BY o.created_at DESC, o.id DESC"), std::string::npos);
}

}  // namespace
}  // namespace shopfloor::mes
