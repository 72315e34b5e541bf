-- Named system admins (issue 28). Until now one static SYSTEM_ADMIN_TOKEN,
-- whose plaintext every service held, stood for every operator, and every
-- admin action was audited as "system". From here each admin is a named
-- account with its own scrypt password and its own API and session tokens,
-- stored as SHA-256 only; auth owns these tables (platform data: no
-- tenant_id, no row-level security), and the other services ask auth
-- (ResolveSystemToken), caching answers until auth's change stream says
-- otherwise. The bootstrap token only creates the first admin.
--
--   system_admins        one row per person; disabled, never deleted, so
--                        that audit rows naming "admin:<admin_id>" keep
--                        meaning someone
--   system_admin_tokens  'api' tokens (adcpctl, scripts) and 'session'
--                        tokens (the admin UI's sign-in, with an expiry)
--   system_admin_events  platform audit: admin accounts and tokens created,
--                        disabled, revoked, and failed admin authentications
--                        (aggregated per client and window), which
--                        audit_log cannot hold (its rows belong to a tenant)

CREATE TABLE system_admins (
  admin_id      text PRIMARY KEY
                CHECK (admin_id ~ '^[a-z0-9][a-z0-9._@+-]{0,99}$'),
  name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
  -- "scrypt$<N>$<r>$<p>$<salt hex>$<hash hex>"
  password_hash text NOT NULL CHECK (password_hash LIKE 'scrypt$%'),
  created_at    timestamptz NOT NULL DEFAULT now(),
  created_by    text NOT NULL,
  disabled_at   timestamptz
);

CREATE TABLE system_admin_tokens (
  token_id      text PRIMARY KEY,
  admin_id      text NOT NULL REFERENCES system_admins (admin_id),
  token_sha256  bytea NOT NULL UNIQUE CHECK (length(token_sha256) = 32),
  kind          text NOT NULL CHECK (kind IN ('api', 'session')),
  prefix        text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz,
  revoked_at    timestamptz,
  last_used_at  timestamptz,
  CHECK (kind = 'api' OR expires_at IS NOT NULL)
);
CREATE INDEX system_admin_tokens_by_admin
  ON system_admin_tokens (admin_id, created_at);

CREATE TABLE system_admin_events (
  event_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  occurred_at  timestamptz NOT NULL DEFAULT now(),
  operation    text NOT NULL,
  actor        text NOT NULL,
  success      boolean NOT NULL,
  details      jsonb NOT NULL DEFAULT '{}'
);

-- Every change of an admin or a token tells auth's listeners which admin
-- changed, so that caches drop that admin's tokens (a revocation, a
-- disabled account) at commit.
CREATE FUNCTION notify_system_admin_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('adcp_system_admin_changes', NEW.admin_id);
  RETURN NEW;
END
$$;

CREATE TRIGGER system_admins_notify
  AFTER INSERT OR UPDATE ON system_admins
  FOR EACH ROW EXECUTE FUNCTION notify_system_admin_change();
-- last_used_at bookkeeping changes nothing a cache holds.
CREATE TRIGGER system_admin_tokens_notify
  AFTER UPDATE OF revoked_at, expires_at, token_sha256 ON system_admin_tokens
  FOR EACH ROW EXECUTE FUNCTION notify_system_admin_change();

DO $grants$
DECLARE
  auth text := current_setting('adcp.auth_role');
BEGIN
  EXECUTE format('GRANT SELECT, INSERT, UPDATE ON system_admins, '
                 'system_admin_tokens TO %I', auth);
  EXECUTE format('GRANT INSERT ON system_admin_events TO %I', auth);
END
$grants$;
