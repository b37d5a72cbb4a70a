/**
 * The forms a configuration value can take, as zod schemas from the variable's text (trimmed, never
 * empty: src/config/read-variables.ts treats `FOO=` as unset) to its typed value. A failed check's
 * message is the form in words; the ConfigError reads "NAME: expected <message>, got <value>". Each
 * schema also carries its form for docs/CONFIGURATION.md (`formDocs`), so the two cannot disagree.
 */
import { z } from 'zod';
import { ENTITY_NAMES, isEntityName, type DateFormat, type EntityName } from '../entities/catalog.js';
import { ROW_KEYS, type RowKeySpec } from '../entities/row-keys.js';
import { Secret } from '../lib/secret.js';

/** Durations in config are written `500ms`, `30s`, `15m`, `2h`, `1d` or `2w`; a bare number is milliseconds. */
const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

export const DURATION_FORM = 'a duration such as 30s, 15m, 2h or 1d';

export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/i.exec(text);
  if (!match) return undefined;
  const value = Number(match[1]);
  const unit = (match[2] ?? 'ms').toLowerCase();
  const factor = UNIT_MS[unit];
  if (factor === undefined || !Number.isFinite(value)) return undefined;
  return Math.round(value * factor);
}

export function formatDuration(ms: number): string {
  if (ms % 86_400_000 === 0 && ms !== 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0 && ms !== 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms !== 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0 && ms !== 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

export interface FormDoc {
  /** What a value looks like, in words; the error message says the same, more tersely at times. */
  readonly form: string;
}

/** The form of each schema below, read by src/config/variables.ts. */
export const formDocs = z.registry<FormDoc>();

/**
 * An issue param: what the error message shows instead of the value, for values that may hold a
 * password or a token.
 */
export interface ShownAs {
  readonly shown: string;
}

function documented<S extends z.ZodType>(schema: S, form: string): S {
  formDocs.add(schema, { form });
  return schema;
}

export function text(form: string) {
  return documented(z.string(), form);
}

/** `30s`, `15m`, `2h`, `1d`; `max` carries its own words (e.g. the API limit behind it). */
export function duration({ min = 0, max }: { min?: number; max?: { ms: number; words: string } } = {}) {
  const schema = z
    .string()
    .transform(parseDuration)
    .refine((ms) => ms !== undefined && ms >= min, DURATION_FORM)
    .transform((ms) => ms as number);
  const capped =
    max === undefined ? schema : schema.refine((ms) => ms <= max.ms, `${DURATION_FORM}, ${max.words}`);
  const limits = [min > 0 ? `at least ${formatDuration(min)}` : undefined, max?.words];
  return documented(capped, [DURATION_FORM, ...limits.filter((l) => l !== undefined)].join(', '));
}

export function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER) {
  const form = `a whole number from ${min} to ${max}`;
  const schema = z
    .string()
    .regex(/^\d+$/, form)
    .transform(Number)
    .refine((n) => n >= min && n <= max, form);
  return documented(schema, max === Number.MAX_SAFE_INTEGER ? `a whole number, at least ${min}` : form);
}

/** Case-insensitive; the value is the allowed spelling. */
export function oneOf<const T extends readonly [string, ...string[]]>(allowed: T) {
  const form = `one of ${allowed.join(', ')}`;
  const schema = z
    .string()
    .transform((t) => t.toLowerCase())
    .pipe(z.enum(allowed, { error: form }));
  return documented(schema, form);
}

export function flag() {
  const schema = z.stringbool({
    truthy: ['1', 'true', 'yes', 'on'],
    falsy: ['0', 'false', 'no', 'off'],
    case: 'insensitive',
    error: 'true or false',
  });
  return documented(schema, 'true or false (also 1/0, yes/no, on/off)');
}

/** Any http(s) or postgres URL, trailing slashes dropped; never echoed (it may hold a password). */
export function url() {
  const form = 'an absolute URL such as https://host or postgres://user@host/db';
  const schema = z
    .string()
    .refine((t) => hasScheme(t, ['http:', 'https:', 'postgres:', 'postgresql:']), {
      message: form,
      params: { shown: '<invalid URL>' } satisfies ShownAs,
    })
    .transform((t) => t.replace(/\/+$/, ''));
  return documented(schema, form);
}

/** A Postgres URL kept as a Secret: its password must reach the connection, never a log or a table. */
export function databaseUrl() {
  return secretUrlOf('an absolute URL such as postgres://user:password@host:5432/db', [
    'postgres:',
    'postgresql:',
  ]);
}

/** An http(s) URL kept as a Secret: it may carry a token in its path or query. */
export function secretUrl() {
  return secretUrlOf('an http:// or https:// URL', ['http:', 'https:']);
}

function secretUrlOf(form: string, schemes: string[]) {
  const schema = z
    .string()
    // The value itself stays out of the message: it is a secret (a password, a token).
    .refine((t) => hasScheme(t, schemes), {
      message: form,
      params: { shown: '(value hidden)' } satisfies ShownAs,
    })
    .transform((t) => new Secret(t));
  return documented(schema, `${form} (kept secret)`);
}

export function isoDate() {
  const form = 'a date yyyy-mm-dd';
  return documented(z.string().refine(isIsoDate, form), form);
}

export function clockTime() {
  const form = 'a time of day HH:MM (24-hour)';
  return documented(z.string().refine(isClockTime, form), form);
}

export function timeZone() {
  const form = 'an IANA time zone such as UTC or Asia/Seoul';
  return documented(z.string().refine(isValidTimeZone, form), form);
}

export function identifier() {
  const form = 'a lower-case Postgres identifier (a-z, 0-9, _; up to 63 characters)';
  // Lower-case unquoted-identifier form keeps operator SQL simple and leaves no room for injection.
  return documented(z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, form), form);
}

/** Entity names separated by commas, duplicates dropped. */
export function entityList() {
  const form = `a comma list of ${ENTITY_NAMES.join(', ')}`;
  const schema = z
    .string()
    .transform((t) => t.split(',').map((s) => s.trim()))
    .refine((names) => names.every(isEntityName), form)
    .transform((names) => [...new Set(names as EntityName[])]);
  return documented(schema, 'entity names separated by commas');
}

/** `entity=value,entity=value` maps, e.g. CXONE_ENTITY_VERSIONS=recording-interaction-metadata=7. */
export function entityMap<V extends string>(valueForm: string, valid: (value: string) => value is V) {
  const form = `a comma list of entity=${valueForm}`;
  const schema = z
    .string()
    .transform((t) => t.split(',').map((pair) => pair.split('=').map((s) => s.trim())))
    .refine(
      (pairs) =>
        pairs.every(([key, value]) => !!key && isEntityName(key) && value !== undefined && valid(value)),
      form,
    )
    .transform((pairs) => new Map(pairs as [EntityName, V][]));
  return documented(schema, form);
}

export const isVersion = (v: string): v is string => /^\d+$/.test(v);
export const isDateFormat = (v: string): v is DateFormat => v === 'date' || v === 'datetime';

/**
 * `26h` (every entity) or `qm-workflows=26h,wfm-payroll=3d` (the ones named; the rest use the
 * schedule's default), with `*=26h` for the rest.
 */
export function maxLags() {
  const form = `${DURATION_FORM}, or entity=duration pairs separated by commas (e.g. qm-workflows=26h,*=2d)`;
  const schema = z.string().transform((text, ctx) => {
    const lags = new Map<EntityName, number>();
    const all = parseDuration(text);
    if (all !== undefined && all > 0) {
      for (const e of ENTITY_NAMES) lags.set(e, all);
      return lags;
    }
    let rest: number | undefined;
    for (const part of text.split(',').map((p) => p.trim())) {
      const [entity, value] = part.split('=').map((x) => x.trim());
      const ms = value === undefined ? undefined : parseDuration(value);
      if (entity === undefined || ms === undefined || ms <= 0) return invalid(ctx, text, form);
      if (entity === '*') rest = ms;
      else if (isEntityName(entity)) lags.set(entity, ms);
      else return invalid(ctx, text, `${form}; unknown entity ${entity}`);
    }
    if (rest !== undefined) for (const e of ENTITY_NAMES) if (!lags.has(e)) lags.set(e, rest);
    return lags;
  });
  return documented(schema, form);
}

/**
 * Per-entity current-view keys, `entity=Header+Header@Version Header` separated by `;` (headers may
 * hold commas), e.g. `qm-workflows=Evaluation Key@Modified On;qm-questions=Eval Key+Question Key`. The
 * key replaces the entity's candidates; without `@`, the entity's version columns stay.
 */
export function rowKeyMap() {
  const form =
    'entity=Header+Header@Version pairs separated by ; (e.g. qm-workflows=Workflow ID@Last Updated)';
  const schema = z.string().transform((text, ctx) => {
    const keys = new Map<EntityName, RowKeySpec>();
    for (const part of text
      .split(';')
      .map((p) => p.trim())
      .filter((p) => p !== '')) {
      const eq = part.indexOf('=');
      const entity = eq < 0 ? '' : part.slice(0, eq).trim();
      if (!isEntityName(entity)) return invalid(ctx, text, `${form}; unknown entity ${entity}`);
      const [key = '', version] = part
        .slice(eq + 1)
        .split('@')
        .map((x) => x.trim());
      const headers = key.split('+').map((h) => h.trim());
      if (headers.some((h) => h === '') || version === '') return invalid(ctx, text, form);
      keys.set(entity, {
        candidates: [headers],
        versions: version === undefined ? ROW_KEYS[entity].versions : [version],
      });
    }
    return keys;
  });
  return documented(schema, form);
}

/** What COLUMN_POLICY does to one column: `hash` (keyed HMAC-SHA-256, hex) or `drop` (never loaded). */
export type ColumnPolicyAction = 'hash' | 'drop';

/** One `entity.column=action` of COLUMN_POLICY; `*` names every entity. */
export interface ColumnPolicyRule {
  readonly entity: EntityName | '*';
  /** The staging column name (what `cxone-etl schema` shows), never the CSV header text. */
  readonly column: string;
  readonly action: ColumnPolicyAction;
}

/**
 * `entity.column=action` separated by `;`, e.g. `*.ani=hash;recording-interaction-metadata.agent_notes=drop`.
 * Column names follow src/entities/column-names.ts (letters and digits of any script, `_`), so a `.`
 * always separates the entity from the column. A column named twice for the same entity is an error.
 */
export function columnPolicy() {
  const form =
    'entity.column=hash|drop pairs separated by ; (entity a name or *, column a staging column name), e.g. *.ani=hash;*.dnis=hash';
  const schema = z.string().transform((text, ctx) => {
    const rules: ColumnPolicyRule[] = [];
    for (const part of text.split(';').map((p) => p.trim())) {
      if (part === '') continue;
      const match = /^([^.=\s]+)\.([\p{L}\p{M}\p{N}_]+)\s*=\s*(\w+)$/u.exec(part);
      const [, entity = '', column = '', word = ''] = match ?? [];
      const action = word.toLowerCase();
      if (!match || (action !== 'hash' && action !== 'drop')) return invalid(ctx, text, form);
      if (entity !== '*' && !isEntityName(entity))
        return invalid(ctx, text, `${form}; unknown entity ${entity}`);
      if (rules.some((r) => r.entity === entity && r.column === column))
        return invalid(ctx, text, `${form}; ${entity}.${column} is named twice`);
      rules.push(Object.freeze({ entity, column, action }));
    }
    return Object.freeze(rules) as readonly ColumnPolicyRule[];
  });
  return documented(schema, form);
}

/** A secret of at least `minChars` characters, kept as a Secret; never echoed in an error. */
export function secretText(minChars: number) {
  const form = `a secret of at least ${minChars} characters`;
  const schema = z
    .string()
    .refine((t) => t.length >= minChars, {
      message: form,
      params: { shown: '(value hidden)' } satisfies ShownAs,
    })
    .transform((t) => new Secret(t));
  return documented(schema, `${form} (kept secret)`);
}

/** `auto`, or how many jobs at once, from 1 to `max`. */
export function jobsInFlight(max: number) {
  const form = `auto or a whole number from 1 to ${max}`;
  const schema = z
    .string()
    .transform((t) => (t.toLowerCase() === 'auto' ? 'auto' : t))
    .refine((t) => t === 'auto' || (/^\d+$/.test(t) && Number(t) >= 1 && Number(t) <= max), form)
    .transform((t): 'auto' | number => (t === 'auto' ? 'auto' : Number(t)));
  return documented(schema, form);
}

export function isClockTime(text: string): boolean {
  return /^([01]\d|2[0-3]):[0-5]\d$/.test(text);
}

export function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    // RangeError is how Intl says "unknown time zone": the answer, not a failure.
    return false;
  }
}

/** yyyy-mm-dd and a real day: the round trip refuses dates that Date would roll over (2026-02-30). */
export function isIsoDate(text: string): boolean {
  const ok = /^\d{4}-\d{2}-\d{2}$/.test(text) && !Number.isNaN(Date.parse(`${text}T00:00:00Z`));
  return ok && new Date(`${text}T00:00:00Z`).toISOString().slice(0, 10) === text;
}

export function hasScheme(text: string, schemes: readonly string[]): boolean {
  try {
    return schemes.includes(new URL(text).protocol);
  } catch {
    // TypeError is how URL says "not a URL": the answer, not a failure.
    return false;
  }
}

function invalid(ctx: z.RefinementCtx<string>, input: string, message: string): never {
  ctx.issues.push({ code: 'custom', message, input });
  return z.NEVER;
}
