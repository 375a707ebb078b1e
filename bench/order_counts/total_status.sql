-- List total for status=in_production (order_counts since 0004; unchanged by 0005).
SELECT COALESCE(sum(n), 0) FROM order_counts WHERE kind = 'all' AND key = '' AND status = ANY('{in_production}'::text[]);
