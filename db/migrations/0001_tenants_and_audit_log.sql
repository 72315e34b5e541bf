-- Tenants (the registry's table) and the tenant-scoped audit log.
-- Runs as the owner role; privileges go to the app role named by the
-- migration runner in current_setting('adcp.app_role').

-- A tenant id or subdomain is a lowercase DNS label.
CREATE DOMAIN dns_label AS varchar(63)
  CHECK (VALUE ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$');

CREATE TABLE tenants (
  tenant_id       dns_label PRIMARY KEY,
  name            varchar(255) NOT NULL CHECK (btrim(name) <> ''),
  subdomain       dns_label NOT NULL,
  virtual_host    varchar(253),
  config          jsonb NOT NULL DEFAULT '{}'::jsonb
                    CHECK (jsonb_typeof(config) = 'object'),
  is_active       boolean NOT NULL DEFAULT true,
  billing_plan    varchar(50) NOT NULL DEFAULT 'standard'
                    CHECK (billing_plan IN ('standard', 'premium', 'enterprise')),
  billing_contact varchar(255),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT tenants_subdomain_key UNIQUE (subdomain),
  CONSTRAINT tenants_virtual_host_key UNIQUE (virtual_host)
);

-- Every committed insert or update of a tenant is announced on this channel
-- (payload: tenant_id); the registry's WatchTenants stream is fed from it.
CREATE FUNCTION notify_tenant_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('adcp_tenant_changes', NEW.tenant_id);
  RETURN NEW;
END
$$;

CREATE TRIGGER tenants_notify_change
  AFTER INSERT OR UPDATE ON tenants
  FOR EACH ROW EXECUTE FUNCTION notify_tenant_change();

-- Audit log: one row per operation, scoped to a tenant (seed section 8 and
-- "Security Considerations"). Append-only for the app role.
CREATE TABLE audit_log (
  tenant_id    dns_label NOT NULL REFERENCES tenants (tenant_id),
  audit_id     bigint GENERATED ALWAYS AS IDENTITY,
  occurred_at  timestamptz NOT NULL DEFAULT now(),
  operation    varchar(100) NOT NULL,
  principal_id varchar(255) NOT NULL,
  adapter_id   varchar(100),
  success      boolean NOT NULL,
  details      jsonb NOT NULL DEFAULT '{}'::jsonb,
  PRIMARY KEY (tenant_id, audit_id)
);
CREATE INDEX audit_log_tenant_time ON audit_log (tenant_id, occurred_at DESC);

-- Row-level security: a transaction sees and writes only the rows of the
-- tenant in app.tenant_id (set by libs/common's WithTenantTransaction); with
-- none set it sees nothing. FORCE binds the table owner as well.
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_log
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), ''))
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), ''));

DO $grants$
DECLARE
  app text := current_setting('adcp.app_role');
BEGIN
  EXECUTE format('GRANT SELECT ON schema_migrations TO %I', app);
  EXECUTE format('GRANT SELECT, INSERT, UPDATE ON tenants TO %I', app);
  EXECUTE format('GRANT SELECT, INSERT ON audit_log TO %I', app);
END
$grants$;
