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

std::vector<std::string> affected_list_namespaces(const ChangeSet& change) {
  std::vector<std::string> out;
  auto add = [&out](std::string ns) {
    if (std::find(out.begin(), out.end(), ns) == out.end()) out.push_back(std::move(ns));
  };
  for (Status s : change.statuses) add(list_namespace_for_status(s));
  for (const auto& c : change.customers) add(list_namespace_for_customer(c));
  for (const auto& w : change.work_centers) add(list_namespace_for_work_center(w));
  add(list_namespace_all());
  return out;
}

}  // namespace shopfloor::mes
