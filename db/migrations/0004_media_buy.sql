-- Media-buy data (services/media-buy): products, buyer accounts, media buys
-- and their packages, creatives and their assignments, human tasks,
-- idempotency keys and performance feedback.
--
-- Every table leads with tenant_id: composite primary keys, foreign keys that
-- include tenant_id (a child can never point at another tenant's parent, and
-- the schema distributes by tenant_id unchanged), RLS enabled and forced.
-- Money is NUMERIC(20,6) in the buy's currency, never floating point.
-- Objects owned by a buyer carry principal_id; a buyer's reads filter on it.

CREATE TABLE products (
  tenant_id            dns_label NOT NULL REFERENCES tenants (tenant_id),
  product_id           varchar(100) NOT NULL
                         CHECK (product_id ~ '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$'),
  name                 varchar(255) NOT NULL CHECK (btrim(name) <> ''),
  description          text NOT NULL DEFAULT '',
  delivery_type        varchar(20) NOT NULL
                         CHECK (delivery_type IN ('guaranteed', 'non_guaranteed')),
  channels             text[] NOT NULL DEFAULT '{}',
  format_ids           jsonb NOT NULL CHECK (jsonb_typeof(format_ids) = 'array'),
  publisher_properties jsonb NOT NULL
                         CHECK (jsonb_typeof(publisher_properties) = 'array'),
  pricing_options      jsonb NOT NULL
                         CHECK (jsonb_typeof(pricing_options) = 'array'
                                AND jsonb_array_length(pricing_options) > 0),
  reporting_capabilities jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- NULL: every principal of the tenant may see and buy it.
  allowed_principal_ids text[],
  is_active            boolean NOT NULL DEFAULT true,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, product_id)
);

CREATE TABLE accounts (
  tenant_id     dns_label NOT NULL REFERENCES tenants (tenant_id),
  account_id    varchar(100) NOT NULL,
  principal_id  varchar(100) NOT NULL,
  brand_domain  varchar(255) NOT NULL,
  brand_id      varchar(255) NOT NULL DEFAULT '',
  operator      varchar(255) NOT NULL,
  name          varchar(255) NOT NULL,
  billing       varchar(20) NOT NULL
                  CHECK (billing IN ('operator', 'agent', 'advertiser')),
  status        varchar(30) NOT NULL DEFAULT 'active',
  sandbox       boolean NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, account_id)
);
CREATE UNIQUE INDEX accounts_natural_key
  ON accounts (tenant_id, principal_id, brand_domain, brand_id, operator);

CREATE TABLE media_buys (
  tenant_id        dns_label NOT NULL REFERENCES tenants (tenant_id),
  media_buy_id     varchar(100) NOT NULL,
  principal_id     varchar(100) NOT NULL,
  account_id       varchar(100),
  status           varchar(30) NOT NULL CHECK (status IN (
                     'pending_approval', 'pending_creatives', 'pending_start',
                     'active', 'paused', 'completed', 'rejected', 'canceled')),
  adapter          varchar(50) NOT NULL,
  adapter_order_id varchar(255),
  currency         char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  total_budget     numeric(20, 6) NOT NULL CHECK (total_budget > 0),
  start_time       timestamptz NOT NULL,
  end_time         timestamptz NOT NULL,
  start_asap       boolean NOT NULL DEFAULT false,
  revision         integer NOT NULL DEFAULT 1,
  brand            jsonb NOT NULL DEFAULT '{}'::jsonb,
  po_number        varchar(255),
  -- Buyer-side fields kept as sent (account reference, ext, ...).
  extra            jsonb NOT NULL DEFAULT '{}'::jsonb,
  paused_at        timestamptz,
  rejection_reason text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, media_buy_id),
  FOREIGN KEY (tenant_id, account_id) REFERENCES accounts (tenant_id, account_id),
  CHECK (start_time < end_time)
);
CREATE INDEX media_buys_principal
  ON media_buys (tenant_id, principal_id, created_at DESC);
CREATE INDEX idx_media_buys_tenant ON media_buys (tenant_id);

CREATE TABLE packages (
  tenant_id          dns_label NOT NULL,
  package_id         varchar(100) NOT NULL,
  media_buy_id       varchar(100) NOT NULL,
  ordinal            integer NOT NULL,
  product_id         varchar(100) NOT NULL,
  pricing_option_id  varchar(100) NOT NULL,
  budget             numeric(20, 6) NOT NULL CHECK (budget > 0),
  bid_price          numeric(20, 6) CHECK (bid_price > 0),
  rate               numeric(20, 6),
  pricing_model      varchar(20) NOT NULL,
  pacing             varchar(20) NOT NULL DEFAULT 'even'
                       CHECK (pacing IN ('even', 'asap', 'front_loaded')),
  impressions        bigint CHECK (impressions > 0),
  paused             boolean NOT NULL DEFAULT false,
  format_ids         jsonb NOT NULL DEFAULT '[]'::jsonb,
  targeting_overlay  jsonb,
  extra              jsonb NOT NULL DEFAULT '{}'::jsonb,
  adapter_line_id    varchar(255),
  PRIMARY KEY (tenant_id, package_id),
  FOREIGN KEY (tenant_id, media_buy_id)
    REFERENCES media_buys (tenant_id, media_buy_id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, product_id),
  UNIQUE (tenant_id, media_buy_id, ordinal)
);

CREATE TABLE creatives (
  tenant_id        dns_label NOT NULL REFERENCES tenants (tenant_id),
  principal_id     varchar(100) NOT NULL,
  creative_id      varchar(255) NOT NULL,
  name             varchar(255) NOT NULL,
  format_agent_url varchar(2048) NOT NULL,
  format_id        varchar(255) NOT NULL,
  assets           jsonb NOT NULL CHECK (jsonb_typeof(assets) = 'object'),
  status           varchar(20) NOT NULL
                     CHECK (status IN ('processing', 'pending_review', 'approved',
                                       'rejected', 'archived')),
  rejection_reason text,
  adapter_creative_id varchar(255),
  extra            jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, principal_id, creative_id)
);
CREATE INDEX creatives_recent
  ON creatives (tenant_id, principal_id, updated_at DESC);

CREATE TABLE creative_assignments (
  tenant_id    dns_label NOT NULL,
  principal_id varchar(100) NOT NULL,
  creative_id  varchar(255) NOT NULL,
  package_id   varchar(100) NOT NULL,
  weight       numeric(9, 4) CHECK (weight >= 0 AND weight <= 100),
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, package_id, creative_id),
  FOREIGN KEY (tenant_id, package_id)
    REFERENCES packages (tenant_id, package_id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, principal_id, creative_id)
    REFERENCES creatives (tenant_id, principal_id, creative_id)
);
CREATE INDEX creative_assignments_creative
  ON creative_assignments (tenant_id, principal_id, creative_id);

CREATE TABLE human_tasks (
  tenant_id      dns_label NOT NULL REFERENCES tenants (tenant_id),
  task_id        varchar(100) NOT NULL,
  principal_id   varchar(100) NOT NULL,  -- the buyer the task is about
  task_type      varchar(40) NOT NULL
                   CHECK (task_type IN ('media_buy_approval', 'creative_review')),
  status         varchar(20) NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'approved', 'rejected', 'failed')),
  media_buy_id   varchar(100),
  creative_id    varchar(255),
  summary        text NOT NULL,
  resolution     text,
  resolved_by    varchar(100),
  created_at     timestamptz NOT NULL DEFAULT now(),
  resolved_at    timestamptz,
  PRIMARY KEY (tenant_id, task_id),
  FOREIGN KEY (tenant_id, media_buy_id)
    REFERENCES media_buys (tenant_id, media_buy_id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, principal_id, creative_id)
    REFERENCES creatives (tenant_id, principal_id, creative_id) ON DELETE CASCADE,
  CHECK ((task_type = 'media_buy_approval') = (media_buy_id IS NOT NULL)),
  CHECK ((task_type = 'creative_review') = (creative_id IS NOT NULL))
);
CREATE INDEX human_tasks_open ON human_tasks (tenant_id, status, created_at);
-- At most one open review per creative and one open approval per buy.
CREATE UNIQUE INDEX human_tasks_one_open_per_object
  ON human_tasks (tenant_id, task_type, COALESCE(media_buy_id, ''),
                  principal_id, COALESCE(creative_id, ''))
  WHERE status = 'pending';

CREATE TABLE idempotency_keys (
  tenant_id       dns_label NOT NULL REFERENCES tenants (tenant_id),
  principal_id    varchar(100) NOT NULL,
  idempotency_key varchar(255) NOT NULL,
  operation       varchar(50) NOT NULL,
  request_hash    bytea NOT NULL CHECK (length(request_hash) = 32),
  response        bytea NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  expires_at      timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, principal_id, idempotency_key)
);

CREATE TABLE performance_feedback (
  tenant_id          dns_label NOT NULL,
  feedback_id        bigint GENERATED ALWAYS AS IDENTITY,
  media_buy_id       varchar(100) NOT NULL,
  principal_id       varchar(100) NOT NULL,
  package_id         varchar(100),
  creative_id        varchar(255),
  performance_index  numeric(12, 6) NOT NULL CHECK (performance_index >= 0),
  metric_type        varchar(50) NOT NULL,
  feedback_source    varchar(50) NOT NULL,
  period_start       timestamptz NOT NULL,
  period_end         timestamptz NOT NULL,
  received_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, feedback_id),
  FOREIGN KEY (tenant_id, media_buy_id)
    REFERENCES media_buys (tenant_id, media_buy_id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, package_id)
    REFERENCES packages (tenant_id, package_id) ON DELETE CASCADE
);

DO $rls$
DECLARE
  t text;
  app text := current_setting('adcp.app_role');
BEGIN
  FOREACH t IN ARRAY ARRAY['products', 'accounts', 'media_buys', 'packages',
                           'creatives', 'creative_assignments', 'human_tasks',
                           'idempotency_keys', 'performance_feedback'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY tenant_isolation ON %I '
      'USING (tenant_id = NULLIF(current_setting(''app.tenant_id'', true), '''')) '
      'WITH CHECK (tenant_id = NULLIF(current_setting(''app.tenant_id'', true), ''''))',
      t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE ON %I TO %I', t, app);
  END LOOP;
  -- Replaced assignments and expired keys are deleted.
  EXECUTE format('GRANT DELETE ON creative_assignments, idempotency_keys TO %I', app);
END
$rls$;
