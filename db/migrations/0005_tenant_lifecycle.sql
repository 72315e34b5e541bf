-- Tenant lifecycle: initialization and hard deletion.

-- A tenant is created uninitialized (and inactive) when its initialization
-- (admin principal, default products, ...) is still to run; the registry
-- marks it initialized, and active, once every step has succeeded. Tenants
-- that exist already were complete, and so is a row inserted without it.
ALTER TABLE tenants ADD COLUMN initialized_at timestamptz;
UPDATE tenants SET initialized_at = created_at;
ALTER TABLE tenants ALTER COLUMN initialized_at SET DEFAULT now();
ALTER TABLE tenants ADD CONSTRAINT tenants_active_only_when_initialized
  CHECK (initialized_at IS NOT NULL OR NOT is_active);

-- Deletions are announced too, so that every cache forgets the tenant (and
-- its principals) at once.
CREATE OR REPLACE FUNCTION notify_tenant_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('adcp_tenant_changes',
                    CASE WHEN TG_OP = 'DELETE' THEN OLD.tenant_id ELSE NEW.tenant_id END);
  RETURN NULL;
END
$$;
DROP TRIGGER tenants_notify_change ON tenants;
CREATE TRIGGER tenants_notify_change
  AFTER INSERT OR UPDATE OR DELETE ON tenants
  FOR EACH ROW EXECUTE FUNCTION notify_tenant_change();

CREATE OR REPLACE FUNCTION notify_principal_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('adcp_principal_changes', OLD.tenant_id || ':' || OLD.principal_id);
  ELSE
    PERFORM pg_notify('adcp_principal_changes', NEW.tenant_id || ':' || NEW.principal_id);
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER principals_notify_delete
  AFTER DELETE ON principals
  FOR EACH ROW EXECUTE FUNCTION notify_principal_change();

-- Hard deletion of a tenant: every row of the tenant in every table that has
-- a tenant_id column, then the tenant itself, in one transaction; returns
-- the rows deleted per table. The app role has no DELETE on these tables:
-- this function (run with the owner's rights, under row-level security set
-- to the tenant) is its only way to remove them. Tables are emptied in an
-- order that satisfies the foreign keys, found by retrying a table whose
-- rows are still referenced after the others.
CREATE FUNCTION purge_tenant(p_tenant_id text)
RETURNS TABLE (table_name text, deleted bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  pending text[];
  remaining text[];
  t text;
  n bigint;
  pass int := 0;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM tenants WHERE tenant_id = p_tenant_id) THEN
    RETURN;
  END IF;
  PERFORM set_config('app.tenant_id', p_tenant_id, true);
  SELECT array_agg(c.table_name::text ORDER BY c.table_name)
    INTO pending
    FROM information_schema.columns c
    JOIN information_schema.tables tb
      ON tb.table_schema = c.table_schema AND tb.table_name = c.table_name
   WHERE c.table_schema = 'public' AND c.column_name = 'tenant_id'
     AND tb.table_type = 'BASE TABLE' AND c.table_name <> 'tenants';
  WHILE coalesce(array_length(pending, 1), 0) > 0 LOOP
    pass := pass + 1;
    IF pass > 50 THEN
      RAISE EXCEPTION 'purge_tenant: cannot order the deletes of %', pending;
    END IF;
    remaining := ARRAY[]::text[];
    FOREACH t IN ARRAY pending LOOP
      BEGIN
        EXECUTE format('DELETE FROM %I WHERE tenant_id = $1', t) USING p_tenant_id;
        GET DIAGNOSTICS n = ROW_COUNT;
        table_name := t;
        deleted := n;
        RETURN NEXT;
      EXCEPTION WHEN foreign_key_violation THEN
        remaining := remaining || t;
      END;
    END LOOP;
    pending := remaining;
  END LOOP;
  DELETE FROM tenants WHERE tenant_id = p_tenant_id;
  table_name := 'tenants';
  deleted := 1;
  RETURN NEXT;
END
$$;
REVOKE ALL ON FUNCTION purge_tenant(text) FROM PUBLIC;

DO $grants$
BEGIN
  EXECUTE format('GRANT EXECUTE ON FUNCTION purge_tenant(text) TO %I',
                 current_setting('adcp.app_role'));
END
$grants$;
