-- List total for customer=Uralmash&work_center=CNC-1 before 0005 (count through the indexes).
SELECT count(*) FROM orders o WHERE o.customer = 'Uralmash' AND o.work_center = 'CNC-1';
