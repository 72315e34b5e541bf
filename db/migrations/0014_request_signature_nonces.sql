-- Nonces of buyers' signed requests (RFC 9421, AdCP's request-signing
-- profile, issue 23): the replay cache every agent-edge replica shares.
-- The edge has no database; it asks auth (RecordSignatureNonce), which
-- owns this table. Platform data: a nonce is unique per signing key
-- whichever tenant verified it (a signer's nonces are random), so there is
-- no tenant_id and no row-level security. A row lives until its
-- signature's expiry (plus the clock skew allowed); expired rows are
-- deleted as their key records new ones.
CREATE TABLE request_signature_nonces (
  key_id      text NOT NULL CHECK (length(key_id) BETWEEN 1 AND 128),
  nonce       text NOT NULL CHECK (length(nonce) BETWEEN 16 AND 256),
  expires_at  timestamptz NOT NULL,
  PRIMARY KEY (key_id, nonce)
);
-- A key's live nonces (its cap) and its expired ones (the clean-up).
CREATE INDEX request_signature_nonces_by_key_expiry
  ON request_signature_nonces (key_id, expires_at);

DO $grants$
BEGIN
  EXECUTE format('GRANT SELECT, INSERT, DELETE ON request_signature_nonces '
                 'TO %I', current_setting('adcp.auth_role'));
END
$grants$;
