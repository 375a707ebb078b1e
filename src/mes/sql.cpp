#include "mes/sql.hpp"

namespace shopfloor::mes::sql {
namespace {

// ORDER BY of a sort over alias `a`: always ends with id, so the order is total and
// pages neither overlap nor skip rows. With `by_index` false the keys are written as
// expressions ("+ 0") that no index provides, so PostgreSQL reads the matches through the
// filter's index and sorts them (see list_statement).
std::string order_by(const Sort& s, const char* a, bool by_index = true) {
  const char* dir = s.descending ? " DESC" : " ASC";
  const char* shift =
      by_index ? "" : (s.field == SortField::created_at ? " + interval '0'" : " + 0");
  std::string out;
  auto key = [&](const char* column, bool last) {
    out += a;
    out += '.';
    out += column;
    out += shift;
    out += dir;
    if (!last) out += ", ";
  };
  switch (s.field) {
    case SortField::created_at:
      key("created_at", false);
      break;
    case SortField::due_date:
      key("due_date", false);
      break;
    case SortField::priority:
      key("priority", false);
      break;
    case SortField::number:
      break;  // the number is the id
  }
  if (!by_index) shift = " + 0";
  key("id", true);
  return out;
}

}  // namespace

ListStatement list_statement(const ListQuery& q, const std::string& today) {
  ListStatement st;
  st.params.push_back(std::to_string(q.page_size));
  st.params.push_back(std::to_string(static_cast<long long>(q.page - 1) * q.page_size));

  std::string where;
  auto param = [&st](std::string value) {
    st.params.push_back(std::move(value));
    std::string placeholder(1, '$');  // (not "$" + …: g++ 12 warns falsely, -Wrestrict)
    placeholder += std::to_string(st.params.size());
    return placeholder;
  };
  auto cond = [&where](const std::string& c) {
    where += (where.empty() ? " WHERE " : " AND ") + c;
  };
  std::string statuses;
  if (!q.statuses.empty()) {
    std::string array = "{";
    for (std::size_t i = 0; i < q.statuses.size(); ++i) {
      if (i) array += ',';
      array += to_string(q.statuses[i]);
    }
    array += '}';
    statuses = param(array);
    cond("o.status = ANY(" + statuses + "::text[])");
  }
  std::string customer, work_center, today_param;
  if (q.customer) cond("o.customer = " + (customer = param(*q.customer)));
  if (q.work_center) cond("o.work_center = " + (work_center = param(*q.work_center)));
  if (q.overdue)
    cond("o.status NOT IN ('shipped', 'cancelled') AND o.due_date < " +
         (today_param = param(today)) + "::date");

  // Totals: exact counters kept by the orders triggers (sql/0004_mes.sql, 0005) wherever
  // the filter is one of their keys: overdue from the open orders per due date (alone, or
  // by status and work centre), a customer and a work centre together from
  // customer_work_center_counts, one of status set / customer / work centre from
  // order_counts. Overdue for one customer counts through the indexes.
  std::string total;
  auto status_filter = [&statuses]() {
    return statuses.empty() ? std::string() : " AND status = ANY(" + statuses + "::text[])";
  };
  if (q.overdue && q.customer) {
    total = "SELECT count(*) FROM orders o" + where;
  } else if (q.overdue && statuses.empty() && !q.work_center) {
    total = "SELECT COALESCE(sum(n), 0) FROM live_due_counts WHERE due_date < " + today_param +
            "::date";
  } else if (q.overdue) {
    total = "SELECT COALESCE(sum(n), 0) FROM live_order_counts WHERE due_date < " + today_param +
            "::date" + status_filter();
    if (q.work_center) total += " AND work_center = " + work_center;
  } else if (q.customer && q.work_center) {
    total =
        "SELECT COALESCE(sum(n), 0) FROM customer_work_center_counts WHERE customer = " + customer +
        " AND work_center = " + work_center + status_filter();
  } else {
    total = "SELECT COALESCE(sum(n), 0) FROM order_counts WHERE ";
    if (q.customer)
      total += "kind = 'customer' AND key = " + customer;
    else if (q.work_center)
      total += "kind = 'work_center' AND key = " + work_center;
    else
      total += "kind = 'all' AND key = ''";
    total += status_filter();
  }

  // Open orders only (overdue, or live statuses only) are the small live tail of a large
  // table, and the newest. Walking a sort index while filtering (the plan PostgreSQL
  // estimates cheapest, assuming matches are spread evenly) reads them quickly only when
  // the index leads with the status or runs newest first; otherwise (e.g. number
  // ascending) it would read most of the table: then read the matches and sort them.
  bool open_only = q.overdue;
  if (!q.statuses.empty()) {
    open_only = true;
    for (Status s : q.statuses) open_only = open_only && !is_final(s);
  }
  const bool newest_first = q.sort.descending && (q.sort.field == SortField::created_at ||
                                                  q.sort.field == SortField::number);
  const bool status_index =
      q.statuses.size() == 1 && !q.overdue && q.sort.field == SortField::created_at;
  const bool by_index = !open_only || newest_first || status_index;

  // Deferred join: find the page's ids first (index-only where an index covers filter
  // and sort), then read just those rows, so skipped rows (OFFSET) cost no heap access
  // and no formatting.
  st.text = "WITH ids AS (SELECT o.id FROM orders o" + where + " ORDER BY " +
            order_by(q.sort, "o", by_index) +
            " LIMIT $1::integer OFFSET $2::bigint), "
            "page AS (SELECT " SHOPFLOOR_MES_ORDER_COLUMNS
            ", o.id, o.created_at, o.due_date FROM ids JOIN orders o ON o.id = ids.id) "
            "SELECT t.total, page.* FROM (" +
            total + ") AS t(total) LEFT JOIN page ON true ORDER BY " + order_by(q.sort, "page");
  return st;
}

}  // namespace shopfloor::mes::sql
