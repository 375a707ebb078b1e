-- dashboard_after.sql for pgbench -M simple; run_dashboard.sh puts today's date in for TODAY.
SELECT 's' AS kind, status AS name, n FROM order_counts WHERE kind = 'all' AND key = ''
UNION ALL
SELECT 'overdue', NULL, COALESCE(sum(n), 0)::bigint FROM live_due_counts
 WHERE due_date < 'TODAY'::date
UNION ALL
SELECT 'due_today', NULL, COALESCE(sum(n), 0)::bigint FROM live_due_counts
 WHERE due_date = 'TODAY'::date
UNION ALL
SELECT 'w', w.code, COALESCE(c.n, 0) FROM work_centers w
  LEFT JOIN order_counts c
    ON c.kind = 'work_center' AND c.key = w.code AND c.status = 'in_production'
UNION ALL
SELECT 'at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 0;
