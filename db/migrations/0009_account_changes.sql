-- Every change of a tenant's accounts is announced on adcp_account_changes
-- (payload: the tenant id), so that media-buy's account cache drops that
-- tenant's accounts at once, in every replica (as 0007 does for products).
CREATE FUNCTION notify_account_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('adcp_account_changes', OLD.tenant_id);
  ELSE
    PERFORM pg_notify('adcp_account_changes', NEW.tenant_id);
    IF TG_OP = 'UPDATE' AND OLD.tenant_id IS DISTINCT FROM NEW.tenant_id THEN
      PERFORM pg_notify('adcp_account_changes', OLD.tenant_id);
    END IF;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER accounts_notify
  AFTER INSERT OR UPDATE OR DELETE ON accounts
  FOR EACH ROW EXECUTE FUNCTION notify_account_change();

-- A TRUNCATE names no tenant: "*" drops every tenant's accounts.
CREATE FUNCTION notify_accounts_truncated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('adcp_account_changes', '*');
  RETURN NULL;
END
$$;

CREATE TRIGGER accounts_notify_truncate
  AFTER TRUNCATE ON accounts
  FOR EACH STATEMENT EXECUTE FUNCTION notify_accounts_truncated();
