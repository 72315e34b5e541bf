-- Distribution of the suite's schema over a Citus cluster (docs/scale-out.md).
--
-- NOT a migration: adcp-migrate never applies it, and a plain PostgreSQL has
-- none of the functions it calls. Run it once on the Citus coordinator, as a
-- superuser, after `adcp-migrate` has brought the schema to the build's
-- latest version and before any service starts:
--
--   psql "$COORDINATOR_URL" -v ON_ERROR_STOP=1 --single-transaction \
--        -f db/citus/distribute.sql
--
-- It needs Citus 12.1 or later (bigint identity columns of distributed
-- tables: audit_log.audit_id, performance_feedback.feedback_id).
-- tests/citus_distribution_test.cc runs it against stand-ins with these
-- functions' signatures that apply Citus's rules (a syntax and rules check:
-- Citus itself is not installed where the tests run).
--
-- Layout: `tenants` is a reference table (a copy on every node, so a join
-- or foreign key to it stays on the tenant's node); every other table with a
-- tenant_id is hash-distributed by tenant_id in one co-location group, so
-- all rows of a tenant live on one node and every statement of a request
-- (each names `tenant_id = $1`) is routed to that node alone. Every primary
-- key, unique constraint and foreign key of those tables includes tenant_id,
-- which Citus requires. schema_migrations and tenant_tombstones (no
-- tenant_id) stay local tables of the coordinator.

-- Tables with triggers (the audit chain, the change notifications) may be
-- distributed only with this on; the triggers then run on the shards
-- (docs/scale-out.md lists what that changes).
SET LOCAL citus.enable_unsafe_triggers = on;

-- Every session of this database forwards SET LOCAL to the workers, where
-- row-level security reads app.tenant_id. The services also ask for it at
-- connect (libs/db WithConnectionDefaults); this covers sessions that come
-- through PgBouncer, which drops the connect-time options, and psql.
DO $settings$
BEGIN
  EXECUTE format('ALTER DATABASE %I SET citus.propagate_set_commands = %L',
                 current_database(), 'local');
END
$settings$;

SELECT create_reference_table('tenants');

-- Parents before children: a foreign key may reference only a table that is
-- distributed (and co-located) or a reference table already.
SELECT create_distributed_table('principals', 'tenant_id',
                                colocate_with => 'none');
SELECT create_distributed_table('products', 'tenant_id',
                                colocate_with => 'principals');
SELECT create_distributed_table('accounts', 'tenant_id',
                                colocate_with => 'principals');
SELECT create_distributed_table('media_buys', 'tenant_id',
                                colocate_with => 'principals');
SELECT create_distributed_table('packages', 'tenant_id',
                                colocate_with => 'principals');
SELECT create_distributed_table('creatives', 'tenant_id',
                                colocate_with => 'principals');
SELECT create_distributed_table('creative_assignments', 'tenant_id',
                                colocate_with => 'principals');
SELECT create_distributed_table('human_tasks', 'tenant_id',
                                colocate_with => 'principals');
SELECT create_distributed_table('idempotency_keys', 'tenant_id',
                                colocate_with => 'principals');
SELECT create_distributed_table('performance_feedback', 'tenant_id',
                                colocate_with => 'principals');
SELECT create_distributed_table('sandbox_directives', 'tenant_id',
                                colocate_with => 'principals');
SELECT create_distributed_table('webhook_outbox', 'tenant_id',
                                colocate_with => 'principals');
SELECT create_distributed_table('webhook_signing_keys', 'tenant_id',
                                colocate_with => 'principals');
SELECT create_distributed_table('audit_log', 'tenant_id',
                                colocate_with => 'principals');
SELECT create_distributed_table('audit_chain_heads', 'tenant_id',
                                colocate_with => 'principals');
