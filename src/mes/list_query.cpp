#include "mes/list_query.hpp"

#include <algorithm>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <charconv>

namespace shopfloor::mes {
namespace {

Problem bad(std::string code, std::string message) {
  return Problem::bad_input(std::move(code), std::move(message));
}

// Plain decimal digits only (no sign, no spaces), within [lo, hi].
std::optional<int> parse_int(std::string_view s, int lo, int hi) {
  if (s.empty() || s.size() > 9) return std::nullopt;
  for (char c : s)
    if (c < '0' || c > '9') return std::nullopt;
  int v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  if (v < lo || v > hi) return std::nullopt;
  return v;
}

// For echoing input in an error message: printable ASCII only, bounded.
std::string printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 40)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  return out;
}

// RFC 3986 percent-encoding of everything but the unreserved characters (Boost.URL).
void percent_encode_into(std::string& out, std::string_view s) {
  out += boost::urls::encode(s, boost::urls::unreserved_chars);
}

// A single-valued parameter seen again must mean the same thing.
template <class T>
Result<void> set_once(std::optional<T>& slot, T value, std::string_view name) {
  if (slot && !(*slot == value))
    return bad("conflicting_parameter",
               "parameter " + std::string(name) + " is given twice with different values");
  slot = std::move(value);
  return {};
}

Result<std::string> name_value(std::string_view value, std::string_view name) {
  if (value.empty() || value.size() > kMaxNameBytes || !valid_utf8(value))
    return bad("invalid_" + std::string(name),
               std::string(name) + " must be 1-200 bytes of valid UTF-8");
  return std::string(value);
}

}  // namespace

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t extra;
    std::uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= s.size()) return false;  // truncated sequence
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates, beyond U+10FFFF.
    if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
      return false;
    i += extra + 1;
  }
  return true;
}

std::string to_string(const Sort& s) {
  std::string out = s.descending ? "-" : "";
  switch (s.field) {
    case SortField::created_at:
      out += "created_at";
      break;
    case SortField::due_date:
      out += "due_date";
      break;
    case SortField::priority:
      out += "priority";
      break;
    case SortField::number:
      out += "number";
      break;
  }
  return out;
}

std::optional<Sort> parse_sort(std::string_view s) {
  Sort out;
  out.descending = !s.empty() && s.front() == '-';
  if (out.descending) s.remove_prefix(1);
  if (s == "created_at")
    out.field = SortField::created_at;
  else if (s == "due_date")
    out.field = SortField::due_date;
  else if (s == "priority")
    out.field = SortField::priority;
  else if (s == "number")
    out.field = SortField::number;
  else
    return std::nullopt;
  return out;
}

Result<ListQuery> parse_list_query(const std::vector<std::pair<std::string, std::string>>& params) {
  ListQuery q;
  bool status_given = false;
  std::vector<bool> seen(kAllStatuses.size(), false);
  std::optional<std::string> customer, work_center, sort;
  std::optional<bool> overdue;
  std::optional<int> page, page_size;

  for (const auto& [name, value] : params) {
    static constexpr std::string_view kKnown[] = {"status", "customer", "work_center", "overdue",
                                                  "sort",   "page",     "page_size"};
    if (std::find(std::begin(kKnown), std::end(kKnown), name) == std::end(kKnown))
      return bad("unknown_parameter",
                 "unknown query parameter '" + printable(name) +
                     "'; allowed: status, customer, work_center, overdue, sort, page, page_size");
    if (value.empty()) return bad("invalid_" + name, "parameter " + name + " must not be empty");
    if (name == "status") {
      status_given = true;
      std::string_view rest = value;
      while (true) {
        const auto comma = rest.find(',');
        const std::string_view item = rest.substr(0, comma);
        auto s = parse_status(item);
        if (!s)
          return bad("invalid_status",
                     "unknown status '" + printable(item) +
                         "'; one of new, approved, in_production, quality_check, ready, "
                         "shipped, cancelled");
        seen[static_cast<std::size_t>(*s)] = true;
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
    } else if (name == "customer") {
      auto v = name_value(value, "customer");
      if (!v) return v.error();
      if (auto r = set_once(customer, std::move(*v), name); !r) return r.error();
    } else if (name == "work_center") {
      auto v = name_value(value, "work_center");
      if (!v) return v.error();
      if (auto r = set_once(work_center, std::move(*v), name); !r) return r.error();
    } else if (name == "overdue") {
      if (value != "true" && value != "false")
        return bad("invalid_overdue", "overdue must be true or false");
      if (auto r = set_once(overdue, value == "true", name); !r) return r.error();
    } else if (name == "sort") {
      auto s = parse_sort(value);
      if (!s)
        return bad("invalid_sort",
                   "sort must be one of created_at, due_date, priority, number, optionally "
                   "prefixed by '-'");
      if (auto r = set_once(sort, to_string(*s), name); !r) return r.error();
      q.sort = *s;
    } else if (name == "page") {
      auto v = parse_int(value, 1, kMaxPage);
      if (!v) return bad("invalid_page", "page must be an integer from 1 to 1000000");
      if (auto r = set_once(page, *v, name); !r) return r.error();
    } else {  // page_size
      auto v = parse_int(value, 1, kMaxPageSize);
      if (!v) return bad("invalid_page_size", "page_size must be an integer from 1 to 200");
      if (auto r = set_once(page_size, *v, name); !r) return r.error();
    }
  }

  if (status_given) {
    for (std::size_t i = 0; i < kAllStatuses.size(); ++i)
      if (seen[i]) q.statuses.push_back(kAllStatuses[i]);
    if (q.statuses.size() == kAllStatuses.size()) q.statuses.clear();  // no filter at all
  }
  q.customer = std::move(customer);
  q.work_center = std::move(work_center);
  q.overdue = overdue.value_or(false);
  q.page = page.value_or(1);
  q.page_size = page_size.value_or(50);
  return q;
}

std::string list_cache_key(const ListQuery& q, std::string_view today) {
  // Names in alphabetical order, every default spelled out.
  std::string key;
  if (q.customer) {
    key += "customer=";
    percent_encode_into(key, *q.customer);
    key += '&';
  }
  if (q.overdue) key += "overdue=true&";
  key += "page=" + std::to_string(q.page);
  key += "&page_size=" + std::to_string(q.page_size);
  key += "&sort=" + to_string(q.sort);
  if (!q.statuses.empty()) {
    key += "&status=";
    for (std::size_t i = 0; i < q.statuses.size(); ++i) {
      if (i) key += ',';
      key += to_string(q.statuses[i]);
    }
  }
  if (q.overdue) {
    key += "&today=";
    key += today;
  }
  if (q.work_center) {
    key += "&work_center=";
    percent_encode_into(key, *q.work_center);
  }
  return key;
}

std::string list_namespace_all() {
  return "orders_list:all";
}
std::string list_namespace_for_status(Status s) {
  return "orders_list:s:" + std::string(to_string(s));
}
std::string list_namespace_for_customer(std::string_view customer) {
  return "orders_list:c:" + std::string(customer);
}
std::string list_namespace_for_work_center(std::string_view code) {
  return "orders_list:w:" + std::string(code);
}

std::string list_namespace_unfiltered() {
  return "orders_list:u";
}
std::string list_namespace_unfiltered_for_customer(std::string_view customer) {
  return "orders_list:cu:" + std::string(customer);
}
std::string list_namespace_unfiltered_for_work_center(std::string_view code) {
  return "orders_list:wu:" + std::string(code);
}

std::vector<std::string> every_list_namespace(const std::vector<std::string>& customers,
                                              const std::vector<std::string>& work_centers) {
  std::vector<std::string> out{list_namespace_all(), list_namespace_unfiltered()};
  for (Status s : kAllStatuses) out.push_back(list_namespace_for_status(s));
  for (const auto& c : customers) {
    out.push_back(list_namespace_for_customer(c));
    out.push_back(list_namespace_unfiltered_for_customer(c));
  }
  for (const auto& w : work_centers) {
    out.push_back(list_namespace_for_work_center(w));
    out.push_back(list_namespace_unfiltered_for_work_center(w));
  }
  return out;
}

bool list_is_tagged(const ListQuery& q) {
  return q.statuses.empty() && !q.overdue;
}

std::string list_namespace(const ListQuery& q) {
  if (list_is_tagged(q)) {
    if (q.customer) return list_namespace_unfiltered_for_customer(*q.customer);
    if (q.work_center) return list_namespace_unfiltered_for_work_center(*q.work_center);
    return list_namespace_unfiltered();
  }
  if (q.customer) return list_namespace_for_customer(*q.customer);
  if (q.work_center) return list_namespace_for_work_center(*q.work_center);
  if (q.statuses.size() == 1) return list_namespace_for_status(q.statuses.front());
  return list_namespace_all();
}

}  // namespace shopfloor::mes
