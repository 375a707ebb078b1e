-- List total for customer=Uralmash&work_center=CNC-1 with 0005.
SELECT COALESCE(sum(n), 0) FROM customer_work_center_counts WHERE customer = 'Uralmash' AND work_center = 'CNC-1';
