-- The schema of a single-tenant deployment, as it was before tenancy: the
-- same tables without tenant_id (one publisher per database). Kept so that
-- the migration to the multi-tenant schema (adcp-migrate
-- --to-multi-tenant, ./dev migrate-to-multi-tenant) can be tested against
-- it and operators can compare. Not applied by the normal migrations.

CREATE TABLE principals (
  principal_id      varchar(100) PRIMARY KEY,
  name              varchar(255) NOT NULL,
  platform_mappings jsonb NOT NULL DEFAULT '{}'::jsonb,
  token_hash        bytea NOT NULL UNIQUE,
  token_prefix      varchar(16) NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now(),
  last_used_at      timestamptz,
  revoked_at        timestamptz
);

CREATE TABLE creatives (
  principal_id        varchar(100) NOT NULL REFERENCES principals (principal_id),
  creative_id         varchar(255) NOT NULL,
  name                varchar(255) NOT NULL,
  format_agent_url    varchar(2048) NOT NULL,
  format_id           varchar(255) NOT NULL,
  assets              jsonb NOT NULL,
  status              varchar(20) NOT NULL,
  rejection_reason    text,
  adapter_creative_id varchar(255),
  extra               jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (principal_id, creative_id)
);

CREATE TABLE media_buys (
  media_buy_id     varchar(100) PRIMARY KEY,
  principal_id     varchar(100) NOT NULL REFERENCES principals (principal_id),
  status           varchar(30) NOT NULL,
  adapter          varchar(50) NOT NULL,
  adapter_order_id varchar(255),
  currency         char(3) NOT NULL,
  total_budget     numeric(20, 6) NOT NULL,
  start_time       timestamptz NOT NULL,
  end_time         timestamptz NOT NULL,
  start_asap       boolean NOT NULL DEFAULT false,
  revision         integer NOT NULL DEFAULT 1,
  brand            jsonb NOT NULL DEFAULT '{}'::jsonb,
  po_number        varchar(255),
  extra            jsonb NOT NULL DEFAULT '{}'::jsonb,
  paused_at        timestamptz,
  rejection_reason text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE human_tasks (
  task_id      varchar(100) PRIMARY KEY,
  principal_id varchar(100) NOT NULL,
  task_type    varchar(40) NOT NULL,
  status       varchar(20) NOT NULL DEFAULT 'pending',
  media_buy_id varchar(100) REFERENCES media_buys (media_buy_id),
  creative_id  varchar(255),
  summary      text NOT NULL,
  resolution   text,
  resolved_by  varchar(100),
  created_at   timestamptz NOT NULL DEFAULT now(),
  resolved_at  timestamptz
);
