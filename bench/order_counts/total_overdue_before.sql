-- List total for overdue=true before 0005.
SELECT count(*) FROM orders o WHERE o.status NOT IN ('shipped', 'cancelled') AND o.due_date < :'today'::date;
