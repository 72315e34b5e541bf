-- The secrets of the legacy webhook schemes (a buyer's Bearer token or
-- HMAC secret, push_notification_config.authentication.credentials) are
-- stored only sealed, like the signing keys (libs/httpsig/key_vault.h:
-- a fresh AES-256-GCM data key wrapped under the deployment's KEK, with
-- the tenant and the URL the secret was given for bound as associated
-- data), and opened only by the dispatcher as it sends.
--
-- The KEK is known to media-buy alone (a Kubernetes Secret only it mounts),
-- and these tables are under forced row-level security, so this migration
-- cannot seal the rows already there: media-buy does it at start-up, per
-- tenant, idempotently (webhooks/push_secrets.h, SealAtRest): a plaintext
-- `credentials` is sealed into `sealed_credentials` and set to NULL, a
-- human task's JSON `credentials` becomes `sealed_credentials`, and what
-- another KEK sealed is sealed again under the current one. Secrets no
-- longer needed (a delivered or expired event, a resolved task) are
-- dropped.
ALTER TABLE webhook_outbox ADD COLUMN sealed_credentials text,
  ADD CONSTRAINT webhook_outbox_one_credentials
    CHECK (credentials IS NULL OR sealed_credentials IS NULL);

-- The start-up sweep reads only the rows that hold a secret.
CREATE INDEX webhook_outbox_secrets ON webhook_outbox (tenant_id)
  WHERE credentials IS NOT NULL OR sealed_credentials IS NOT NULL;
CREATE INDEX human_tasks_push_secrets ON human_tasks (tenant_id)
  WHERE push_notification ? 'credentials'
     OR push_notification ? 'sealed_credentials';
