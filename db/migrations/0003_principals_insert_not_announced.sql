-- A new principal cannot be in anyone's cache (its token is new and failed
-- lookups are not cached), so announcing inserts only made every cache drop
-- and refetch an entry it had just filled. Changes are still announced.
DROP TRIGGER principals_notify_insert ON principals;
