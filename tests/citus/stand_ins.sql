-- SYNTAX AND RULES CHECK ONLY: stand-ins for the Citus functions that
-- db/citus/distribute.sql calls, with Citus 12's signatures, for a
-- PostgreSQL without Citus (tests/citus_distribution_test.cc). They move no
-- data. Each records what it was asked in citus_stand_in.calls and refuses
-- what Citus refuses when a table is distributed:
--   - a distribution column that does not exist;
--   - a primary key, unique constraint or unique index without the
--     distribution column;
--   - a foreign key to a table that is neither a reference table nor a
--     distributed table co-located with this one, or to a distributed table
--     without the distribution columns on both sides;
--   - colocate_with naming a table that is not distributed, or whose
--     distribution column has another type.
-- The test creates them in schema citus_stand_in inside a transaction it
-- rolls back, so nothing of them outlives the check.

CREATE SCHEMA citus_stand_in;

CREATE TABLE citus_stand_in.calls (
  seq        serial PRIMARY KEY,
  table_name regclass NOT NULL UNIQUE,
  kind       text NOT NULL CHECK (kind IN ('reference', 'distributed')),
  column_num smallint,
  column_type regtype,
  colocation text
);

CREATE FUNCTION citus_stand_in.create_reference_table(table_name regclass)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM citus_stand_in.check_foreign_keys(table_name, NULL, NULL);
  INSERT INTO citus_stand_in.calls (table_name, kind)
    VALUES (table_name, 'reference');
END
$$;

CREATE FUNCTION citus_stand_in.create_distributed_table(
    table_name regclass, distribution_column text,
    distribution_type text DEFAULT 'hash', colocate_with text DEFAULT 'default',
    shard_count integer DEFAULT NULL)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  col smallint;
  typ regtype;
  target citus_stand_in.calls;
  group_name text;
  bad text;
BEGIN
  IF distribution_type <> 'hash' THEN
    RAISE EXCEPTION 'stand-in: only hash distribution is checked';
  END IF;
  SELECT a.attnum, a.atttypid::regtype INTO col, typ
    FROM pg_attribute a
   WHERE a.attrelid = table_name AND a.attname = distribution_column
     AND NOT a.attisdropped;
  IF col IS NULL THEN
    RAISE EXCEPTION 'column "%" of relation "%" does not exist',
      distribution_column, table_name;
  END IF;
  SELECT string_agg(c.relname, ', ') INTO bad
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
   WHERE i.indrelid = table_name AND i.indisunique
     AND NOT (col = ANY (i.indkey::smallint[]));
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'cannot create constraint on "%": distributed relations '
      'cannot have UNIQUE, EXCLUDE, or PRIMARY KEY constraints that do not '
      'include the partition column (%)', table_name, bad;
  END IF;
  IF colocate_with IN ('default', 'none') THEN
    group_name := CASE colocate_with WHEN 'none' THEN table_name::text
                  ELSE 'default:' || typ::text END;
  ELSE
    SELECT * INTO target FROM citus_stand_in.calls
     WHERE calls.table_name = colocate_with::regclass AND kind = 'distributed';
    IF NOT FOUND THEN
      RAISE EXCEPTION 'relation % should be a hash distributed table',
        colocate_with;
    END IF;
    IF target.column_type <> typ THEN
      RAISE EXCEPTION 'cannot colocate tables % and %: distribution column '
        'types don''t match', table_name, colocate_with;
    END IF;
    group_name := target.colocation;
  END IF;
  PERFORM citus_stand_in.check_foreign_keys(table_name, col, group_name);
  INSERT INTO citus_stand_in.calls
      (table_name, kind, column_num, column_type, colocation)
    VALUES (table_name, 'distributed', col, typ, group_name);
END
$$;

-- Every foreign key of `referencing` (distributed by column `col` in
-- colocation group `group_name`, or a reference table when col is NULL).
CREATE FUNCTION citus_stand_in.check_foreign_keys(
    referencing regclass, col smallint, group_name text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  fk record;
  target citus_stand_in.calls;
  at int;
BEGIN
  FOR fk IN SELECT conname, confrelid::regclass AS referenced, conkey, confkey
              FROM pg_constraint
             WHERE conrelid = referencing AND contype = 'f' LOOP
    SELECT * INTO target FROM citus_stand_in.calls
     WHERE table_name = fk.referenced;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'cannot create foreign key constraint %: referenced '
        'table % must be a distributed table or a reference table',
        fk.conname, fk.referenced;
    END IF;
    IF target.kind = 'reference' THEN
      CONTINUE;
    END IF;
    IF col IS NULL THEN
      RAISE EXCEPTION 'cannot create foreign key constraint % from reference '
        'table % to distributed table %', fk.conname, referencing,
        fk.referenced;
    END IF;
    at := array_position(fk.conkey, col);
    IF at IS NULL OR fk.confkey[at] <> target.column_num THEN
      RAISE EXCEPTION 'cannot create foreign key constraint %: foreign keys '
        'are supported in two cases, either in between two colocated tables '
        'including partition column in the same ordinal in the both tables '
        'or from distributed to reference tables', fk.conname;
    END IF;
    IF target.colocation <> group_name THEN
      RAISE EXCEPTION 'cannot create foreign key constraint %: % and % are '
        'not colocated', fk.conname, referencing, fk.referenced;
    END IF;
  END LOOP;
END
$$;
