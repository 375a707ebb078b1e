-- List total for overdue=true with 0005.
SELECT COALESCE(sum(n), 0) FROM live_due_counts WHERE due_date < :'today'::date;
