-- Cheap misses for the lists operators change all day (issue 9): every page of a list
-- filtered by live statuses is read through an index that yields it in its sort order,
-- so a rebuild after a status change reads the page's rows, not every match.
--
-- Before: a list of one live status (a few thousand orders each on 1,000,000), or of one
-- customer's / work centre's orders in a live status, was read through the filter's
-- index and the matches sorted (sql.cpp), 2-13 ms for a page of 50, the most expensive
-- misses of the MES mix; under 1% status changes those are the entries retired most
-- often (the two statuses of every change), so they made most of the database's load.
--
-- The indexes cover only open orders (status not shipped/cancelled, the same predicate
-- as 0004's orders_open_idx): ~2-3% of the table, a few hundred kB each on 1,000,000
-- orders. A query names one status per index scan (`status = ANY(one element)`, or one
-- branch per status for several, see list_statement in src/mes/sql.cpp), which
-- PostgreSQL proves implies the predicate. Finished statuses are the bulk of the table:
-- their lists walk the sort indexes of 0004 and find a page within a few rows, as before.
--
-- Write cost: a status change already updates every index of orders (status is indexed,
-- so no update is HOT); these add one small entry each for an open order.
--
-- Applied in the migrations runner's transaction: each CREATE INDEX scans orders once
-- and blocks writes to it while it runs (~0.3 s per index on 1,000,000 orders).

CREATE INDEX IF NOT EXISTS orders_open_status_due_date_idx
  ON orders (status, due_date, id) WHERE status NOT IN ('shipped', 'cancelled');
CREATE INDEX IF NOT EXISTS orders_open_status_priority_idx
  ON orders (status, priority, id) WHERE status NOT IN ('shipped', 'cancelled');
CREATE INDEX IF NOT EXISTS orders_open_status_id_idx
  ON orders (status, id) WHERE status NOT IN ('shipped', 'cancelled');

CREATE INDEX IF NOT EXISTS orders_open_customer_status_created_at_idx
  ON orders (customer, status, created_at, id) WHERE status NOT IN ('shipped', 'cancelled');
CREATE INDEX IF NOT EXISTS orders_open_customer_status_due_date_idx
  ON orders (customer, status, due_date, id) WHERE status NOT IN ('shipped', 'cancelled');
CREATE INDEX IF NOT EXISTS orders_open_customer_status_priority_idx
  ON orders (customer, status, priority, id) WHERE status NOT IN ('shipped', 'cancelled');
CREATE INDEX IF NOT EXISTS orders_open_customer_status_id_idx
  ON orders (customer, status, id) WHERE status NOT IN ('shipped', 'cancelled');

CREATE INDEX IF NOT EXISTS orders_open_work_center_status_created_at_idx
  ON orders (work_center, status, created_at, id) WHERE status NOT IN ('shipped', 'cancelled');
CREATE INDEX IF NOT EXISTS orders_open_work_center_status_due_date_idx
  ON orders (work_center, status, due_date, id) WHERE status NOT IN ('shipped', 'cancelled');
CREATE INDEX IF NOT EXISTS orders_open_work_center_status_priority_idx
  ON orders (work_center, status, priority, id) WHERE status NOT IN ('shipped', 'cancelled');
CREATE INDEX IF NOT EXISTS orders_open_work_center_status_id_idx
  ON orders (work_center, status, id) WHERE status NOT IN ('shipped', 'cancelled');
