/**
 * COLUMN_POLICY as a load applies it (docs/OPERATIONS.md, "Personal data"): from the rules, the entity
 * and the file's header to what happens to each field on its way to COPY. Pure but for the keyed hash,
 * so the rules are unit-tested without a database. The header is matched by staging column name
 * (src/entities/column-names.ts), the name `cxone-etl schema` shows.
 */
import type { ColumnPolicyAction, ColumnPolicyRule } from '../config.js';
import type { EntityName } from '../entities/catalog.js';
import { columnNamesFor } from '../entities/column-names.js';
import { EtlError } from '../lib/errors.js';
import { HmacSha256 } from '../lib/hmac-sha256.js';
import type { Secret } from '../lib/secret.js';
import type { ColumnAction } from './csv-scanner.js';

export interface ColumnPolicy {
  readonly rules: readonly ColumnPolicyRule[];
  /** PII_HASH_KEY; config parsing guarantees it is set when a rule hashes. */
  readonly hashKey: Secret | undefined;
}

export interface PolicyPlan {
  /** By header index; empty when the policy touches none of the file's columns. */
  actions: ReadonlyMap<number, ColumnAction>;
  /** Staging column names COPY fills, in header order (the dropped ones left out). */
  kept: string[];
  /** Staging columns of this header that are dropped, and those that are hashed. */
  dropped: string[];
  hashed: string[];
}

/** The policy's action for each column it names for this entity; a rule naming the entity wins over `*`. */
export function entityPolicy(
  rules: readonly ColumnPolicyRule[],
  entity: EntityName,
): Map<string, ColumnPolicyAction> {
  const actions = new Map<string, ColumnPolicyAction>();
  for (const rule of rules) if (rule.entity === '*') actions.set(rule.column, rule.action);
  for (const rule of rules) if (rule.entity === entity) actions.set(rule.column, rule.action);
  return actions;
}

/**
 * The actions for one file. A policy that would drop every column of the header is refused: COPY
 * needs at least one column, and such a file could only load empty rows.
 */
export function planColumns(policy: ColumnPolicy, entity: EntityName, header: readonly string[]): PolicyPlan {
  const columns = columnNamesFor(header);
  const byColumn = entityPolicy(policy.rules, entity);
  const actions = new Map<number, ColumnAction>();
  const plan: PolicyPlan = { actions, kept: [], dropped: [], hashed: [] };
  if (byColumn.size === 0) return { ...plan, kept: columns };
  columns.forEach((column, index) => {
    const action = byColumn.get(column);
    if (action === 'drop') {
      actions.set(index, { kind: 'drop' });
      plan.dropped.push(column);
      return;
    }
    if (action === 'hash') {
      actions.set(index, { kind: 'replace', replace: keyedHash(requireKey(policy)) });
      plan.hashed.push(column);
    }
    plan.kept.push(column);
  });
  if (plan.kept.length === 0) {
    throw new EtlError('CONFIG', `COLUMN_POLICY drops every column of ${entity}: keep at least one`);
  }
  return plan;
}

/**
 * HMAC-SHA-256 of the value's bytes, lower-case hex: the same bytes give the same hash in every entity,
 * tenant and run, so joins on a hashed column still work. An empty value stays empty (there is
 * nothing to protect, and `''` keeps meaning "no value").
 */
export function keyedHash(key: Secret): (value: Buffer) => string {
  // No cache of earlier values: a profile of a policy load showed the lookup (a string per value and
  // a Map) costing more than the two block compressions it saved.
  const mac = new HmacSha256(Buffer.from(key.reveal(), 'utf8'));
  return (value) => (value.length === 0 ? '' : mac.hex(value));
}

/** The hash `erase` looks for: the same function on the value's UTF-8 bytes. */
export function hashText(key: Secret, text: string): string {
  return keyedHash(key)(Buffer.from(text, 'utf8'));
}

function requireKey(policy: ColumnPolicy): Secret {
  if (policy.hashKey === undefined) {
    throw new EtlError('CONFIG', 'PII_HASH_KEY: expected a key, because COLUMN_POLICY hashes columns');
  }
  return policy.hashKey;
}
