-- List total for overdue=true&customer=Uralmash (count through the indexes; unchanged by 0005).
SELECT count(*) FROM orders o WHERE o.customer = 'Uralmash' AND o.status NOT IN ('shipped', 'cancelled') AND o.due_date < :'today'::date;
