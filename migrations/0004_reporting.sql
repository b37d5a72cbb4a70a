-- The reporting layer: safe casts for the typed views over the all-text staging tables, and
-- per-window bookkeeping of cast problems and data-quality signals. The views themselves are built by
-- src/reporting/view-builder.ts, because their columns follow each staging table's header.
--
-- The try_* functions return NULL instead of raising: a view that raised on one malformed value would
-- make the whole table unreadable to a dashboard. They accept the ISO forms the contract documents
-- (docs/API.md: `yyyy-mm-dd`, `yyyy-mm-dd hh:mm:ss`) and nothing locale-dependent, so a value reads the
-- same whatever the session's DateStyle. Postgres 15 must work (tests run on it), so pg_input_is_valid
-- (16+) is out: a regular expression and a few comparisons admit only text the cast cannot refuse,
-- and then the built-in cast does the parsing. Each function is one SQL expression, so the planner
-- inlines it into the view's query: no function call per value. The date/time ones are STABLE, as the
-- casts inside them are (DateStyle changes how *other* text reads, not the forms admitted here).

-- The forms admitted, in two regular expressions: a date, optionally with hh:mm[:ss[.fff]] after ' ' or
-- 'T', without a UTC offset (what the exports write), and the same with an offset (Z, +hh, +hhmm,
-- +hh:mm) after the time. Spaces around the value are allowed, as the casts allow them. Postgres runs a
-- regular expression at roughly a microsecond per value and pays extra for every alternative and
-- counted repetition ({4}, \s*), so the patterns are written out and the calendar is checked apart.
CREATE FUNCTION cxone_etl.is_local_timestamp_form(value text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT value ~ ('^ *[0-9][0-9][0-9][0-9]-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])'
    || '([ T]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?)? *$')
$$;

CREATE FUNCTION cxone_etl.is_offset_timestamp_form(value text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT value ~ ('^ *[0-9][0-9][0-9][0-9]-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])'
    || '[ T]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?([Zz]|[+-](0[0-9]|1[0-4])(:?[0-5][0-9])?) *$')
$$;

-- For a value of one of the forms above: whether its date exists (no 31 April, 29 February only in
-- leap years, no year 0), which the cast would otherwise refuse with an error. strpos finds the rare
-- days cheaply; only those are looked at closer. Offsets cannot match: their hours stop at 14 and
-- their minutes follow a colon or two digits.
CREATE FUNCTION cxone_etl.is_calendar_date(value text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN strpos(value, '0000-') > 0 AND ltrim(value) LIKE '0000%' THEN false
    WHEN strpos(value, '-31') > 0 AND substr(ltrim(value), 6, 2) IN ('02', '04', '06', '09', '11') THEN false
    WHEN strpos(value, '-02-30') > 0 THEN false
    WHEN strpos(value, '-02-29') > 0 THEN
      (left(ltrim(value), 4)::int % 4 = 0 AND left(ltrim(value), 4)::int % 100 <> 0)
        OR left(ltrim(value), 4)::int % 400 = 0
    ELSE true
  END
$$;

-- yyyy-mm-dd only.
CREATE FUNCTION cxone_etl.try_date(value text) RETURNS date
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN value !~ '^ *[0-9][0-9][0-9][0-9]-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]) *$' THEN NULL
    WHEN cxone_etl.is_calendar_date(value) THEN value::date
  END
$$;

-- Wall-clock time without zone; a value carrying a UTC offset is refused (it is not a wall-clock time).
CREATE FUNCTION cxone_etl.try_timestamp(value text) RETURNS timestamp
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN NOT cxone_etl.is_local_timestamp_form(value) THEN NULL
    WHEN cxone_etl.is_calendar_date(value) THEN value::timestamp
  END
$$;

-- A timestamp read in `zone` (an IANA name such as 'UTC' or 'Asia/Seoul'), unless the value carries its
-- own UTC offset after the time, which then wins. A zone Postgres does not know raises: that is a
-- configuration error, not a data error (the view builder checks the zone before using it).
CREATE FUNCTION cxone_etl.try_timestamptz(value text, zone text) RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN cxone_etl.is_local_timestamp_form(value) THEN
      CASE WHEN cxone_etl.is_calendar_date(value) THEN timezone(zone, value::timestamp) END
    WHEN cxone_etl.is_offset_timestamp_form(value) THEN
      CASE WHEN cxone_etl.is_calendar_date(value) THEN value::timestamptz END
  END
$$;

-- For exports whose dates are not ISO (a `format` in the type hints, e.g. 'MM/DD/YYYY HH12:MI:SS AM'):
-- to_timestamp has no non-raising form before Postgres 16, so this one catches the error. An exception
-- block costs a subtransaction per value: several times slower than the ISO form above.
CREATE FUNCTION cxone_etl.try_timestamptz(value text, zone text, fmt text) RETURNS timestamptz
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
  IF value IS NULL OR btrim(value) = '' THEN
    RETURN NULL;
  END IF;
  -- to_timestamp reads the text in the session's zone; back to wall-clock time, then into `zone`.
  RETURN timezone(zone, to_timestamp(btrim(value), fmt)::timestamp);
EXCEPTION
  -- 22007 invalid_datetime_format, 22008 datetime_field_overflow and the rest of class 22.
  WHEN data_exception THEN
    RETURN NULL;
END
$$;

-- Decimal numbers: 12, -3.5, .5, 1e3. No thousands separators, no locale decimal comma.
CREATE FUNCTION cxone_etl.try_numeric(value text) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN value ~ '^ *[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9][0-9]?[0-9]?)? *$' THEN value::numeric
  END
$$;

-- Whole numbers in bigint range (18 characters always fit; longer ones are checked as numeric first).
CREATE FUNCTION cxone_etl.try_int(value text) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN value !~ '^ *[+-]?[0-9]+ *$' THEN NULL
    WHEN length(value) <= 18 THEN value::bigint
    WHEN value::numeric BETWEEN -9223372036854775808 AND 9223372036854775807 THEN value::bigint
  END
$$;

-- Yes/No flags as the exports write them, plus the usual spellings; Korean 예/아니오 for Korean forms.
CREATE FUNCTION cxone_etl.try_bool(value text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN lower(btrim(value)) IN ('yes', 'y', 'true', 't', '1', 'on', '예') THEN true
    WHEN lower(btrim(value)) IN ('no', 'n', 'false', 'f', '0', 'off', '아니오', '아니요') THEN false
  END
$$;

-- Durations written hh:mm:ss (hours may pass 23: a 30-hour shift is 30:00:00), optional fraction; at
-- most 6 hour digits, so the cast cannot overflow.
CREATE FUNCTION cxone_etl.try_interval(value text) RETURNS interval
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN value !~ '^ *[0-9]+:[0-5][0-9]:[0-5][0-9](\.[0-9]+)? *$' THEN NULL
    WHEN strpos(btrim(value), ':') <= 7 THEN value::interval
  END
$$;

-- Per window and typed column: values that were not empty but cast to NULL. Rows exist only for columns
-- with problems; reloading a window replaces its rows (as staging replaces the window's data).
CREATE TABLE cxone_etl.cast_problems (
  tenant_id text NOT NULL,
  entity text NOT NULL,
  window_start timestamptz NOT NULL,
  window_end timestamptz NOT NULL,
  -- Staging column name.
  column_name text NOT NULL,
  -- The type the view casts to: timestamptz, date, numeric, integer, boolean, interval.
  column_type text NOT NULL,
  failed bigint NOT NULL,
  -- One failing value (the smallest), cut to 100 characters, to show what the export wrote.
  sample text,
  checked_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, entity, window_start, window_end, column_name),
  CHECK (failed > 0)
);

-- What each loaded window looked like, for the quality checks: rows loaded and the staging columns of
-- its file (NULL for a zero-byte file, which has no header). `seq` orders loads, so "the previous load"
-- does not depend on clocks.
CREATE SEQUENCE cxone_etl.window_profiles_seq;
CREATE TABLE cxone_etl.window_profiles (
  tenant_id text NOT NULL,
  entity text NOT NULL,
  window_start timestamptz NOT NULL,
  window_end timestamptz NOT NULL,
  rows_loaded bigint NOT NULL,
  columns text[],
  seq bigint NOT NULL DEFAULT nextval('cxone_etl.window_profiles_seq'),
  assessed_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, entity, window_start, window_end)
);
ALTER SEQUENCE cxone_etl.window_profiles_seq OWNED BY cxone_etl.window_profiles.seq;

-- Data-quality signals per window (src/reporting/quality-rules.ts says when each fires). Informational:
-- they never block a load. Reassessing a window replaces its flags, so a lookback that brings the
-- missing rows clears the flag.
CREATE TABLE cxone_etl.quality_flags (
  tenant_id text NOT NULL,
  entity text NOT NULL,
  window_start timestamptz NOT NULL,
  window_end timestamptz NOT NULL,
  -- volume-low | volume-high | empty-window | columns-missing
  kind text NOT NULL,
  rows_loaded bigint NOT NULL,
  -- Average rows of the same window in earlier weeks (volume flags), else NULL.
  baseline numeric,
  missing_columns text[],
  detail text NOT NULL,
  flagged_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, entity, window_start, window_end, kind),
  CHECK (kind IN ('volume-low', 'volume-high', 'empty-window', 'columns-missing'))
);
CREATE INDEX quality_flags_window_idx ON cxone_etl.quality_flags (window_start);
