-- Seed: realistic MES data for development and load tests (needs 0004_mes.sql and the
-- pricing seed, which runs first: products and the 12 work centres come from it).
--
-- Size: the session setting shopfloor.seed_orders (set by `shopfloor seed --orders N`),
-- default 100000 when unset or empty. 1,000,000 orders load in well under a minute.
-- Idempotent: does nothing when orders exist. Deterministic: setseed() before every
-- random() draw.
--
-- Shape of the data:
--   - 400 customers, heavily skewed (the largest has ~13% of the orders, the long tail
--     a few hundred each);
--   - products: finished and assembly-level products of the pricing catalogue, skewed;
--   - orders created over the last two years, newest last (created_at grows with the
--     number); due 5 to 45 days after creation, so due dates of the live tail spread
--     around today and some are overdue; priorities 1-5, mostly 3;
--   - statuses: everything older than ~45 days is finished (about 96% shipped, 4%
--     cancelled); the newest ~3% are live, the younger the earlier in the workflow;
--   - order_status_history: exactly the transitions that lead from `new` to the current
--     status (5% of finished orders went through one rework loop), timestamps between
--     creation and now, oldest first; updated_at = the last transition.
DO $seed$
DECLARE
  wanted bigint := COALESCE(NULLIF(current_setting('shopfloor.seed_orders', true), '')::bigint, 100000);
  live_tail bigint;
  span interval := interval '730 days';
  products_for_orders text[];
  customer_names text[];
  centres text[];
  started timestamptz := clock_timestamp();
  deferred_ddl text[];
  ddl text;
BEGIN
  IF EXISTS (SELECT 1 FROM orders) THEN
    RAISE NOTICE 'mes seed: orders present, nothing to do';
    RETURN;
  END IF;
  IF wanted < 0 THEN
    RAISE EXCEPTION 'shopfloor.seed_orders must be >= 0, got %', wanted;
  END IF;
  -- Finished products and assemblies first (the skewed draw below favours them), then
  -- sub-assemblies and parts (spares).
  SELECT array_agg(sku ORDER BY CASE category WHEN 'parts' THEN 2 WHEN 'sub-assemblies' THEN 1
                                              ELSE 0 END, sku)
    INTO products_for_orders FROM products;
  SELECT array_agg(code ORDER BY code) INTO centres FROM work_centers;
  IF products_for_orders IS NULL OR centres IS NULL THEN
    RAISE EXCEPTION 'mes seed needs products and work_centers (run the pricing seed first)';
  END IF;
  live_tail := greatest(wanted * 3 / 100, least(wanted, 50));

  -- Customers: 20 x 20 name parts, in order of size (the first is the largest).
  SELECT array_agg(p || s ORDER BY i + j, i) INTO customer_names
  FROM unnest(ARRAY['Ural', 'Sibir', 'Volga', 'Kama', 'Neva', 'Don', 'Amur', 'Baikal', 'Altai',
                    'Pechora', 'Onega', 'Ladoga', 'Oka', 'Irtysh', 'Yenisei', 'Lena', 'Tobol',
                    'Vyatka', 'Sura', 'Kuban']) WITH ORDINALITY AS a(p, i),
       unnest(ARRAY['mash', 'stal', 'prom', 'tech', 'metall', 'avto', 'energo', 'stroy',
                    'trans', 'les', 'khim', 'agro', 'neft', 'gaz', 'svyaz', 'pribor', 'kabel',
                    'tara', 'mebel', 'snab']) WITH ORDINALITY AS b(s, j);
  INSERT INTO customers (name, created_at)
  SELECT name, now() - span FROM unnest(customer_names) AS name
  ON CONFLICT (name) DO NOTHING;

  -- Workflow paths: the statuses an order went through, current status last.
  CREATE TEMP TABLE seed_paths (path_id int PRIMARY KEY, path text[]) ON COMMIT DROP;
  INSERT INTO seed_paths VALUES
    (0, ARRAY['new']),
    (1, ARRAY['new', 'approved']),
    (2, ARRAY['new', 'approved', 'in_production']),
    (3, ARRAY['new', 'approved', 'in_production', 'quality_check']),
    (4, ARRAY['new', 'approved', 'in_production', 'quality_check', 'ready']),
    (5, ARRAY['new', 'approved', 'in_production', 'quality_check', 'ready', 'shipped']),
    (6, ARRAY['new', 'approved', 'in_production', 'quality_check', 'in_production',
              'quality_check', 'ready', 'shipped']),
    (7, ARRAY['new', 'cancelled']),
    (8, ARRAY['new', 'approved', 'cancelled']),
    (9, ARRAY['new', 'approved', 'in_production', 'cancelled']);

  -- The plan: one row per order, every random draw made here, once.
  PERFORM setseed(0.4242);
  CREATE TEMP TABLE seed_plan ON COMMIT DROP AS
  SELECT g AS id,
         customer_names[1 + floor(400 * power(random(), 3))::int] AS customer,
         products_for_orders[1 + floor(array_length(products_for_orders, 1) * power(random(), 2))::int] AS product_sku,
         (ARRAY[1, 2, 5, 10, 20, 25, 50, 100, 120, 200, 250, 500, 1000])[1 + floor(13 * power(random(), 1.5))::int] AS quantity,
         (ARRAY[1, 2, 2, 3, 3, 3, 3, 4, 4, 5])[1 + floor(10 * random())::int]::smallint AS priority,
         centres[1 + floor(array_length(centres, 1) * random())::int] AS work_center,
         now() - span * (wanted - g + random() * 0.9) / greatest(wanted, 1) AS created_at,
         5 + floor(41 * random())::int AS due_in_days,
         CASE
           WHEN g <= wanted - live_tail THEN
             CASE WHEN random() < 0.04 THEN 7 + floor(3 * random())::int
                  WHEN random() < 0.05 THEN 6 ELSE 5 END
           ELSE
             -- Live tail: position 0 = newest. Younger orders sit earlier in the workflow;
             -- a few are already shipped or cancelled.
             CASE WHEN random() < 0.03 THEN 7 + floor(3 * random())::int
                  ELSE least(5, greatest(0, floor(6 * ((wanted - g)::float8 / live_tail)
                                                   + random() * 1.2 - 0.6)::int)) END
         END AS path_id
  FROM generate_series(1, wanted) AS g;


  -- Loading into bare tables and then building each index in one sort and checking each
  -- foreign key in one pass is several times faster than maintaining them row by row.
  -- The definitions are read from the catalog (not repeated here) and restored below.
  SELECT array_agg(format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname,
                          pg_get_constraintdef(c.oid)) ORDER BY c.conname)
    INTO deferred_ddl
    FROM pg_constraint c
   WHERE c.contype = 'f' AND c.conrelid IN ('orders'::regclass, 'order_status_history'::regclass);
  SELECT deferred_ddl || array_agg(pg_get_indexdef(i.indexrelid) ORDER BY i.indexrelid)
    INTO deferred_ddl
    FROM pg_index i
   WHERE i.indrelid = 'orders'::regclass AND NOT i.indisprimary
     AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid);
  FOR ddl IN
    SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname)
      FROM pg_constraint c
     WHERE c.contype = 'f' AND c.conrelid IN ('orders'::regclass, 'order_status_history'::regclass)
    UNION ALL
    SELECT format('DROP INDEX %s', i.indexrelid::regclass)
      FROM pg_index i
     WHERE i.indrelid = 'orders'::regclass AND NOT i.indisprimary
       AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
  LOOP
    EXECUTE ddl;
  END LOOP;
  INSERT INTO orders (id, customer, product_sku, quantity, status, priority, work_center,
                      due_date, created_at, updated_at)
  SELECT p.id, p.customer, p.product_sku, p.quantity, sp.path[array_length(sp.path, 1)], p.priority,
         p.work_center, (p.created_at + make_interval(days => p.due_in_days))::date,
         p.created_at,
         CASE WHEN array_length(sp.path, 1) = 1 THEN p.created_at
              ELSE p.created_at + (least(now(), p.created_at + interval '40 days') - p.created_at)
                                  * (array_length(sp.path, 1) - 1) / array_length(sp.path, 1) END
  FROM seed_plan p
  JOIN seed_paths sp USING (path_id)
  ORDER BY p.id;

  -- Transition k (1-based) happens k/len of the way from creation to min(now, +40 days):
  -- the last one is exactly updated_at above.
  INSERT INTO order_status_history (order_id, from_status, to_status, at, comment)
  SELECT p.id, sp.path[k], sp.path[k + 1],
         p.created_at + (least(now(), p.created_at + interval '40 days') - p.created_at)
                        * k / array_length(sp.path, 1),
         CASE WHEN sp.path[k + 1] = 'cancelled' THEN 'cancelled by customer'
              WHEN sp.path[k] = 'quality_check' AND sp.path[k + 1] = 'in_production'
                THEN 'rework: dimensions out of tolerance' END
  FROM seed_plan p
  JOIN seed_paths sp USING (path_id)
  CROSS JOIN LATERAL generate_series(1, array_length(sp.path, 1) - 1) AS k
  ORDER BY p.id, k;
  PERFORM set_config('maintenance_work_mem', '256MB', true);
  FOREACH ddl IN ARRAY deferred_ddl LOOP
    EXECUTE ddl;
  END LOOP;

  PERFORM setval(pg_get_serial_sequence('orders', 'id'), greatest(wanted, 1), wanted > 0);
  RAISE NOTICE 'mes seed: % orders in %', wanted, clock_timestamp() - started;
END
$seed$;

ANALYZE customers;
ANALYZE orders;
ANALYZE order_status_history;
