// ChangeSet: what a change of orders touched, and therefore which cached answers it can
// have made stale. Built by the service after its own writes, and parsed from the
// sf_orders_changed notifications of sql/0004_mes.sql for everyone else's. Pure values
// and functions; thread-safe.
//
// The rule (list namespaces: list_query.hpp). A changed order, with its old and new
// values, can only change
//   - lists whose filter matched its old or its new row: "orders_list:c:<customer>" and
//     "orders_list:w:<work centre>" for old and new customer / work centre,
//     "orders_list:s:<status>" for old and new status, and "orders_list:all" (lists of
//     several statuses, overdue only, or no filter);
//   - its own entry in the "order" cache (key: the order number);
//   - the dashboard.
// A list filtered by customer C is cached under c:C whatever its other filters, so if
// the order matched it (old or new row) then C is the order's old or new customer and
// c:C is retired; likewise for work centres and single statuses. Lists of other
// customers, work centres and statuses are left alone: that is what keeps the list
// cache useful while operators write all day.
// Unfiltered lists ("orders_list:u", "orders_list:cu:<customer>", "orders_list:wu:<code>",
// tagged with their orders' ids): when the change `moved` orders (inserted, deleted, or
// changed a customer, work centre, created_at, due_date or priority) those namespaces
// are retired whole, like the others; when it did not (a status change), only the pages
// tagged with a changed order are (tagged_list_namespaces).
//
// `all` (a bulk statement, TRUNCATE, or a payload that cannot be read) means: assume
// anything changed — every list namespace, the whole "order" namespace, the dashboard.
// `history_only` (a direct write to order_status_history, sql/0006) means: only those
// orders' own entries changed (their "history"); no list, no dashboard.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/recent_set.hpp"
#include "mes/status.hpp"

namespace shopfloor::mes {

inline constexpr const char* kOrdersChannel = "sf_orders_changed";
// sql/0002_pricing.sql's channel: payload is the changed reference table's name.
inline constexpr const char* kReferenceDataChannel = "sf_pricing_changed";

struct ChangeSet {
  bool all = false;
  bool history_only = false;         // order_ids' history rows changed, nothing else
  long long txid = 0;                // the writing transaction (txid_current()); 0 = unknown
  std::vector<long long> order_ids;  // internal ids (numbers: format_order_number)
  std::vector<Status> statuses;      // old and new
  std::vector<std::string> customers;
  std::vector<std::string> work_centers;
  // Whether unfiltered lists' members, order or totals may have changed (see above);
  // true unless the change says otherwise.
  bool moved = true;
};

// The notification payload of sql/0004_mes.sql (with "moved" since sql/0008):
//   {"orders":[42],"statuses":["new","approved"],"customers":["Uralmash"],
//    "work_centers":["CNC-1"],"moved":false,"txid":1234}  or  {"all":true}
// and that of sql/0006 for history rows: {"history":[42],"txid":1234}.
// Anything unreadable (or an unknown status) gives {all = true}: retiring too much is
// safe, too little is not.
ChangeSet parse_change_event(std::string_view payload);

// Transactions whose caches this process has already retired itself (its own writes,
// retired before they were answered). Their change events need no second retirement:
// it would only throw away what readers loaded since. Keeps the most recent 4096.
// Thread-safety: all members may be called from any thread (one instance per process).
class RetiredWrites {
 public:
  static RetiredWrites& instance();
  void add(long long txid) { txids_.add(txid); }
  bool contains(long long txid) const { return txids_.contains(txid); }

 private:
  RecentSet<long long> txids_{4096};
};

// The list namespaces a non-`all` change retires whole (see the rule above), without
// duplicates, "orders_list:all" included; the unfiltered ones only when it moved orders.
std::vector<std::string> affected_list_namespaces(const ChangeSet& change);
// The unfiltered list namespaces whose pages tagged with the change's orders it retires
// (tag: the order's id, list_tag): empty when it moved orders (they are retired whole).
std::vector<std::string> tagged_list_namespaces(const ChangeSet& change);
// The tag of an order on the pages of unfiltered lists: its internal id in decimal.
std::string list_tag(long long order_id);

}  // namespace shopfloor::mes
