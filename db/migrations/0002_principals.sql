-- Principals: the buyer agents and admins of each tenant, with their access
-- tokens stored only as SHA-256 hashes (seed sections 2 and 9).

CREATE TABLE principals (
  tenant_id         dns_label NOT NULL REFERENCES tenants (tenant_id),
  principal_id      varchar(100) NOT NULL
                      CHECK (principal_id ~ '^[a-z0-9][a-z0-9_-]{0,99}$'),
  name              varchar(255) NOT NULL CHECK (btrim(name) <> ''),
  platform_mappings jsonb NOT NULL DEFAULT '{}'::jsonb
                      CHECK (jsonb_typeof(platform_mappings) = 'object'),
  token_hash        bytea NOT NULL CHECK (length(token_hash) = 32),
  token_prefix      varchar(16) NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now(),
  last_used_at      timestamptz,
  revoked_at        timestamptz,
  PRIMARY KEY (tenant_id, principal_id)
);
-- Token lookup within a tenant (leading tenant_id keeps it distributable).
CREATE UNIQUE INDEX principals_token_hash ON principals (tenant_id, token_hash);
CREATE INDEX idx_principals_tenant ON principals (tenant_id);

ALTER TABLE principals ENABLE ROW LEVEL SECURITY;
ALTER TABLE principals FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON principals
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), ''))
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), ''));

-- Changes that affect token resolution are announced (payload
-- "tenant_id:principal_id") so that every auth process drops its cached
-- answers at once. last_used_at bookkeeping is not announced.
CREATE FUNCTION notify_principal_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('adcp_principal_changes', NEW.tenant_id || ':' || NEW.principal_id);
  RETURN NEW;
END
$$;

CREATE TRIGGER principals_notify_insert
  AFTER INSERT ON principals
  FOR EACH ROW EXECUTE FUNCTION notify_principal_change();
CREATE TRIGGER principals_notify_update
  AFTER UPDATE ON principals
  FOR EACH ROW
  WHEN (OLD.token_hash IS DISTINCT FROM NEW.token_hash
        OR OLD.revoked_at IS DISTINCT FROM NEW.revoked_at
        OR OLD.name IS DISTINCT FROM NEW.name
        OR OLD.platform_mappings IS DISTINCT FROM NEW.platform_mappings)
  EXECUTE FUNCTION notify_principal_change();

DO $grants$
BEGIN
  EXECUTE format('GRANT SELECT, INSERT, UPDATE ON principals TO %I',
                 current_setting('adcp.app_role'));
END
$grants$;
