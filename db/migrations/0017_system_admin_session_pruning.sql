-- Auth prunes expired UI sessions (issue 28 follow-up). Every sign-in adds a
-- 'session' row to system_admin_tokens, and nothing removed them, so an
-- admin's token list (and the table) grew with every sign-in forever. A
-- sign-in now deletes a bounded batch of that admin's sessions that have
-- expired: they resolve for no one, and sessions are not audited. API
-- tokens, revoked or not, are kept (their creation and revocation are in
-- system_admin_events and the list shows them).
DO $grants$
DECLARE
  auth text := current_setting('adcp.auth_role');
BEGIN
  EXECUTE format('GRANT DELETE ON system_admin_tokens TO %I', auth);
END
$grants$;
