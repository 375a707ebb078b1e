#include "mes/sql.hpp"

namespace shopfloor::mes::sql {
namespace {

// The column a sort orders by before the id; none for the number (the number is the id).
const char* sort_column(const Sort& s) {
  switch (s.field) {
    case SortField::created_at:
      return "created_at";
    case SortField::due_date:
      return "due_date";
    case SortField::priority:
      return "priority";
    case SortField::number:
      break;
  }
  return nullptr;
}

// ORDER BY of a sort over alias `a`: always ends with id, so the order is total and
// pages neither overlap nor skip rows. With `by_index` false the keys are written as
// expressions ("+ 0") that no index provides, so PostgreSQL reads the matches through the
// filter's index and sorts them (see list_statement).
std::string order_by(const Sort& s, const char* a, bool by_index = true) {
  const char* dir = s.descending ? " DESC" : " ASC";
  std::string out;
  auto key = [&](const char* column, const char* shift) {
    out += a;
    out += '.';
    out += column;
    if (!by_index) out += shift;
    out += dir;
  };
  if (const char* column = sort_column(s)) {
    key(column, s.field == SortField::created_at ? " + interval '0'" : " + 0");
    out += ", ";
  }
  key("id", " + 0");
  return out;
}

}  // namespace

ListStatement list_statement(const ListQuery& q, const std::string& today) {
  ListStatement st;
  // The page's bounds are written into the text too (validated integers, see
  // list_query.hpp): with them as parameters PostgreSQL costs a generic plan for an
  // unknown LIMIT (a tenth of the rows), finds it dearer than the custom ones and plans
  // every run of the prepared statement again; as literals it settles on the generic
  // plan after five runs (planning ~0.37 ms -> ~0.01 ms for a list page).
  const long long offset = static_cast<long long>(q.page - 1) * q.page_size;
  const std::string limit =
      " LIMIT " + std::to_string(q.page_size) + " OFFSET " + std::to_string(offset);
  const std::string branch_limit = " LIMIT " + std::to_string(offset + q.page_size);

  // The filters but the status, each as " AND <condition>" (the status condition comes
  // first, or per branch: see below).
  std::string rest;
  auto param = [&st](std::string value) {
    st.params.push_back(std::move(value));
    std::string placeholder(1, '$');  // (not "$" + …: g++ 12 warns falsely, -Wrestrict)
    placeholder += std::to_string(st.params.size());
    return placeholder;
  };
  auto cond = [&rest](const std::string& c) { rest += " AND " + c; };
  // The statuses are written into the text, not passed: they come from the Status enum
  // (fixed lower-case names, nothing from input), there are few sets in use, and a literal
  // lets the planner match the open-order partial indexes (sql/0007) also in the generic
  // plan of a prepared statement (pg/connection.hpp), which a parameter never could.
  std::string statuses;
  if (!q.statuses.empty()) {
    statuses = "'{";
    for (std::size_t i = 0; i < q.statuses.size(); ++i) {
      if (i) statuses += ',';
      statuses += to_string(q.statuses[i]);
    }
    statuses += "}'";
  }
  std::string customer, work_center, today_param;
  if (q.customer) cond("o.customer = " + (customer = param(*q.customer)));
  if (q.work_center) cond("o.work_center = " + (work_center = param(*q.work_center)));
  if (q.overdue)
    cond("o.status NOT IN ('shipped', 'cancelled') AND o.due_date < " +
         (today_param = param(today)) + "::date");

  // One status is written as an equality, not `= ANY`: PostgreSQL 15 takes an index scan
  // with `= ANY(array)` for unordered, so it would sort every match even for one element.
  auto status_is = [&q](std::size_t i) {
    return "o.status = '" + std::string(to_string(q.statuses[i])) + "'";
  };
  std::string where;
  if (q.statuses.size() == 1)
    where = " WHERE " + status_is(0) + rest;
  else if (!q.statuses.empty())
    where = " WHERE o.status = ANY(" + statuses + "::text[])" + rest;
  else if (!rest.empty())
    where = " WHERE" + rest.substr(4);

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

  // Live statuses only: the open-order indexes of sql/0007 lead with the status (alone, or
  // after the customer or the work centre) and yield the page in its sort order, one
  // status per index scan. Several statuses: one branch per status, each limited to the
  // rows up to the page's end, merged in the sort order (so a page reads at most
  // statuses x (offset + page size) rows, never every match).
  bool live_statuses = !q.statuses.empty();
  for (Status s : q.statuses) live_statuses = live_statuses && !is_final(s);
  // Overdue (open orders due before today, without a status filter): the small live
  // tail of a large table, and the newest. Walking a sort index while filtering (the plan
  // PostgreSQL estimates cheapest, assuming matches are spread evenly) reads them quickly
  // only when it runs newest first; otherwise (e.g. number ascending) it would read most
  // of the table: then read the matches and sort them.
  const bool newest_first = q.sort.descending && (q.sort.field == SortField::created_at ||
                                                  q.sort.field == SortField::number);
  const bool by_index = live_statuses || !q.overdue || newest_first;

  // Deferred join: find the page's ids first (index-only where an index covers filter
  // and sort), then read just those rows, so skipped rows (OFFSET) cost no heap access
  // and no formatting.
  std::string ids;
  if (live_statuses && q.statuses.size() > 1) {
    const char* key = sort_column(q.sort);
    const std::string columns = key ? std::string("o.id, o.") + key : std::string("o.id");
    ids = "SELECT u.id FROM (";
    for (std::size_t i = 0; i < q.statuses.size(); ++i) {
      if (i) ids += " UNION ALL ";
      ids.append("(SELECT ").append(columns).append(" FROM orders o WHERE ");
      ids.append(status_is(i)).append(rest).append(" ORDER BY ").append(order_by(q.sort, "o"));
      ids.append(branch_limit).append(")");
    }
    ids += ") u ORDER BY " + order_by(q.sort, "u") + limit;
  } else {
    ids = "SELECT o.id FROM orders o" + where + " ORDER BY " + order_by(q.sort, "o", by_index) +
          limit;
  }
  st.text = "WITH ids AS (" + ids +
            "), "
            "page AS (SELECT " SHOPFLOOR_MES_ORDER_COLUMNS
            ", o.id, o.created_at, o.due_date FROM ids JOIN orders o ON o.id = ids.id) "
            "SELECT t.total, page.* FROM (" +
            total + ") AS t(total) LEFT JOIN page ON true ORDER BY " + order_by(q.sort, "page");
  return st;
}

}  // namespace shopfloor::mes::sql
