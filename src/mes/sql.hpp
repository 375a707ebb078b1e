// The MES API's SQL: constant statements, and the list statement assembled from
// constant fragments chosen by a validated ListQuery (values always travel as
// parameters, never inside the text). Column layouts are part of each statement's
// contract with render.cpp. Pure; thread-safe.
#pragma once

#include <string>

#include "mes/list_query.hpp"
#include "pg/params.hpp"

namespace shopfloor::mes::sql {

// The ten columns of an Order, in this order: number, customer, product_sku, quantity,
// status, priority, work_center, due_date (YYYY-MM-DD), created_at, updated_at (RFC 3339
// UTC). Table alias "o".
inline constexpr int kOrderColumns = 10;
#define SHOPFLOOR_MES_ORDER_COLUMNS                                                         \
  "o.number, o.customer, o.product_sku, o.quantity, o.status, o.priority, o.work_center, "  \
  "to_char(o.due_date, 'YYYY-MM-DD') AS due, "                                              \
  "to_char(o.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS created, " \
  "to_char(o.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS updated"

// $1 id → the order's 10 columns, then history: from, to, at, comment (NULLs when the
// order has no history), oldest first. No row: no such order.
inline constexpr const char* kOrder =
    "SELECT " SHOPFLOOR_MES_ORDER_COLUMNS
    ", h.from_status, h.to_status, "
    "to_char(h.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), h.comment "
    "FROM orders o LEFT JOIN order_status_history h ON h.order_id = o.id "
    "WHERE o.id = $1::bigint ORDER BY h.id";

// $1 today → rows (kind, name, n): kind 's' per status, 'overdue', 'due_today', 'w' per
// work centre (orders in_production), 'at' (name = generated_at). Counts come from
// order_counts; overdue and due today from live_due_counts (open orders per due date,
// sql/0005_order_counts.sql): a few dozen rows in all, never the orders table.
inline constexpr const char* kDashboard = R"sql(
SELECT 's' AS kind, status AS name, n FROM order_counts WHERE kind = 'all' AND key = ''
UNION ALL
SELECT 'overdue', NULL, COALESCE(sum(n), 0)::bigint FROM live_due_counts
 WHERE due_date < $1::date
UNION ALL
SELECT 'due_today', NULL, COALESCE(sum(n), 0)::bigint FROM live_due_counts
 WHERE due_date = $1::date
UNION ALL
SELECT 'w', w.code, COALESCE(c.n, 0) FROM work_centers w
  LEFT JOIN order_counts c
    ON c.kind = 'work_center' AND c.key = w.code AND c.status = 'in_production'
UNION ALL
SELECT 'at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 0)sql";

// $1 customer, $2 product_sku, $3 quantity, $4 work_center, $5 due_date, $6 priority →
// the new order's 10 columns, its id and the transaction id; no row when the product or the work
// centre does not exist (then nothing at all was written, the customer included).
inline constexpr const char* kCreate =
    "WITH ok AS (SELECT EXISTS (SELECT 1 FROM products WHERE sku = $2) AND "
    "                   EXISTS (SELECT 1 FROM work_centers WHERE code = $4) AS ok), "
    "registered AS (INSERT INTO customers (name) SELECT $1 FROM ok WHERE ok.ok "
    "               ON CONFLICT (name) DO NOTHING) "
    "INSERT INTO orders AS o (customer, product_sku, quantity, work_center, due_date, priority) "
    "SELECT $1, $2, $3::integer, $4, $5::date, $6::smallint FROM ok WHERE ok.ok "
    "RETURNING " SHOPFLOOR_MES_ORDER_COLUMNS ", o.id, txid_current()";

// $1 product_sku, $2 work_center → (product exists, work centre exists) as t/f.
inline constexpr const char* kReferencesExist =
    "SELECT EXISTS (SELECT 1 FROM products WHERE sku = $1), "
    "EXISTS (SELECT 1 FROM work_centers WHERE code = $2)";

// $1 id → (status, customer, work_center, transaction id), row locked until the
// transaction ends.
inline constexpr const char* kLockOrder =
    "SELECT status, customer, work_center, txid_current() FROM orders WHERE id = $1::bigint "
    "FOR UPDATE";

// $1 id, $2 new status, $3 old status, $4 comment → one history row inserted.
inline constexpr const char* kChangeStatus =
    "WITH changed AS (UPDATE orders SET status = $2 WHERE id = $1::bigint RETURNING id) "
    "INSERT INTO order_status_history (order_id, from_status, to_status, comment) "
    "SELECT id, $3, $2, $4 FROM changed";

// (kind, name): 'c' every customer, 'w' every work centre — including names no order or
// reference row carries any more (renamed, deleted): order_counts keeps a row, perhaps
// at zero, for every customer and work centre an order ever had, so retiring "every
// list namespace" after a bulk change also retires lists cached under old names.
inline constexpr const char* kNames =
    "SELECT 'c', name FROM customers UNION SELECT 'w', code FROM work_centers "
    "UNION SELECT CASE kind WHEN 'customer' THEN 'c' ELSE 'w' END, key FROM order_counts "
    "WHERE kind IN ('customer', 'work_center')";

// The list page with its total, one statement. Columns: total, the 10 Order columns,
// then id, created_at, due_date (sort keys). An empty page gives one row whose Order
// columns are NULL.
struct ListStatement {
  std::string text;
  pg::Params params;
};
ListStatement list_statement(const ListQuery& q, const std::string& today);

}  // namespace shopfloor::mes::sql
