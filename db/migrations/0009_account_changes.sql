-- Every change of a tenant's accounts is announced on adcp_account_changes
-- (payload: the tenant id), so that media-buy's account cache drops that
-- tenant's accounts at once, in every replica, as 0007 does for products.
-- The trigger functions take the channel as their argument, for the next
-- table that needs one.
CREATE FUNCTION notify_tenant_rows_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify(TG_ARGV[0], OLD.tenant_id);
  ELSE
    PERFORM pg_notify(TG_ARGV[0], NEW.tenant_id);
    IF TG_OP = 'UPDATE' AND OLD.tenant_id IS DISTINCT FROM NEW.tenant_id THEN
      PERFORM pg_notify(TG_ARGV[0], OLD.tenant_id);
    END IF;
  END IF;
  RETURN NULL;
END
$$;

-- A TRUNCATE names no tenant: "*" stands for every tenant.
CREATE FUNCTION notify_tenant_rows_truncated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify(TG_ARGV[0], '*');
  RETURN NULL;
END
$$;

CREATE TRIGGER accounts_notify
  AFTER INSERT OR UPDATE OR DELETE ON accounts
  FOR EACH ROW EXECUTE FUNCTION notify_tenant_rows_changed('adcp_account_changes');

CREATE TRIGGER accounts_notify_truncate
  AFTER TRUNCATE ON accounts
  FOR EACH STATEMENT
  EXECUTE FUNCTION notify_tenant_rows_truncated('adcp_account_changes');
