#include "mes/sql.hpp"

namespace shopfloor::mes::sql {
namespace {

// ORDER BY of a sort over alias `a`: always ends with id, so the order is total and
// pages neither overlap nor skip rows. With `by_index` false the keys are written as
// expressions ("+ 0") that no index provides, so PostgreSQL reads the matches through the
// filter's index and sorts them (see list_statement).
std::string order_by(const Sort& s, const char* a, bool by_index = true) {
  const char* dir = s.descending ? " DESC" : " ASC";
  const char* shift = by_index ? "" : (s.field == SortField::created_at ? " + interval '0'" : " + 0");
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
    case SortField::created_at: key("created_at", false); break;
    case SortField::due_date: key("due_date", false); break;
    case SortField::priority: key("priority", false); break;
    case SortField::number: break;  // the number is the id
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
  auto cond = [&where](const std::string& c) { where += (where.empty() ? " WHERE " : " AND ") + c; };
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
  std::string customer, work_center;
  if (q.customer) cond("o.customer = " + (customer = param(*q.customer)));
  if (q.work_center) cond("o.work_center = " + (work_center = param(*q.work_center)));
  if (q.overdue)
    cond("o.status NOT IN ('shipped', 'cancelled') AND o.due_date < " + param(today) + "::date");

  // Totals: the exact counters of order_counts when the filter is one of their keys
  // (status set, customer, work centre); otherwise an index count.
  std::string total;
  if (q.overdue || (q.customer && q.work_center)) {
    total = "SELECT count(*) FROM orders o" + where;
  } else {
    total = "SELECT COALESCE(sum(n), 0) FROM order_counts WHERE ";
    if (q.customer) total += "kind = 'customer' AND key = " + customer;
    else if (q.work_center) total += "kind = 'work_center' AND key = " + work_center;
    else total += "kind = 'all' AND key = ''";
    if (!statuses.empty()) total += " AND status = ANY(" + statuses + "::text[])";
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
  const bool newest_first =
      q.sort.descending && (q.sort.field == SortField::created_at || q.sort.field == SortField::number);
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
