-- State the sandbox-only comply_test_controller (services/media-buy) drives
-- for tenants whose config says "sandbox": true. Production tenants never
-- write these columns or rows.

-- A status forced on a buy; it wins over the derived AdCP status until the
-- buyer next changes the buy.
ALTER TABLE media_buys ADD COLUMN forced_status varchar(30)
  CHECK (forced_status IN ('pending_creatives', 'pending_start', 'active',
                           'paused', 'completed', 'rejected', 'canceled'));

-- Delivery simulated on top of what the ad server reports:
-- {"impressions": n, "clicks": n, "conversions": n, "spend": "decimal"}.
ALTER TABLE media_buys ADD COLUMN simulated_delivery jsonb
  CHECK (simulated_delivery IS NULL OR jsonb_typeof(simulated_delivery) = 'object');

-- A directive for the principal's next create_media_buy (e.g. answer with
-- the submitted arm under a given task_id); consumed by that call.
CREATE TABLE sandbox_directives (
  tenant_id     dns_label NOT NULL REFERENCES tenants (tenant_id),
  principal_id  varchar(100) NOT NULL,
  arm           varchar(20) NOT NULL CHECK (arm IN ('submitted')),
  task_id       varchar(100) NOT NULL,
  message       text NOT NULL DEFAULT '',
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, principal_id)
);

DO $rls$
DECLARE
  app text := current_setting('adcp.app_role');
BEGIN
  ALTER TABLE sandbox_directives ENABLE ROW LEVEL SECURITY;
  ALTER TABLE sandbox_directives FORCE ROW LEVEL SECURITY;
  CREATE POLICY tenant_isolation ON sandbox_directives
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), ''))
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), ''));
  EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON sandbox_directives TO %I', app);
END
$rls$;
