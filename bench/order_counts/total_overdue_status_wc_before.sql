-- List total for overdue=true&status=in_production,quality_check&work_center=CNC-1 before 0005.
SELECT count(*) FROM orders o WHERE o.status = ANY('{in_production,quality_check}'::text[]) AND o.work_center = 'CNC-1' AND o.status NOT IN ('shipped', 'cancelled') AND o.due_date < :'today'::date;
