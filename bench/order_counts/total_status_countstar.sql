-- The same total by count(*) (what order_counts replaced), for reference.
SELECT count(*) FROM orders o WHERE o.status = ANY('{in_production}'::text[]);
