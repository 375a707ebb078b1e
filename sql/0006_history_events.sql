-- Changes that sent no event (issue 10, hole 5): a row written directly into
-- order_status_history changes what GET /orders/{number} shows (its "history"), but the
-- orders trigger does not fire for it. This statement trigger tells the MES which
-- orders' histories changed, on the same channel as order changes; the service retires
-- only those orders' cached entries. The service's own status changes also insert
-- history rows: their event carries the same txid as the orders trigger's, which the
-- service has already retired, so it is skipped (src/mes/change_set.hpp).
CREATE FUNCTION order_history_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  changes text;
  payload text;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    PERFORM pg_notify('sf_orders_changed', '{"all":true}');
    RETURN NULL;
  END IF;
  changes := CASE TG_OP
    WHEN 'INSERT' THEN 'SELECT order_id FROM new_rows'
    WHEN 'DELETE' THEN 'SELECT order_id FROM old_rows'
    ELSE 'SELECT order_id FROM new_rows UNION SELECT order_id FROM old_rows'
  END;
  EXECUTE format($sql$
    SELECT json_build_object('history', array_agg(DISTINCT order_id),
                             'txid', txid_current())::text
    FROM (%s) x HAVING count(*) > 0
  $sql$, changes) INTO payload;
  IF payload IS NULL THEN
    RETURN NULL;
  END IF;
  IF octet_length(payload) > 7900 THEN
    payload := '{"all":true}';
  END IF;
  PERFORM pg_notify('sf_orders_changed', payload);
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION order_history_changed() IS
  'Statement trigger: NOTIFY sf_orders_changed {"history":[order ids]} (see 0006_history_events.sql)';

CREATE TRIGGER order_history_changed_insert AFTER INSERT ON order_status_history
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION order_history_changed();
CREATE TRIGGER order_history_changed_update AFTER UPDATE ON order_status_history
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION order_history_changed();
CREATE TRIGGER order_history_changed_delete AFTER DELETE ON order_status_history
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION order_history_changed();
CREATE TRIGGER order_history_changed_truncate AFTER TRUNCATE ON order_status_history
  FOR EACH STATEMENT EXECUTE FUNCTION order_history_changed();
