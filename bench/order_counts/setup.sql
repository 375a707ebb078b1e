-- Ids for status_change.sql: every order in in_production or quality_check (a few thousand
-- of the seed's 1,000,000). Not part of the schema; drop it after the benchmark.
DROP TABLE IF EXISTS bench_toggle;
CREATE TABLE bench_toggle AS
SELECT row_number() OVER (ORDER BY id) AS k, id FROM orders
 WHERE status IN ('in_production', 'quality_check');
CREATE UNIQUE INDEX ON bench_toggle (k);
ANALYZE bench_toggle;
SELECT count(*) AS toggle_n FROM bench_toggle;
