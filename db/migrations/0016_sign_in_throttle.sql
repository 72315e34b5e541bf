-- Failed admin sign-ins, counted in the database so that the slow-down holds
-- across admin gateway and auth replicas (issue 27): a caller spreading its
-- guesses over N gateways gets the delays of one. Platform table (no
-- tenant_id), written only by auth. Keys are chosen by the caller of
-- SignInSystemAdmin (a client address, a device, an admin name); rows quiet
-- for twice the longest delay are deleted on the way.
CREATE TABLE system_admin_sign_in_failures (
  throttle_key text PRIMARY KEY CHECK (length(throttle_key) BETWEEN 1 AND 300),
  failures     integer NOT NULL CHECK (failures > 0),
  last_failure timestamptz NOT NULL
);
CREATE INDEX system_admin_sign_in_failures_last
  ON system_admin_sign_in_failures (last_failure);

DO $grants$
DECLARE
  auth text := current_setting('adcp.auth_role');
BEGIN
  EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE '
                 'ON system_admin_sign_in_failures TO %I', auth);
END
$grants$;
