// Fuzz target: the query string of GET /orders → parse_target → parse_list_query →
// list_cache_key / list_namespace.
//
// Invariants: nothing throws; an accepted query is normalised (statuses sorted, unique,
// never all seven; page and page_size in range; names valid UTF-8 of 1-200 bytes); the
// cache key is itself a query string that parses back to the same ListQuery, so
// normalising is idempotent (key(parse(key(q))) == key(q)); the parameters in reverse
// order give the same key; the namespace is the most selective filter's.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz_check.hpp"
#include "http/target.hpp"
#include "mes/list_query.hpp"

namespace {

using namespace shopfloor::mes;
using Params = std::vector<std::pair<std::string, std::string>>;

constexpr std::string_view kToday = "2026-12-01";

bool same(const ListQuery& a, const ListQuery& b) {
  return a.statuses == b.statuses && a.customer == b.customer && a.work_center == b.work_center &&
         a.overdue == b.overdue && a.sort.field == b.sort.field &&
         a.sort.descending == b.sort.descending && a.page == b.page && a.page_size == b.page_size;
}

void check_accepted(const Params& params, const ListQuery& q) {
  FUZZ_CHECK(std::is_sorted(q.statuses.begin(), q.statuses.end()), "statuses sorted");
  FUZZ_CHECK(std::adjacent_find(q.statuses.begin(), q.statuses.end()) == q.statuses.end(),
             "statuses unique");
  FUZZ_CHECK(q.statuses.size() < kAllStatuses.size(), "all statuses = no filter");
  FUZZ_CHECK(q.page >= 1 && q.page <= kMaxPage, "page range");
  FUZZ_CHECK(q.page_size >= 1 && q.page_size <= kMaxPageSize, "page_size range");
  for (const auto* name : {&q.customer, &q.work_center}) {
    if (!*name) continue;
    FUZZ_CHECK(!(*name)->empty() && (*name)->size() <= kMaxNameBytes && valid_utf8(**name), "name");
  }

  const std::string key = list_cache_key(q, kToday);
  FUZZ_CHECK(q.overdue == (key.find("&today=") != std::string::npos), "today only if overdue");

  // The key is the canonical query string: parse it back.
  auto target = shopfloor::http::parse_target("/orders?" + key);
  FUZZ_CHECK(target.has_value(), "key is a valid query string: " + key);
  Params canonical;
  for (auto& p : target->query) {
    if (p.first != "today") canonical.push_back(std::move(p));
  }
  const auto again = parse_list_query(canonical);
  FUZZ_CHECK(again.has_value(), "the key's query is accepted: " + key);
  FUZZ_CHECK(same(*again, q), "parse(key(q)) == q: " + key);
  FUZZ_CHECK(list_cache_key(*again, kToday) == key, "normalising is idempotent");

  const Params reversed(params.rbegin(), params.rend());
  const auto r = parse_list_query(reversed);
  FUZZ_CHECK(r.has_value() && list_cache_key(*r, kToday) == key, "order does not matter");

  // A different query never shares the key.
  ListQuery other = q;
  other.page = q.page == kMaxPage ? 1 : q.page + 1;
  FUZZ_CHECK(list_cache_key(other, kToday) != key, "distinct queries, distinct keys");

  const std::string ns = list_namespace(q);
  FUZZ_CHECK(list_is_tagged(q) == (q.statuses.empty() && !q.overdue), "tagged: unfiltered only");
  if (list_is_tagged(q)) {
    if (q.customer)
      FUZZ_CHECK(ns == list_namespace_unfiltered_for_customer(*q.customer), "customer, unfiltered");
    else if (q.work_center)
      FUZZ_CHECK(ns == list_namespace_unfiltered_for_work_center(*q.work_center),
                 "work centre, unfiltered");
    else
      FUZZ_CHECK(ns == list_namespace_unfiltered(), "namespace unfiltered");
  } else if (q.customer) {
    FUZZ_CHECK(ns == list_namespace_for_customer(*q.customer), "customer namespace");
  } else if (q.work_center) {
    FUZZ_CHECK(ns == list_namespace_for_work_center(*q.work_center), "work centre namespace");
  } else if (q.statuses.size() == 1) {
    FUZZ_CHECK(ns == list_namespace_for_status(q.statuses.front()), "status namespace");
  } else {
    FUZZ_CHECK(ns == list_namespace_all(), "namespace all");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view query(reinterpret_cast<const char*>(data), size);
  auto target = shopfloor::http::parse_target("/orders?" + std::string(query));
  if (!target) return 0;
  const auto q = parse_list_query(target->query);
  if (!q) {
    const std::string& code = q.error().code;
    FUZZ_CHECK(code.rfind("invalid_", 0) == 0 || code == "unknown_parameter" ||
                   code == "conflicting_parameter",
               "error code " + code);
    return 0;
  }
  check_accepted(target->query, *q);
  return 0;
}
