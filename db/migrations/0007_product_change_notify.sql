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
