-- Durable webhooks (issue 23). A buyer's push_notification_config is kept
-- with the human task its request opened (a submitted create_media_buy, a
-- creative sent to review); when the task is resolved, the event goes into
-- webhook_outbox in the same transaction, and media-buy's dispatcher
-- delivers it (at least once, in order per subject, by one replica at a
-- time: a lease taken with FOR UPDATE SKIP LOCKED). Each tenant signs its
-- webhooks with its own Ed25519 key, stored sealed under the deployment's
-- key-encryption key (libs/httpsig/key_vault.h): no private key in the
-- clear here.

-- {url, token?, scheme ("rfc9421" | "Bearer" | "HMAC-SHA256"),
--  credentials?, context?}; NULL when the buyer asked for no webhook.
ALTER TABLE human_tasks ADD COLUMN push_notification jsonb
  CHECK (push_notification IS NULL OR jsonb_typeof(push_notification) = 'object');

CREATE TABLE webhook_outbox (
  tenant_id        dns_label NOT NULL REFERENCES tenants (tenant_id),
  event_seq        bigint GENERATED ALWAYS AS IDENTITY,
  -- Stable across retries: the payload's idempotency_key.
  idempotency_key  varchar(255) NOT NULL
                     CHECK (idempotency_key ~ '^[A-Za-z0-9_.:-]{16,255}$'),
  -- Events of one subject (a media buy, a creative) are sent in order.
  subject          varchar(300) NOT NULL,
  task_id          varchar(100) NOT NULL,
  url              text NOT NULL CHECK (length(url) <= 2048),
  scheme           varchar(20) NOT NULL
                     CHECK (scheme IN ('rfc9421', 'Bearer', 'HMAC-SHA256')),
  credentials      text,
  -- The JSON body, byte for byte as every attempt sends it (HMAC-SHA256
  -- signs the bytes on the wire).
  payload          text NOT NULL CHECK (length(payload) <= 262144),
  status           varchar(20) NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'delivered', 'expired')),
  attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  -- While a dispatcher sends it; another may take it after this.
  leased_until     timestamptz,
  last_error       text,
  last_http_status integer,
  created_at       timestamptz NOT NULL DEFAULT now(),
  delivered_at     timestamptz,
  PRIMARY KEY (tenant_id, event_seq),
  UNIQUE (tenant_id, idempotency_key)
);
CREATE INDEX webhook_outbox_due
  ON webhook_outbox (tenant_id, next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_outbox_subject
  ON webhook_outbox (tenant_id, subject, event_seq) WHERE status = 'pending';

CREATE TABLE webhook_signing_keys (
  tenant_id     dns_label NOT NULL REFERENCES tenants (tenant_id),
  kid           varchar(100) NOT NULL,
  public_jwk    jsonb NOT NULL,
  -- The private scalar, sealed (KeyVault::Seal, context "<tenant>/<kid>").
  sealed_d      text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  -- Set when a newer key signs; the key stays published until
  -- published_until (the rotation overlap).
  retired_at    timestamptz,
  published_until timestamptz,
  PRIMARY KEY (tenant_id, kid)
);
-- One signing (unretired) key per tenant.
CREATE UNIQUE INDEX webhook_signing_keys_current
  ON webhook_signing_keys (tenant_id) WHERE retired_at IS NULL;

DO $webhooks$
DECLARE
  media_buy text := current_setting('adcp.media_buy_role');
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['webhook_outbox', 'webhook_signing_keys'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY tenant_isolation ON %I '
      'USING (tenant_id = NULLIF(current_setting(''app.tenant_id'', true), '''')) '
      'WITH CHECK (tenant_id = NULLIF(current_setting(''app.tenant_id'', true), ''''))',
      t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE ON %I TO %I', t, media_buy);
  END LOOP;
END
$webhooks$;
