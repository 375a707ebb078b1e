-- One status change exactly as Repository::change_status() runs it (lock, update +
-- history, commit), on an order that toggles between in_production and quality_check
-- (both live, so the data set keeps its shape however long it runs). bench_toggle holds
-- the ids (setup.sql).
\set k random(1, :toggle_n)
SELECT id AS oid FROM bench_toggle WHERE k = :k \gset
BEGIN ISOLATION LEVEL READ COMMITTED;
SELECT status, customer, work_center, txid_current() FROM orders WHERE id = :oid FOR UPDATE;
WITH changed AS (UPDATE orders SET status = CASE status WHEN 'in_production' THEN 'quality_check' ELSE 'in_production' END
                 WHERE id = :oid RETURNING id, status)
INSERT INTO order_status_history (order_id, from_status, to_status, comment)
SELECT id, CASE status WHEN 'in_production' THEN 'quality_check' ELSE 'in_production' END, status, NULL FROM changed;
COMMIT;
