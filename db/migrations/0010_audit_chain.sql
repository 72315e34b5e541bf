-- A tamper-evident audit log (issue 28). Each tenant's audit rows form a hash
-- chain: row n stores chain_seq = n and
--   row_hash = sha256(previous || convert_to(audit_canonical(row), 'UTF8'))
-- where `previous` is row n-1's row_hash, or the tenant's genesis hash for
-- n = 1. A BEFORE INSERT trigger fills both columns, whatever the inserter
-- gave, in the same transaction as the row, so every writer (the services,
-- the migration tool, a superuser's psql) extends the chain the same way.
-- audit_chain_heads keeps each chain's last seq and hash: the trigger locks
-- the tenant's head row until commit, which orders one tenant's audited
-- transactions (audit rows are written last in each, so the lock is short);
-- other tenants are not affected. An edited, deleted or reordered row, or a
-- cut-off tail, no longer matches: `adcpctl verify-audit TENANT` names the
-- first row that breaks the chain (libs/tenancy/audit_chain.h).

ALTER TABLE audit_log
  ADD COLUMN chain_seq bigint,
  ADD COLUMN row_hash bytea;

-- The exact bytes a row's hash covers (after the previous hash): every column the
-- row was written with, in a fixed order, as a JSON array. occurred_at is
-- given in microseconds since the epoch, so no time zone setting changes it.
CREATE FUNCTION audit_canonical(
    p_tenant_id text, p_audit_id bigint, p_chain_seq bigint,
    p_occurred_at timestamptz, p_operation text, p_principal_id text,
    p_adapter_id text, p_success boolean, p_details jsonb)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT jsonb_build_array(
           p_tenant_id, p_audit_id, p_chain_seq,
           (extract(epoch FROM p_occurred_at) * 1000000)::bigint,
           p_operation, p_principal_id, p_adapter_id, p_success, p_details)::text
$$;

-- The hash before a tenant's first row: binds the chain to its tenant.
CREATE FUNCTION audit_genesis(p_tenant_id text)
RETURNS bytea LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT sha256(convert_to('adcp-audit-chain:' || p_tenant_id, 'UTF8'))
$$;

-- Written only by the trigger (with the owner's rights): no other role has
-- any privilege on it. Row-level security follows app.tenant_id as on every
-- tenant table, except that a session without one (a superuser's insert,
-- which passes audit_log's own policy) reaches the head of the row it writes.
CREATE TABLE audit_chain_heads (
  tenant_id dns_label PRIMARY KEY REFERENCES tenants (tenant_id),
  seq       bigint NOT NULL,
  head      bytea NOT NULL
);
ALTER TABLE audit_chain_heads ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_chain_heads FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_chain_heads
  USING (tenant_id = COALESCE(NULLIF(current_setting('app.tenant_id', true), ''),
                              tenant_id));

CREATE FUNCTION audit_chain_link() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  FOR attempt IN 1..2 LOOP
    -- One statement moves the head and computes the row's hash from the
    -- previous one (the SET expressions read the row's old values); the
    -- row lock it takes orders the tenant's writers.
    UPDATE audit_chain_heads
       SET seq = seq + 1,
           head = sha256(head || convert_to(audit_canonical(
               NEW.tenant_id, NEW.audit_id, seq + 1, NEW.occurred_at,
               NEW.operation, NEW.principal_id, NEW.adapter_id, NEW.success,
               NEW.details), 'UTF8'))
     WHERE tenant_id = NEW.tenant_id
    RETURNING seq, head INTO NEW.chain_seq, NEW.row_hash;
    IF FOUND THEN
      RETURN NEW;
    END IF;
    INSERT INTO audit_chain_heads (tenant_id, seq, head)
      VALUES (NEW.tenant_id, 0, audit_genesis(NEW.tenant_id))
      ON CONFLICT (tenant_id) DO NOTHING;
  END LOOP;
  RAISE EXCEPTION 'audit chain head of % missing', NEW.tenant_id;
END
$$;

-- The chain of the rows already written, in the order they were written.
-- The owner is bound by row-level security (FORCE), so each tenant is
-- chained under its own app.tenant_id.
DO $backfill$
DECLARE
  t text;
  r record;
  n bigint;
  h bytea;
BEGIN
  FOR t IN SELECT tenant_id FROM tenants ORDER BY tenant_id LOOP
    PERFORM set_config('app.tenant_id', t, true);
    n := 0;
    h := audit_genesis(t);
    FOR r IN SELECT * FROM audit_log WHERE tenant_id = t ORDER BY audit_id LOOP
      n := n + 1;
      UPDATE audit_log
         SET chain_seq = n,
             row_hash = sha256(h || convert_to(audit_canonical(
                 r.tenant_id, r.audit_id, n, r.occurred_at, r.operation,
                 r.principal_id, r.adapter_id, r.success, r.details), 'UTF8'))
       WHERE tenant_id = t AND audit_id = r.audit_id
      RETURNING row_hash INTO h;
    END LOOP;
    IF n > 0 THEN
      INSERT INTO audit_chain_heads (tenant_id, seq, head) VALUES (t, n, h);
    END IF;
  END LOOP;
  PERFORM set_config('app.tenant_id', '', true);
END
$backfill$;

ALTER TABLE audit_log
  ALTER COLUMN chain_seq SET NOT NULL,
  ALTER COLUMN row_hash SET NOT NULL;

CREATE TRIGGER audit_log_chain
  BEFORE INSERT ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_chain_link();

-- A tenant's chain head, for the verifier and for the tombstone of a hard
-- delete: (0, genesis) before the first row.
CREATE FUNCTION audit_chain_head(p_tenant_id text)
RETURNS TABLE (seq bigint, head bytea)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT COALESCE(h.seq, 0), COALESCE(h.head, audit_genesis(p_tenant_id))
    FROM (SELECT 1) one
    LEFT JOIN audit_chain_heads h ON h.tenant_id = p_tenant_id
$$;
REVOKE ALL ON FUNCTION audit_chain_head(text) FROM PUBLIC;

-- What a hard delete leaves behind (outside the purged rows: no tenant_id
-- column, so purge_tenant does not empty it): who deleted which tenant
-- when, the rows deleted per table, the audit chain's final length and head,
-- and an HMAC-SHA256 over all of it with the registry's AUDIT_SIGNING_KEY.
-- The app role may only add rows.
CREATE TABLE tenant_tombstones (
  tombstone_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  purged_tenant_id   text NOT NULL,
  purged_at          timestamptz NOT NULL,
  purged_by          varchar(255) NOT NULL,
  deleted_rows       jsonb NOT NULL,
  audit_chain_length bigint NOT NULL,
  audit_chain_head   bytea NOT NULL,
  signature          bytea NOT NULL
);
CREATE INDEX tenant_tombstones_tenant ON tenant_tombstones (purged_tenant_id);

DO $grants$
DECLARE
  app text := current_setting('adcp.app_role');
BEGIN
  EXECUTE format('GRANT EXECUTE ON FUNCTION audit_chain_head(text) TO %I', app);
  EXECUTE format('GRANT INSERT ON tenant_tombstones TO %I', app);
END
$grants$;
