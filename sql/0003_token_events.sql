-- 0003_token_events: tell every service process when a token changes, so a cached
-- token lookup is retired at once even when the change is made directly in the
-- database (revocation by another system). Payload: the token hash.
CREATE OR REPLACE FUNCTION api_tokens_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    PERFORM pg_notify('sf_tokens_changed', OLD.token_hash);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND (TG_OP = 'INSERT' OR NEW.token_hash <> OLD.token_hash) THEN
    PERFORM pg_notify('sf_tokens_changed', NEW.token_hash);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER api_tokens_changed AFTER INSERT OR UPDATE OR DELETE ON api_tokens
  FOR EACH ROW EXECUTE FUNCTION api_tokens_changed();
