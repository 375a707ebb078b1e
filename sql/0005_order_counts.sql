-- 0005_order_counts: exact aggregates of `orders` beyond 0004's order_counts, so that a
-- dashboard rebuild and the common list totals read a few rows instead of counting
-- through the orders indexes:
--
--   live_due_counts (due_date, n)                      open orders per due date
--   live_order_counts (due_date, status, work_center, n) open orders per due date,
--                                                      status and work centre
--   customer_work_center_counts (customer, work_center, status, n)
--
-- "Open" (live) = status not shipped/cancelled. Overdue (due_date < today) and due today
-- move with the calendar, so they are not stored: a reader sums the rows of the dates it
-- needs (the dashboard: one row per overdue due date, ~15 on the seed's 1M orders, plus
-- today's; an overdue list filtered by status or work centre: at most a few hundred).
--
-- Exactness: statement-level triggers on orders (one per event, transition tables) apply
-- the net change of each statement in the same transaction, whoever writes — the service,
-- another system's direct SQL, bulk statements, FK cascades (a renamed customer or work
-- centre), and TRUNCATE (resets them). Rows whose count reaches 0 are deleted from the
-- two live tables (their due dates move on forever, zeros would pile up and be summed),
-- kept at 0 in customer_work_center_counts (bounded by customers x work centres x 7, like
-- order_counts). Writes that bypass the triggers (session_replication_role = replica,
-- ALTER TABLE ... DISABLE TRIGGER) make the counts wrong; SELECT orders_counts_rebuild()
-- (the backfill below) repairs them.
--
-- No CHECK (n >= 0) on the counts: INSERT ... ON CONFLICT checks the row it proposes
-- (a negative delta) before it finds the conflict. The property test
-- (src/mes/order_counts_pgtest.cpp) checks that no count is negative.
--
-- Concurrency: each statement's deltas are applied with INSERT ... ON CONFLICT DO UPDATE
-- SET n = n + delta (no lost updates; a concurrent delete of a zero row makes the upsert
-- insert again), one table after another in a fixed order (customer_work_center_counts,
-- live_order_counts, live_due_counts, then 0004's order_counts: triggers of one event fire
-- in name order, and orders_aggregates_* sorts before orders_changed_*), each sorted by
-- its key, so two single-statement writers wait for each other but never in a cycle. A
-- locked counter row serialises its writers until they commit; order_counts' per-status
-- rows are the hottest (every status change holds two of them), so they are locked last:
-- with them locked first, 4 concurrent status changers lost ~25% of their throughput
-- (docs/PERFORMANCE.md), with them last no loss beyond the noise of the machine.
--
-- Applied once in one transaction by the migrations runner; written to be safe to run
-- again (IF NOT EXISTS, OR REPLACE, the backfill replaces what is there). Writers of
-- orders wait for it (LOCK below), so no change slips between the backfill and the
-- triggers.

LOCK TABLE orders IN SHARE MODE;

CREATE TABLE IF NOT EXISTS live_due_counts (
  due_date date   PRIMARY KEY,
  n        bigint NOT NULL  -- > 0 (a 0 lives only until its writer deletes it)
);
CREATE TABLE IF NOT EXISTS live_order_counts (
  due_date    date   NOT NULL,
  status      text   NOT NULL CHECK (status NOT IN ('shipped', 'cancelled')),
  work_center text   NOT NULL,
  n           bigint NOT NULL,  -- > 0 (a 0 lives only until its writer deletes it)
  PRIMARY KEY (due_date, status, work_center)
);
CREATE TABLE IF NOT EXISTS customer_work_center_counts (
  customer    text   NOT NULL,
  work_center text   NOT NULL,
  status      text   NOT NULL,
  n           bigint NOT NULL,  -- >= 0
  PRIMARY KEY (customer, work_center, status)
);

-- Applies one statement's net deltas (parallel arrays, one element per (customer,
-- work_center, status, due_date) with a non-zero delta). Static SQL (plans cached per
-- session) that does not name the transition tables, so one copy serves every event.
CREATE OR REPLACE FUNCTION orders_counts_apply(customers text[], work_centers text[],
                                               statuses text[], due_dates date[],
                                               deltas bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  zero_dates date[];
  zero_statuses text[];
  zero_centres text[];
BEGIN
  INSERT INTO customer_work_center_counts AS c (customer, work_center, status, n)
  SELECT d.customer, d.work_center, d.status, sum(d.delta)
  FROM unnest(customers, work_centers, statuses, deltas) AS d(customer, work_center, status, delta)
  GROUP BY d.customer, d.work_center, d.status
  HAVING sum(d.delta) <> 0
  ORDER BY d.customer, d.work_center, d.status
  ON CONFLICT (customer, work_center, status) DO UPDATE SET n = c.n + EXCLUDED.n;

  WITH changed AS (
    INSERT INTO live_order_counts AS c (due_date, status, work_center, n)
    SELECT d.due_date, d.status, d.work_center, sum(d.delta)
    FROM unnest(due_dates, statuses, work_centers, deltas) AS d(due_date, status, work_center, delta)
    WHERE d.status NOT IN ('shipped', 'cancelled')
    GROUP BY d.due_date, d.status, d.work_center
    HAVING sum(d.delta) <> 0
    ORDER BY d.due_date, d.status, d.work_center
    ON CONFLICT (due_date, status, work_center) DO UPDATE SET n = c.n + EXCLUDED.n
    RETURNING c.due_date, c.status, c.work_center, c.n)
  SELECT array_agg(due_date), array_agg(status), array_agg(work_center)
    INTO zero_dates, zero_statuses, zero_centres
  FROM changed WHERE n = 0;
  IF zero_dates IS NOT NULL THEN
    DELETE FROM live_order_counts c
    USING unnest(zero_dates, zero_statuses, zero_centres) AS z(due_date, status, work_center)
    WHERE c.due_date = z.due_date AND c.status = z.status AND c.work_center = z.work_center
      AND c.n = 0;
  END IF;

  WITH changed AS (
    INSERT INTO live_due_counts AS c (due_date, n)
    SELECT d.due_date, sum(d.delta)
    FROM unnest(due_dates, statuses, deltas) AS d(due_date, status, delta)
    WHERE d.status NOT IN ('shipped', 'cancelled')
    GROUP BY d.due_date
    HAVING sum(d.delta) <> 0
    ORDER BY d.due_date
    ON CONFLICT (due_date) DO UPDATE SET n = c.n + EXCLUDED.n
    RETURNING c.due_date, c.n)
  SELECT array_agg(due_date) INTO zero_dates FROM changed WHERE n = 0;
  IF zero_dates IS NOT NULL THEN
    DELETE FROM live_due_counts WHERE due_date = ANY(zero_dates) AND n = 0;
  END IF;
END
$$;

-- One trigger per event (a transition table exists only for its own event); PL/pgSQL
-- compiles the function once per trigger and plans a branch only when it runs, so each
-- trigger's copy names only its own transition tables.
CREATE OR REPLACE FUNCTION orders_counts() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  c text[];
  w text[];
  s text[];
  d date[];
  delta bigint[];
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    DELETE FROM live_order_counts;
    DELETE FROM live_due_counts;
    UPDATE customer_work_center_counts SET n = 0 WHERE n <> 0;
    RETURN NULL;
  ELSIF TG_OP = 'INSERT' THEN
    SELECT array_agg(x.customer), array_agg(x.work_center), array_agg(x.status),
           array_agg(x.due_date), array_agg(x.n)
      INTO c, w, s, d, delta
    FROM (SELECT customer, work_center, status, due_date, count(*) AS n FROM new_rows
          GROUP BY customer, work_center, status, due_date) x;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT array_agg(x.customer), array_agg(x.work_center), array_agg(x.status),
           array_agg(x.due_date), array_agg(-x.n)
      INTO c, w, s, d, delta
    FROM (SELECT customer, work_center, status, due_date, count(*) AS n FROM old_rows
          GROUP BY customer, work_center, status, due_date) x;
  ELSE
    SELECT array_agg(x.customer), array_agg(x.work_center), array_agg(x.status),
           array_agg(x.due_date), array_agg(x.n)
      INTO c, w, s, d, delta
    FROM (SELECT customer, work_center, status, due_date, sum(v.delta) AS n
          FROM (SELECT customer, work_center, status, due_date, 1 AS delta FROM new_rows
                UNION ALL
                SELECT customer, work_center, status, due_date, -1 FROM old_rows) v
          GROUP BY customer, work_center, status, due_date
          HAVING sum(v.delta) <> 0) x;
  END IF;
  IF c IS NOT NULL THEN
    PERFORM orders_counts_apply(c, w, s, d, delta);
  END IF;
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION orders_counts() IS
  'Statement trigger: keep live_due_counts, live_order_counts and customer_work_center_counts '
  'exact (see 0005_order_counts.sql)';

DROP TRIGGER IF EXISTS orders_aggregates_insert ON orders;
DROP TRIGGER IF EXISTS orders_aggregates_update ON orders;
DROP TRIGGER IF EXISTS orders_aggregates_delete ON orders;
DROP TRIGGER IF EXISTS orders_aggregates_truncate ON orders;
CREATE TRIGGER orders_aggregates_insert AFTER INSERT ON orders
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION orders_counts();
CREATE TRIGGER orders_aggregates_update AFTER UPDATE ON orders
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION orders_counts();
CREATE TRIGGER orders_aggregates_delete AFTER DELETE ON orders
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION orders_counts();
CREATE TRIGGER orders_aggregates_truncate AFTER TRUNCATE ON orders
  FOR EACH STATEMENT EXECUTE FUNCTION orders_counts();

-- Backfill from the rows there are. Also the repair after writes that bypassed the
-- triggers: SELECT orders_counts_rebuild(); (writers of orders wait for it).
CREATE OR REPLACE FUNCTION orders_counts_rebuild() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  LOCK TABLE orders IN SHARE MODE;
  DELETE FROM live_order_counts;
  DELETE FROM live_due_counts;
  DELETE FROM customer_work_center_counts;
  INSERT INTO live_order_counts (due_date, status, work_center, n)
  SELECT due_date, status, work_center, count(*) FROM orders
   WHERE status NOT IN ('shipped', 'cancelled')
   GROUP BY due_date, status, work_center;
  INSERT INTO live_due_counts (due_date, n)
  SELECT due_date, sum(n) FROM live_order_counts GROUP BY due_date;
  INSERT INTO customer_work_center_counts (customer, work_center, status, n)
  SELECT customer, work_center, status, count(*) FROM orders
   GROUP BY customer, work_center, status;
END
$$;
SELECT orders_counts_rebuild();
ANALYZE live_order_counts;
ANALYZE live_due_counts;
ANALYZE customer_work_center_counts;
