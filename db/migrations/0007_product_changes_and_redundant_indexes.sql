-- Every change of a tenant's products is announced on adcp_product_changes
-- (payload: the tenant id), so that media-buy's product cache drops that
-- tenant's products at once, in every replica.
CREATE FUNCTION notify_product_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('adcp_product_changes', OLD.tenant_id);
  ELSE
    PERFORM pg_notify('adcp_product_changes', NEW.tenant_id);
    IF TG_OP = 'UPDATE' AND OLD.tenant_id IS DISTINCT FROM NEW.tenant_id THEN
      PERFORM pg_notify('adcp_product_changes', OLD.tenant_id);
    END IF;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER products_notify
  AFTER INSERT OR UPDATE OR DELETE ON products
  FOR EACH ROW EXECUTE FUNCTION notify_product_change();

-- A TRUNCATE names no tenant: "*" drops every tenant's products.
CREATE FUNCTION notify_products_truncated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('adcp_product_changes', '*');
  RETURN NULL;
END
$$;

CREATE TRIGGER products_notify_truncate
  AFTER TRUNCATE ON products
  FOR EACH STATEMENT EXECUTE FUNCTION notify_products_truncated();

-- Indexes on tenant_id alone duplicate the first column of the primary key
-- (tenant_id, ...), which serves the same queries. They were also a trap:
-- with the statistics of a young table (every new deployment, every
-- benchmark) the planner costs both alike and picks the smaller one, so the
-- foreign-key check of each new package (SELECT ... FROM media_buys WHERE
-- tenant_id = $1 AND media_buy_id = $2 FOR KEY SHARE, a plan PostgreSQL
-- keeps per connection) scanned every buy of the tenant: seen by ./dev bench
-- with auto_explain, 7,000 rows filtered per check after 20 s of load.
DROP INDEX idx_media_buys_tenant;
DROP INDEX idx_principals_tenant;
