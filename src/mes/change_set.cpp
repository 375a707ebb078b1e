#include "mes/change_set.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "mes/list_query.hpp"

namespace shopfloor::mes {
namespace {

namespace json = boost::json;

ChangeSet everything() {
  ChangeSet c;
  c.all = true;
  return c;
}

bool read_strings(const json::object& o, std::string_view name, std::vector<std::string>& out) {
  const json::value* v = o.if_contains(name);
  if (!v || v->is_null()) return true;
  if (!v->is_array()) return false;
  for (const json::value& item : v->get_array()) {
    if (item.is_null()) continue;
    if (!item.is_string()) return false;
    out.emplace_back(item.get_string());
  }
  return true;
}

}  // namespace

ChangeSet parse_change_event(std::string_view payload) {
  boost::system::error_code ec;
  json::value v = json::parse(payload, ec);
  if (ec || !v.is_object()) return everything();
  const json::object& o = v.get_object();
  if (const json::value* all = o.if_contains("all"); all && !(all->is_bool() && !all->get_bool()))
    return everything();

  ChangeSet c;
  if (const json::value* txid = o.if_contains("txid"); txid && txid->is_int64())
    c.txid = txid->get_int64();
  if (const json::value* history = o.if_contains("history")) {
    if (!history->is_array() || history->get_array().empty()) return everything();
    for (const json::value& id : history->get_array()) {
      if (!id.is_int64() || id.get_int64() < 1) return everything();
      c.order_ids.push_back(id.get_int64());
    }
    c.history_only = true;
    return c;
  }
  if (const json::value* ids = o.if_contains("orders"); ids && !ids->is_null()) {
    if (!ids->is_array()) return everything();
    for (const json::value& id : ids->get_array()) {
      if (!id.is_int64() || id.get_int64() < 1) return everything();
      c.order_ids.push_back(id.get_int64());
    }
  }
  if (const json::value* moved = o.if_contains("moved"); moved && !moved->is_null()) {
    if (!moved->is_bool()) return everything();
    c.moved = moved->get_bool();
  }
  std::vector<std::string> statuses;
  if (!read_strings(o, "statuses", statuses) || !read_strings(o, "customers", c.customers) ||
      !read_strings(o, "work_centers", c.work_centers))
    return everything();
  for (const auto& s : statuses) {
    auto parsed = parse_status(s);
    if (!parsed) return everything();
    c.statuses.push_back(*parsed);
  }
  return c;
}

RetiredWrites& RetiredWrites::instance() {
  static RetiredWrites writes;
  return writes;
}

namespace {

void add_unique(std::vector<std::string>& out, std::string ns) {
  if (std::find(out.begin(), out.end(), ns) == out.end()) out.push_back(std::move(ns));
}

// The unfiltered list namespaces of the change's customers and work centres.
void add_unfiltered(const ChangeSet& change, std::vector<std::string>& out) {
  for (const auto& c : change.customers) add_unique(out, list_namespace_unfiltered_for_customer(c));
  for (const auto& w : change.work_centers)
    add_unique(out, list_namespace_unfiltered_for_work_center(w));
  add_unique(out, list_namespace_unfiltered());
}

// Without the orders' ids there is nothing to retire pages by: as if they moved.
bool moves_lists(const ChangeSet& change) {
  return change.moved || change.order_ids.empty();
}

}  // namespace

std::vector<std::string> affected_list_namespaces(const ChangeSet& change) {
  std::vector<std::string> out;
  for (Status s : change.statuses) add_unique(out, list_namespace_for_status(s));
  for (const auto& c : change.customers) add_unique(out, list_namespace_for_customer(c));
  for (const auto& w : change.work_centers) add_unique(out, list_namespace_for_work_center(w));
  add_unique(out, list_namespace_all());
  if (moves_lists(change)) add_unfiltered(change, out);
  return out;
}

std::vector<std::string> tagged_list_namespaces(const ChangeSet& change) {
  std::vector<std::string> out;
  if (!moves_lists(change)) add_unfiltered(change, out);
  return out;
}

std::string list_tag(long long order_id) {
  return std::to_string(order_id);
}

}  // namespace shopfloor::mes
