// GET /orders query parameters: validation, normalisation, and where the answer is
// cached. Pure functions, no I/O; thread-safe.
//
// Parameters (CONTRACT.md "MES API"): status (one or a comma list; repeating the
// parameter adds to the list), customer, work_center, overdue=true|false, sort
// (created_at | due_date | priority | number, "-" prefix = descending; default
// -created_at), page >= 1 (default 1, at most 1,000,000), page_size 1..200 (default 50).
// Anything else is bad input (400): an unknown parameter, an empty value, an unknown
// status or sort, a number out of range or not plain decimal digits, invalid UTF-8, a
// customer/work_center over 200 bytes, or a repeated parameter (other than status) with
// a different value.
//
// Normalisation: the status set is sorted and de-duplicated (all seven = no filter),
// defaults are filled in, overdue=false is no filter. Equivalent queries therefore give
// the same ListQuery, the same cache key and the same namespace.
//
// Cache layout (cache "orders_list"): the key is the normalised query (plus today's date
// when overdue=true, since "overdue" moves with the calendar). The namespace is the most
// selective filter, so that a write retires only the lists it can affect (see
// change_set.hpp). Lists filtered by status or overdue: customer →
// "orders_list:c:<customer>", else work_center → "orders_list:w:<code>", else exactly one
// status → "orders_list:s:<status>", else "orders_list:all".
// Lists filtered by neither ("unfiltered": all orders, a customer's, a work centre's, in
// any sort) are *tagged*: their members, order and total change only when an order is
// added, removed or moved (customer, work centre, or a sort key changed), so they are
// cached with the ids of the orders on the page as tags, in "orders_list:cu:<customer>",
// else "orders_list:wu:<code>", else "orders_list:u". A change that moved nothing (a
// status change) retires only the pages tagged with a changed order (retire_tags);
// one that moved something retires those namespaces whole.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/problem.hpp"
#include "mes/status.hpp"

namespace shopfloor::mes {

enum class SortField { created_at, due_date, priority, number };

struct Sort {
  SortField field = SortField::created_at;
  bool descending = true;
};

struct ListQuery {
  std::vector<Status> statuses;  // sorted (workflow order), unique; empty = every status
  std::optional<std::string> customer;
  std::optional<std::string> work_center;
  bool overdue = false;  // due_date before today and not shipped/cancelled
  Sort sort;             // default -created_at
  int page = 1;
  int page_size = 50;
};

inline constexpr int kMaxPage = 1'000'000;
inline constexpr int kMaxPageSize = 200;
inline constexpr std::size_t kMaxNameBytes = 200;

Result<ListQuery> parse_list_query(const std::vector<std::pair<std::string, std::string>>& params);

// "created_at", "-due_date", ...
std::string to_string(const Sort& s);
std::optional<Sort> parse_sort(std::string_view s);

// The cache key: the normalised query as a string (values percent-encoded), with
// `today` (YYYY-MM-DD) only when q.overdue.
std::string list_cache_key(const ListQuery& q, std::string_view today);

// The namespace q's answer is cached in, and whether it is tagged (see top of file).
std::string list_namespace(const ListQuery& q);
bool list_is_tagged(const ListQuery& q);
// Lists filtered by status or overdue.
std::string list_namespace_all();
std::string list_namespace_for_status(Status s);
std::string list_namespace_for_customer(std::string_view customer);
std::string list_namespace_for_work_center(std::string_view code);
// Unfiltered (tagged) lists.
std::string list_namespace_unfiltered();
std::string list_namespace_unfiltered_for_customer(std::string_view customer);
std::string list_namespace_unfiltered_for_work_center(std::string_view code);
// Every list namespace there can be, given every customer's and work centre's name (a
// resync retires them all).
std::vector<std::string> every_list_namespace(const std::vector<std::string>& customers,
                                              const std::vector<std::string>& work_centers);

// Whether s is well-formed UTF-8 (PostgreSQL rejects anything else with a 5xx-looking
// error, so input is checked first).
bool valid_utf8(std::string_view s);

}  // namespace shopfloor::mes
