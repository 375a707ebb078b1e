#include "mes/render.hpp"

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "mes/sql.hpp"
#include "mes/status.hpp"
#include "pg/rows.hpp"

namespace shopfloor::mes {
namespace {

namespace json = boost::json;

// The 10 Order columns starting at `col` (sql::kOrderColumns).
json::object order_object(const pg::Rows& rows, int row, int col) {
  json::object o;
  o.reserve(10);
  o["number"] = rows.text(row, col + 0);
  o["customer"] = rows.text(row, col + 1);
  o["product_sku"] = rows.text(row, col + 2);
  o["quantity"] = rows.int64(row, col + 3);
  o["status"] = rows.text(row, col + 4);
  o["priority"] = rows.int64(row, col + 5);
  o["work_center"] = rows.text(row, col + 6);
  o["due_date"] = rows.text(row, col + 7);
  o["created_at"] = rows.text(row, col + 8);
  o["updated_at"] = rows.text(row, col + 9);
  return o;
}

}  // namespace

std::string render_list(const pg::Rows& rows, int page, int page_size,
                        std::vector<long long>* ids) {
  json::array items;
  long long total = 0;
  if (rows.size() > 0) {
    total = rows.int64(0, 0);
    items.reserve(static_cast<std::size_t>(rows.size()));
    for (int r = 0; r < rows.size(); ++r) {
      if (rows.is_null(r, 1)) continue;  // empty page: the LEFT JOIN's NULL row
      items.push_back(order_object(rows, r, 1));
      if (ids) ids->push_back(rows.int64(r, 1 + sql::kOrderColumns));  // page.id
    }
  }
  json::object out;
  out["items"] = std::move(items);
  out["page"] = page;
  out["page_size"] = page_size;
  out["total"] = total;
  return json::serialize(out);
}

std::string render_order(const pg::Rows& rows) {
  json::object out = order_object(rows, 0, 0);
  json::array history;
  constexpr int h = sql::kOrderColumns;
  for (int r = 0; r < rows.size(); ++r) {
    if (rows.is_null(r, h)) continue;  // no history yet
    json::object entry;
    entry["from"] = rows.text(r, h);
    entry["to"] = rows.text(r, h + 1);
    entry["at"] = rows.text(r, h + 2);
    entry["comment"] =
        rows.is_null(r, h + 3) ? json::value(nullptr) : json::value(rows.text(r, h + 3));
    history.push_back(std::move(entry));
  }
  out["history"] = std::move(history);
  return json::serialize(out);
}

std::string render_dashboard(const pg::Rows& rows) {
  json::object by_status;
  for (Status s : kAllStatuses) by_status[to_string(s)] = 0;  // every status, workflow order
  long long overdue = 0, due_today = 0;
  json::array by_work_center;
  std::string generated_at;
  for (int r = 0; r < rows.size(); ++r) {
    const std::string_view kind = rows.text(r, 0);
    if (kind == "s") {
      if (parse_status(rows.text(r, 1))) by_status[rows.text(r, 1)] = rows.int64(r, 2);
    } else if (kind == "overdue") {
      overdue = rows.int64(r, 2);
    } else if (kind == "due_today") {
      due_today = rows.int64(r, 2);
    } else if (kind == "w") {
      by_work_center.push_back(
          json::object{{"work_center", rows.text(r, 1)}, {"in_progress", rows.int64(r, 2)}});
    } else if (kind == "at") {
      generated_at = rows.text(r, 1);
    }
  }
  std::sort(by_work_center.begin(), by_work_center.end(),
            [](const json::value& a, const json::value& b) {
              return a.at("work_center").get_string() < b.at("work_center").get_string();
            });
  json::object out;
  out["by_status"] = std::move(by_status);
  out["overdue"] = overdue;
  out["due_today"] = due_today;
  out["by_work_center"] = std::move(by_work_center);
  out["generated_at"] = generated_at;
  return json::serialize(out);
}

}  // namespace shopfloor::mes
