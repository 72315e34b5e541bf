-- One database role per service (issue 28). Until now every service
-- connected as the one app role (adcp.app_role), which could read and
-- update every tenant, every principal and every media-buy table, and run
-- purge_tenant. From here each service's role holds only what that
-- service's SQL does, and the hard delete has a role of its own:
--
--   adcp.registry_role   tenants (SELECT, INSERT, UPDATE), audit_log
--                        (SELECT, INSERT)
--   adcp.auth_role       principals (SELECT, INSERT, UPDATE), audit_log
--                        (INSERT)
--   adcp.media_buy_role  its ten tables (SELECT, INSERT, UPDATE; DELETE on
--                        sandbox_directives), audit_log (INSERT)
--   adcp.purge_role      EXECUTE purge_tenant and audit_chain_head, INSERT
--                        tenant_tombstones (the registry's DeleteTenant)
--
-- and each reads schema_migrations (the start-up check). The admin gateway
-- and the agent edge connect to no database. Roles are cluster objects:
-- the operator (or ./dev) creates them, with LOGIN and passwords, before
-- this runs; adcp-migrate names them (DB_REGISTRY_ROLE, DB_AUTH_ROLE,
-- DB_MEDIA_BUY_ROLE, DB_PURGE_ROLE). The app role keeps no privilege: the
-- migrations before this one still grant to it, so it must exist, but
-- nothing connects as it (docs/security.md). A later migration that adds a
-- table grants it to the role of the service that uses it.

DO $roles$
DECLARE
  app text := current_setting('adcp.app_role');
  registry text := current_setting('adcp.registry_role');
  auth text := current_setting('adcp.auth_role');
  media_buy text := current_setting('adcp.media_buy_role');
  purge text := current_setting('adcp.purge_role');
  r text;
  t text;
BEGIN
  FOREACH r IN ARRAY ARRAY[registry, auth, media_buy, purge] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      RAISE EXCEPTION 'database role "%" does not exist', r
        USING HINT = 'create the service roles first (docs/security.md)';
    END IF;
  END LOOP;
  IF (SELECT count(DISTINCT x)
        FROM unnest(ARRAY[app, registry, auth, media_buy, purge]) x) <> 5 THEN
    RAISE EXCEPTION 'the app, registry, auth, media-buy and purge roles must '
                    'be five different roles (%, %, %, %, %)',
                    app, registry, auth, media_buy, purge;
  END IF;

  EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA public FROM %I', app);
  EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM %I', app);
  EXECUTE format('REVOKE ALL ON FUNCTION purge_tenant(text), '
                 'audit_chain_head(text) FROM %I', app);

  FOREACH r IN ARRAY ARRAY[registry, auth, media_buy, purge] LOOP
    EXECUTE format('GRANT SELECT ON schema_migrations TO %I', r);
  END LOOP;

  EXECUTE format('GRANT SELECT, INSERT, UPDATE ON tenants TO %I', registry);
  EXECUTE format('GRANT SELECT, INSERT ON audit_log TO %I', registry);

  EXECUTE format('GRANT SELECT, INSERT, UPDATE ON principals TO %I', auth);
  EXECUTE format('GRANT INSERT ON audit_log TO %I', auth);

  FOREACH t IN ARRAY ARRAY['products', 'accounts', 'media_buys', 'packages',
                           'creatives', 'creative_assignments', 'human_tasks',
                           'idempotency_keys', 'performance_feedback',
                           'sandbox_directives'] LOOP
    EXECUTE format('GRANT SELECT, INSERT, UPDATE ON %I TO %I', t, media_buy);
  END LOOP;
  -- A sandbox directive is consumed by the call it directs.
  EXECUTE format('GRANT DELETE ON sandbox_directives TO %I', media_buy);
  EXECUTE format('GRANT INSERT ON audit_log TO %I', media_buy);

  EXECUTE format('GRANT EXECUTE ON FUNCTION purge_tenant(text), '
                 'audit_chain_head(text) TO %I', purge);
  EXECUTE format('GRANT INSERT ON tenant_tombstones TO %I', purge);
END
$roles$;
