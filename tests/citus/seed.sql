-- Rows for tests/tenant_plans_test.cc: 20 tenants, each with a few dozen
-- rows in every tenant table, so that the planner chooses the plans it
-- would on a live database (on empty tables it seq-scans everything).
-- Run as a superuser (row-level security does not apply); ANALYZE follows.
INSERT INTO tenants (tenant_id, name, subdomain)
  SELECT 'tenant-' || t, 'Tenant ' || t, 'tenant-' || t
    FROM generate_series(1, 20) t;

INSERT INTO principals (tenant_id, principal_id, name, token_hash, token_prefix)
  SELECT tenant_id, 'buyer-' || p, 'Buyer ' || p,
         sha256(convert_to(tenant_id || p, 'UTF8')), 'adcp_' || p
    FROM tenants, generate_series(1, 20) p;

INSERT INTO products (tenant_id, product_id, name, delivery_type, format_ids,
                      publisher_properties, pricing_options)
  SELECT tenant_id, 'product-' || p, 'Product ' || p, 'guaranteed', '[]',
         '[]', '[{"pricing_option_id": "cpm"}]'
    FROM tenants, generate_series(1, 10) p;

INSERT INTO accounts (tenant_id, account_id, principal_id, brand_domain,
                      operator, name, billing)
  SELECT tenant_id, 'account-' || a, 'buyer-' || (a % 20 + 1),
         'brand' || a || '.example', 'operator.example', 'Account ' || a,
         'operator'
    FROM tenants, generate_series(1, 20) a;

INSERT INTO media_buys (tenant_id, media_buy_id, principal_id, account_id,
                        status, adapter, currency, total_budget, start_time,
                        end_time)
  SELECT tenant_id, 'buy-' || b, 'buyer-' || (b % 20 + 1),
         'account-' || (b % 20 + 1), 'active', 'mock', 'USD', 1000,
         now(), now() + interval '30 days'
    FROM tenants, generate_series(1, 60) b;

INSERT INTO packages (tenant_id, package_id, media_buy_id, ordinal,
                      product_id, pricing_option_id, budget, pricing_model)
  SELECT tenant_id, 'package-' || b || '-' || o, 'buy-' || b, o,
         'product-' || (b % 10 + 1), 'cpm', 500, 'cpm'
    FROM tenants, generate_series(1, 60) b, generate_series(1, 2) o;

INSERT INTO creatives (tenant_id, principal_id, creative_id, name,
                       format_agent_url, format_id, assets, status)
  SELECT tenant_id, 'buyer-' || (c % 20 + 1), 'creative-' || c,
         'Creative ' || c, 'https://formats.example', 'display_300x250',
         '{}', 'approved'
    FROM tenants, generate_series(1, 60) c;

INSERT INTO creative_assignments (tenant_id, principal_id, creative_id,
                                  package_id)
  SELECT tenant_id, 'buyer-' || (c % 20 + 1), 'creative-' || c,
         'package-' || c || '-1'
    FROM tenants, generate_series(1, 60) c;

INSERT INTO human_tasks (tenant_id, task_id, principal_id, task_type,
                         media_buy_id, summary)
  SELECT tenant_id, 'task-' || b, 'buyer-' || (b % 20 + 1),
         'media_buy_approval', 'buy-' || b, 'approve'
    FROM tenants, generate_series(1, 60) b;

INSERT INTO idempotency_keys (tenant_id, principal_id, idempotency_key,
                              operation, request_hash, response, expires_at)
  SELECT tenant_id, 'buyer-' || (k % 20 + 1), 'key-' || k, 'create_media_buy',
         sha256(convert_to(k::text, 'UTF8')), '', now() + interval '1 day'
    FROM tenants, generate_series(1, 60) k;

INSERT INTO performance_feedback (tenant_id, media_buy_id, principal_id,
                                  performance_index, metric_type,
                                  feedback_source, period_start, period_end)
  SELECT tenant_id, 'buy-' || b, 'buyer-' || (b % 20 + 1), 1, 'overall',
         'buyer_attribution', now() - interval '1 day', now()
    FROM tenants, generate_series(1, 60) b;

INSERT INTO sandbox_directives (tenant_id, principal_id, arm, task_id)
  SELECT tenant_id, 'buyer-' || p, 'submitted', 'task-x' || p
    FROM tenants, generate_series(1, 5) p;

INSERT INTO audit_log (tenant_id, operation, principal_id, success)
  SELECT tenant_id, 'create_media_buy', 'buyer-' || (a % 20 + 1), true
    FROM tenants, generate_series(1, 60) a;
