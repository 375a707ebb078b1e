-- List total for overdue=true&status=in_production,quality_check&work_center=CNC-1 with 0005.
SELECT COALESCE(sum(n), 0) FROM live_order_counts WHERE due_date < :'today'::date AND status = ANY('{in_production,quality_check}'::text[]) AND work_center = 'CNC-1';
