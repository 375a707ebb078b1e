-- Which changes move orders within the lists (issue 9: retire only what a change really
-- changes). A list without a status or overdue filter (all orders, one customer's, one
-- work centre's) changes its members, their order or its total only when an order is
-- added or removed, or when something it is filtered or sorted by changes: customer,
-- work centre, created_at, due_date, priority (the number is the id). A change that
-- rewrites orders in place — a status change, operators' daily work — changes only the
-- pages that show one of those orders.
--
-- So those lists are cached with the ids of the orders on each page as tags
-- (src/mes/list_query.hpp, cache::Cache::get_or_load_tagged), and the orders trigger of
-- 0004_mes.sql now says which kind of change it saw: "moved" is true for an INSERT or a
-- DELETE, and for an UPDATE that changed one of those columns of some row (or an id);
-- false when only other columns (status, quantity, product, updated_at) changed. Then
-- the service retires only the pages tagged with a changed order, not every such list.
-- Readers of the payload treat a missing "moved" as true (src/mes/change_set.hpp), so an
-- event from before this migration retires too much, never too little.
CREATE OR REPLACE FUNCTION orders_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  changes text;
  rows_changed bigint;
  moved boolean;
  payload text;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    UPDATE order_counts SET n = 0 WHERE n <> 0;
    PERFORM pg_notify('sf_orders_changed', '{"all":true}');
    RETURN NULL;
  END IF;

  changes := CASE TG_OP
    WHEN 'INSERT' THEN
      'SELECT id, customer, work_center, status, 1 AS delta FROM new_rows'
    WHEN 'DELETE' THEN
      'SELECT id, customer, work_center, status, -1 AS delta FROM old_rows'
    ELSE
      'SELECT id, customer, work_center, status, 1 AS delta FROM new_rows
       UNION ALL SELECT id, customer, work_center, status, -1 FROM old_rows'
  END;

  EXECUTE format($sql$
    INSERT INTO order_counts AS c (kind, key, status, n)
    SELECT kind, key, status, sum(delta)
    FROM (SELECT 'all' AS kind, '' AS key, status, delta FROM (%1$s) x
          UNION ALL SELECT 'customer', customer, status, delta FROM (%1$s) x
          UNION ALL SELECT 'work_center', work_center, status, delta FROM (%1$s) x) d
    GROUP BY kind, key, status
    HAVING sum(delta) <> 0
    ORDER BY kind, key, status
    ON CONFLICT (kind, key, status) DO UPDATE SET n = c.n + EXCLUDED.n
  $sql$, changes);

  EXECUTE format('SELECT count(*) FROM (%s) x', changes) INTO rows_changed;
  IF rows_changed = 0 THEN
    RETURN NULL;
  END IF;
  IF rows_changed <= 200 THEN  -- at most 100 orders (an UPDATE has two versions each)
    IF TG_OP = 'UPDATE' THEN
      EXECUTE $sql$
        SELECT EXISTS (
          SELECT 1 FROM old_rows o FULL JOIN new_rows n ON n.id = o.id
          WHERE o.id IS NULL OR n.id IS NULL
             OR (o.customer, o.work_center, o.created_at, o.due_date, o.priority)
                IS DISTINCT FROM (n.customer, n.work_center, n.created_at, n.due_date, n.priority))
      $sql$ INTO moved;
    ELSE
      moved := true;
    END IF;
    EXECUTE format($sql$
      SELECT json_build_object(
               'orders', array_agg(DISTINCT id),
               'statuses', array_agg(DISTINCT status),
               'customers', array_agg(DISTINCT customer),
               'work_centers', array_agg(DISTINCT work_center),
               'moved', $1,
               'txid', txid_current())::text
      FROM (%s) x
    $sql$, changes) INTO payload USING moved;
  END IF;
  IF payload IS NULL OR octet_length(payload) > 7900 THEN
    payload := '{"all":true}';
  END IF;
  PERFORM pg_notify('sf_orders_changed', payload);
  RETURN NULL;
END
$$;
