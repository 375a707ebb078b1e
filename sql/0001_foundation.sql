-- 0001_foundation: what every service needs before its own tables exist.
--
-- Applied by `shopfloor migrate` (src/pg/migrations.hpp) in one transaction, as
-- the application role (owner of the database; no superuser rights needed).
-- Never edit this file once applied anywhere: add 0002_... instead (the runner
-- refuses a changed checksum).

-- API tokens (CONTRACT.md "Authentication"). The bootstrap admin token comes
-- from the environment and is not stored here. Only a hash of each secret is
-- kept (lowercase hex SHA-256 of the token), so a database leak exposes no
-- usable token. Revocation keeps the row (audit, and the name stays taken).
CREATE TABLE api_tokens (
  name        text        PRIMARY KEY,
  role        text        NOT NULL CHECK (role IN ('admin', 'operator', 'partner')),
  token_hash  text        NOT NULL UNIQUE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);

COMMENT ON TABLE api_tokens IS 'Bearer tokens issued by POST /tokens; only hashes are stored.';
COMMENT ON COLUMN api_tokens.token_hash IS 'Lowercase hex SHA-256 of the secret token.';
COMMENT ON COLUMN api_tokens.revoked_at IS 'Set by DELETE /tokens/{name}; a revoked token is rejected at once.';
